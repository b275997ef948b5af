//! Checked access to the input bytes: sub-slices, string tables and aligned table copies.

use super::ElfError;
use object::read::StringTable;
use object::{pod, Pod};

/// A NUL-terminated UTF-8 string at `offset` in a string table.
pub(super) fn string_at(table: &[u8], offset: u32) -> Result<String, String> {
    if table.is_empty() && offset == 0 {
        return Ok(String::new());
    }
    let strings = StringTable::new(table, 0, table.len() as u64);
    let bytes = strings
        .get(offset)
        .map_err(|()| format!("offset {offset:#x} is outside its string table or unterminated"))?;
    String::from_utf8(bytes.to_vec()).map_err(|_| format!("at offset {offset:#x} is not UTF-8"))
}

/// `size` bytes at `offset`, or a [`ElfError::Truncated`] naming `what`.
pub(super) fn read_at<'data>(
    data: &'data [u8],
    offset: u64,
    size: u64,
    what: &'static str,
) -> Result<&'data [u8], ElfError> {
    slice(data, offset, size).ok_or(ElfError::Truncated {
        what,
        offset,
        needed: size,
        available: (data.len() as u64).saturating_sub(offset),
    })
}

/// A checked sub-slice.
pub(super) fn slice(data: &[u8], offset: u64, size: u64) -> Option<&[u8]> {
    let start = usize::try_from(offset).ok()?;
    let end = start.checked_add(usize::try_from(size).ok()?)?;
    data.get(start..end)
}

/// Copies `bytes` into aligned memory and decodes them as a table of `T`.
pub(super) fn decode_table<T: Pod + Copy>(bytes: &[u8], what: &str) -> Result<Vec<T>, ElfError> {
    let buf = Aligned::new(bytes);
    pod::slice_from_all_bytes::<T>(buf.bytes())
        .map(<[T]>::to_vec)
        .map_err(|()| ElfError::BadHeader {
            reason: format!("{what} table cannot be decoded"),
        })
}

/// Bytes copied into 8-byte aligned storage, as `object`'s ELF64 structures require.
pub(super) struct Aligned {
    words: Vec<u64>,
    len: usize,
}

impl Aligned {
    pub(super) fn new(bytes: &[u8]) -> Self {
        let mut words = vec![0u64; bytes.len().div_ceil(8)];
        pod::bytes_of_slice_mut(&mut words)[..bytes.len()].copy_from_slice(bytes);
        Aligned {
            words,
            len: bytes.len(),
        }
    }

    pub(super) fn bytes(&self) -> &[u8] {
        &pod::bytes_of_slice(&self.words)[..self.len]
    }
}
