//! What can go wrong while reading a BPF object's ELF container.

use thiserror::Error;

/// An ELF file that is not a readable BPF object, with where the problem is.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ElfError {
    /// The input does not start with the ELF magic bytes.
    #[error("not an ELF file: the input does not start with \\x7fELF")]
    NotElf,

    /// The file ends before a structure it declares.
    #[error("truncated ELF file: {what} at offset {offset:#x} needs {needed:#x} bytes, but the file has {available:#x}")]
    Truncated {
        /// The structure being read.
        what: &'static str,
        /// File offset where it starts.
        offset: u64,
        /// Bytes it needs from that offset.
        needed: u64,
        /// Bytes the file actually has from that offset.
        available: u64,
    },

    /// `EI_CLASS` is not `ELFCLASS64`.
    #[error("{}", class_message(*class))]
    WrongClass {
        /// The `EI_CLASS` byte (1 = 32-bit).
        class: u8,
    },

    /// `e_machine` is not `EM_BPF`.
    #[error(
        "ELF machine {machine} is not BPF: expected EM_BPF (247); was this built with -target bpf?"
    )]
    WrongMachine {
        /// The `e_machine` field.
        machine: u16,
    },

    /// `e_type` is not `ET_REL`: BPF objects are relocatable files straight from the compiler.
    #[error("ELF type {e_type} is not ET_REL (1): expected a relocatable object from `clang -c`")]
    NotRelocatable {
        /// The `e_type` field.
        e_type: u16,
    },

    /// The ELF identification or file header is malformed.
    #[error("bad ELF header: {reason}")]
    BadHeader {
        /// What is wrong.
        reason: String,
    },

    /// A section header, its name or its contents is malformed.
    #[error("section #{index}{}: {reason}", quoted(name))]
    BadSection {
        /// ELF section index.
        index: usize,
        /// Section name, when it could be read.
        name: Option<String>,
        /// What is wrong.
        reason: String,
    },

    /// A symbol table entry is malformed.
    #[error("symbol #{index}{}: {reason}", quoted(name))]
    BadSymbol {
        /// Index in `.symtab`.
        index: usize,
        /// Symbol name, when it could be read.
        name: Option<String>,
        /// What is wrong.
        reason: String,
    },

    /// A relocation entry is malformed.
    #[error("relocation #{index} in '{rel_section}' (for section '{section}'): {reason}")]
    BadReloc {
        /// Name of the section the relocation applies to.
        section: String,
        /// Name of the `SHT_REL` section holding the entry.
        rel_section: String,
        /// Index of the entry in its `SHT_REL` section.
        index: usize,
        /// What is wrong.
        reason: String,
    },

    /// An `SHT_RELA` section: BPF objects use `SHT_REL` only.
    #[error(
        "section #{index} '{section}' is SHT_RELA, which BPF objects do not use (expected SHT_REL)"
    )]
    Rela {
        /// ELF section index.
        index: usize,
        /// Section name.
        section: String,
    },
}

fn class_message(class: u8) -> String {
    match class {
        1 => "32-bit ELF; BPF objects are ELF64".to_string(),
        other => format!("invalid ELF class {other}; BPF objects are ELF64 (class 2)"),
    }
}

fn quoted(name: &Option<String>) -> String {
    match name {
        Some(n) => format!(" '{n}'"),
        None => String::new(),
    }
}
