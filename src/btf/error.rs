//! Errors from reading, resolving and fixing up BTF.

use super::BtfKind;

/// Everything that can go wrong with BTF or BTF.ext data.
///
/// Byte offsets count from the start of the section that was passed to the parser.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BtfError {
    /// The data ends before a structure that must be there.
    #[error(
        "truncated data at byte offset {offset}: {needed} bytes needed, {available} available"
    )]
    Truncated {
        /// Where the structure starts.
        offset: usize,
        /// Its size in bytes.
        needed: usize,
        /// Bytes left from `offset` (or in the enclosing area).
        available: usize,
    },
    /// The first two bytes are not the BTF magic in either byte order.
    #[error("bad magic {found:#06x} at byte offset 0: expected 0xeb9f in either byte order")]
    BadMagic {
        /// The first two bytes, read little-endian.
        found: u16,
    },
    /// A header field has a value the format does not allow.
    #[error("bad header field {field} = {value}: expected {expected}")]
    BadHeader {
        /// Field name as in the UAPI header.
        field: &'static str,
        /// Its value.
        value: u64,
        /// What it must be.
        expected: &'static str,
    },
    /// The string section does not start and end with a NUL byte, or is empty.
    #[error("bad string section at byte offset {offset}: {what}")]
    BadStringSection {
        /// Where the string section starts.
        offset: usize,
        /// What is wrong.
        what: &'static str,
    },
    /// A type record has a kind number this reader does not know.
    #[error("type {id} at byte offset {offset} has unknown kind {kind}")]
    UnknownKind {
        /// Type id of the record.
        id: u32,
        /// The kind number.
        kind: u8,
        /// Byte offset of the record.
        offset: usize,
    },
    /// A field of a type record has a value the kernel would refuse.
    #[error("type {id} at byte offset {offset}: field {field} = {value}, expected {expected}")]
    BadTypeField {
        /// Type id of the record.
        id: u32,
        /// Byte offset of the record.
        offset: usize,
        /// Field name.
        field: &'static str,
        /// Its value.
        value: u32,
        /// What it must be.
        expected: &'static str,
    },
    /// A type refers to a type id that does not exist.
    #[error("type id {id} referenced from type {referenced_from} is out of range")]
    TypeIdOutOfRange {
        /// The missing id.
        id: u32,
        /// The type holding the reference (0 when the caller asked directly).
        referenced_from: u32,
    },
    /// A string offset points outside the string section.
    #[error("string offset {offset} is outside the string section")]
    StringOffsetOutOfRange {
        /// The offending offset.
        offset: u32,
    },
    /// A string is not valid UTF-8.
    #[error("string at offset {offset} is not valid utf-8")]
    BadString {
        /// Offset of the string in the string section.
        offset: u32,
    },
    /// Following a chain of types did not end within the depth limit (usually a cycle).
    #[error("type {id}: reference chain too deep or cyclic")]
    TooDeep {
        /// The type the chain started from.
        id: u32,
    },
    /// Size or alignment was asked of a type that has none.
    #[error("type {id} is a {kind}, which has no size or alignment")]
    Unsized {
        /// The type without a size.
        id: u32,
        /// Its kind.
        kind: BtfKind,
    },
    /// A size computation overflowed 32 bits.
    #[error("type {id}: size overflows 32 bits")]
    SizeOverflow {
        /// The type whose size overflowed.
        id: u32,
    },
    /// A type has a kind that is not allowed where it is used.
    #[error("type {id} is a {kind}, expected {expected}")]
    UnexpectedKind {
        /// The type.
        id: u32,
        /// Its kind.
        kind: BtfKind,
        /// What was expected there.
        expected: &'static str,
    },
    /// A member layout cannot be described (overlap, or a member past the end).
    #[error("type {id}: bad layout at bit offset {bit_offset}: {what}")]
    BadLayout {
        /// The struct or union.
        id: u32,
        /// Bit offset of the offending member.
        bit_offset: u64,
        /// What is wrong.
        what: &'static str,
    },
    /// A BTF.ext record size is smaller than the record, or not a multiple of 4.
    #[error("{section} at byte offset {offset}: record size {rec_size}, expected a multiple of 4 and at least {min}")]
    BadExtRecordSize {
        /// `func_info`, `line_info` or `core_relo`.
        section: &'static str,
        /// Byte offset of the record size field.
        offset: usize,
        /// The record size found.
        rec_size: u32,
        /// The smallest record size allowed.
        min: u32,
    },
    /// A BTF.ext per-section block declares no records.
    #[error("{section} at byte offset {offset}: section block with no records")]
    EmptyExtSection {
        /// `func_info`, `line_info` or `core_relo`.
        section: &'static str,
        /// Byte offset of the block.
        offset: usize,
    },
    /// A DATASEC has size 0 and the ELF file has no (non-empty) section of that name.
    #[error("datasec {section}: no elf section gives its size")]
    MissingSectionSize {
        /// Section name.
        section: String,
    },
    /// A global variable of a DATASEC has no matching ELF symbol.
    #[error("datasec {section}: no elf symbol for variable {var}")]
    MissingSymbol {
        /// Section name.
        section: String,
        /// Variable name.
        var: String,
    },
}
