//! skelgen reads a compiled BPF object and writes light skeletons for Rust, Go, C and kernel
//! modules: every `bpf()` call a loader would make is compiled into one
//! `BPF_PROG_TYPE_SYSCALL` loader program and its data, which each skeleton replays.
#![deny(missing_docs)]

pub mod ir;
pub mod loader;
pub mod uapi;
