//! The loader program: a `BPF_PROG_TYPE_SYSCALL` program that replays every `bpf()` call
//! needed to load an object. [`insn`] encodes its instructions and [`asm`] prints any BPF
//! instruction stream in llvm-objdump syntax.

pub mod asm;
pub mod attr;
pub mod compile;
mod compile_maps;
mod compile_prog;
pub mod ctx;
mod describe;
mod emit;
pub mod error;
mod helpers;
pub mod insn;
mod map_data;
mod placement;
pub mod plan;
mod prog_data;
pub mod replay;
pub mod signed;
mod slots;

pub use compile::{compile, Blob};
pub use describe::step_title;
pub use error::CompileError;
pub use plan::LoaderPlan;
pub use signed::compile_signed;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_long;
