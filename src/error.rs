//! The library's error type: which file, and what went wrong in which layer.

use crate::backend::BackendError;
use crate::elf::ElfError;
use crate::loader::CompileError;
use crate::lower::LowerError;
use std::path::PathBuf;
use thiserror::Error;

/// Everything that can stop skelgen from producing output for an object.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a BPF ELF object skelgen can read.
    #[error("{object}: {source}")]
    Elf {
        /// Name of the object, as given.
        object: String,
        /// What the ELF reader found.
        #[source]
        source: ElfError,
    },
    /// An option has a value skelgen cannot use.
    #[error("{option}: {reason}")]
    BadOption {
        /// The option, as spelled on the command line.
        option: &'static str,
        /// What is wrong with its value.
        reason: String,
    },
    /// The loader program cannot be compiled for this object.
    #[error("{object}: loader: {source}")]
    Compile {
        /// Name of the object, as given.
        object: String,
        /// What the loader compiler found.
        #[source]
        source: CompileError,
    },
    /// The skeleton cannot be written for this object in this language.
    #[error("{object}: {} skeleton: {source}", .lang.as_str())]
    Backend {
        /// Name of the object, as given.
        object: String,
        /// The language of the skeleton.
        lang: crate::Lang,
        /// What the backend found.
        #[source]
        source: BackendError,
    },
    /// The object is readable but describes something skelgen cannot load.
    #[error("{object}: {source}")]
    Lower {
        /// Name of the object, as given.
        object: String,
        /// What is wrong.
        #[source]
        source: LowerError,
    },
    /// The loader cannot be signed with the key and certificate given (the error names the
    /// file).
    #[cfg(feature = "sign")]
    #[error(transparent)]
    Sign(#[from] crate::sign::SignError),
}
