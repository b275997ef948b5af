//! The error type of the plan builder and the loader compiler.

use thiserror::Error;

/// Why an [`crate::ir::ObjectSpec`] cannot be compiled into a loader program.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CompileError {
    /// A map definition the loader cannot create as described.
    #[error("map {map}: {reason}")]
    BadMap {
        /// Source name of the map.
        map: String,
        /// What is wrong.
        reason: String,
    },
    /// A relocation that does not match its instruction or points outside the object.
    #[error("program {prog}, instruction {insn}: {reason}")]
    BadRelocation {
        /// Function name of the program.
        prog: String,
        /// Instruction index.
        insn: u32,
        /// What is wrong.
        reason: String,
    },
    /// Something the loader does not implement.
    #[error("{what} is not supported by the loader: {reason}")]
    Unsupported {
        /// The object or feature.
        what: String,
        /// Why.
        reason: String,
    },
    /// A size or count past a limit of the kernel or of the instruction encoding.
    #[error("{what} is {size}, more than the limit of {limit}")]
    TooLarge {
        /// What overflowed.
        what: &'static str,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A branch of the loader program is too long for a 16-bit jump offset.
    #[error("jump from loader instruction {from} to {to} does not fit in 16 bits; the object is too large for one loader program")]
    JumpTooFar {
        /// Index of the jump instruction.
        from: usize,
        /// Index of its target.
        to: usize,
    },
}

impl CompileError {
    /// `what` of `size` bytes or entries does not fit the kernel's 32-bit sizes and counts.
    pub(super) fn too_large(what: &'static str, size: usize) -> CompileError {
        CompileError::TooLarge {
            what,
            size: size as u64,
            limit: u32::MAX.into(),
        }
    }
}
