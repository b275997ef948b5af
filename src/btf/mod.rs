//! Reading (and re-encoding) `.BTF` and `.BTF.ext` sections.
//!
//! Pure parsing: no syscalls and no knowledge of the IR. Both byte orders are supported; a
//! [`Btf`] remembers the one it was read in and encodes back into it. Nothing here panics on
//! malformed input: every bound is checked and every count from the file is checked against
//! the bytes actually present before anything is allocated for it.

mod encode;
mod error;
mod ext;
mod fixup;
mod parse;
mod reader;
mod resolve;
mod types;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_ext;
#[cfg(test)]
pub(crate) mod testutil;

pub use error::BtfError;
pub use ext::{BtfExt, CoreReloRec, ExtSection, FuncInfoRec, LineInfoRec};
pub use fixup::DataFacts;
pub use reader::Endian;
pub use types::*;

/// Bytes of the input that carry no types or strings but are kept so that an unmodified
/// [`Btf`] encodes back to exactly its input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Layout {
    /// Header bytes past the 24 this reader knows.
    hdr_extra: Vec<u8>,
    /// Bytes between the header and the type area.
    lead: Vec<u8>,
    /// Bytes between the type area and the string area.
    gap: Vec<u8>,
    /// Bytes after the string area.
    trail: Vec<u8>,
}

/// A parsed `.BTF` section: types in an arena indexed by type id (id 0 is void) and the raw
/// string table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Btf {
    types: Vec<BtfType>,
    strings: Vec<u8>,
    endian: Endian,
    layout: Layout,
}

impl Btf {
    /// Parses a `.BTF` section in either byte order, checking every type and string reference.
    pub fn parse(data: &[u8]) -> Result<Btf, BtfError> {
        parse::parse(data)
    }

    /// An empty BTF (only void and the empty string) in the given byte order.
    pub fn new(endian: Endian) -> Btf {
        Btf {
            types: vec![BtfType::Void],
            strings: vec![0],
            endian,
            layout: Layout::default(),
        }
    }

    /// Encodes in the byte order the input had. An unmodified parse result encodes to exactly
    /// its input; appended types and strings go at the end of their areas.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode::encode(self)
    }

    /// Byte order of the section.
    pub fn endian(&self) -> Endian {
        self.endian
    }

    /// Number of type ids, void included.
    pub fn types_len(&self) -> u32 {
        u32::try_from(self.types.len()).unwrap_or(u32::MAX)
    }

    /// The type with this id (0 is [`BtfType::Void`]).
    pub fn type_by_id(&self, id: u32) -> Result<&BtfType, BtfError> {
        self.types
            .get(id as usize)
            .ok_or(BtfError::TypeIdOutOfRange {
                id,
                referenced_from: 0,
            })
    }

    /// The type with this id, for changes made before the BTF is loaded.
    pub fn type_by_id_mut(&mut self, id: u32) -> Result<&mut BtfType, BtfError> {
        self.types
            .get_mut(id as usize)
            .ok_or(BtfError::TypeIdOutOfRange {
                id,
                referenced_from: 0,
            })
    }

    /// Like [`Btf::type_by_id`], naming the referring type in the error.
    pub(crate) fn type_from(&self, id: u32, from: u32) -> Result<&BtfType, BtfError> {
        self.types
            .get(id as usize)
            .ok_or(BtfError::TypeIdOutOfRange {
                id,
                referenced_from: from,
            })
    }

    /// The NUL-terminated string at `off` in the string table.
    pub fn string_at(&self, off: u32) -> Result<&str, BtfError> {
        let tail = self
            .strings
            .get(off as usize..)
            .filter(|t| !t.is_empty())
            .ok_or(BtfError::StringOffsetOutOfRange { offset: off })?;
        // The table ends with NUL (checked at parse, kept by add_string), so this always finds one.
        let len = tail.iter().position(|&b| b == 0).unwrap_or(tail.len());
        std::str::from_utf8(&tail[..len]).map_err(|_| BtfError::BadString { offset: off })
    }

    /// The raw string table.
    pub fn strings(&self) -> &[u8] {
        &self.strings
    }

    /// The name of a type, `None` when it is anonymous (name offset 0 or an empty string).
    pub fn type_name(&self, id: u32) -> Result<Option<&str>, BtfError> {
        let off = self.type_by_id(id)?.name_off();
        if off == 0 {
            return Ok(None);
        }
        let name = self.string_at(off)?;
        Ok(if name.is_empty() { None } else { Some(name) })
    }

    /// The lowest type id with this name and kind.
    pub fn find_by_name_kind(&self, name: &str, kind: BtfKind) -> Option<u32> {
        (1..self.types_len()).find(|&id| {
            self.types
                .get(id as usize)
                .is_some_and(|t| t.kind() == kind)
                && self.type_name(id).ok().flatten() == Some(name)
        })
    }

    /// Adds a string and returns its offset. An identical string already at the start of an
    /// entry is reused; otherwise the string is appended. Existing offsets never move.
    pub fn add_string(&mut self, s: &str) -> u32 {
        if s.is_empty() {
            return 0;
        }
        let bytes = s.as_bytes();
        let mut off = 0usize;
        for entry in self.strings.split(|&b| b == 0) {
            if entry == bytes {
                return off as u32;
            }
            off += entry.len() + 1;
        }
        let off = self.strings.len() as u32;
        self.strings.extend_from_slice(bytes);
        self.strings.push(0);
        off
    }

    /// Appends a type and returns its id. The caller keeps its references valid.
    pub fn add_type(&mut self, t: BtfType) -> u32 {
        self.types.push(t);
        self.types_len() - 1
    }

    /// All types, indexed by id (index 0 is void).
    pub fn types(&self) -> &[BtfType] {
        &self.types
    }

    /// Checks every type and string reference; run once after parsing.
    fn validate(&self) -> Result<(), BtfError> {
        let len = self.types_len();
        for (id, t) in self.types.iter().enumerate() {
            let from = id as u32;
            if let Some(&bad) = t.type_refs().iter().find(|&&r| r >= len) {
                return Err(BtfError::TypeIdOutOfRange {
                    id: bad,
                    referenced_from: from,
                });
            }
            let nstr = self.strings.len();
            if let Some(&bad) = t.string_refs().iter().find(|&&s| s as usize >= nstr) {
                return Err(BtfError::StringOffsetOutOfRange { offset: bad });
            }
        }
        Ok(())
    }
}
