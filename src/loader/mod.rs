//! The loader program: a `BPF_PROG_TYPE_SYSCALL` program that replays every `bpf()` call
//! needed to load an object. [`insn`] encodes its instructions and [`asm`] prints any BPF
//! instruction stream in llvm-objdump syntax.

pub mod asm;
mod helpers;
pub mod insn;
