//! Bounds-checked reading of fixed-width integers in either byte order.

use super::BtfError;

/// Byte order of a BTF or BTF.ext blob, fixed by its magic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endian {
    /// Little-endian (`bpfel`, x86, arm64).
    Little,
    /// Big-endian (`bpfeb`, s390x).
    Big,
}

impl Endian {
    /// Reads the byte order from a two-byte magic, if it is 0xeb9f in either order.
    pub(crate) fn from_magic(data: &[u8]) -> Result<Endian, BtfError> {
        match data.get(0..2) {
            Some([0x9f, 0xeb]) => Ok(Endian::Little),
            Some([0xeb, 0x9f]) => Ok(Endian::Big),
            Some(&[a, b]) => Err(BtfError::BadMagic {
                found: u16::from_le_bytes([a, b]),
            }),
            _ => Err(BtfError::Truncated {
                offset: 0,
                needed: 2,
                available: data.len(),
            }),
        }
    }

    /// Encodes a `u16`.
    pub(crate) fn u16_bytes(self, v: u16) -> [u8; 2] {
        match self {
            Endian::Little => v.to_le_bytes(),
            Endian::Big => v.to_be_bytes(),
        }
    }

    /// Encodes a `u32`.
    pub(crate) fn u32_bytes(self, v: u32) -> [u8; 4] {
        match self {
            Endian::Little => v.to_le_bytes(),
            Endian::Big => v.to_be_bytes(),
        }
    }
}

/// A cursor over `data[pos..end]`; every read checks the bound and reports absolute offsets.
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    end: usize,
    endian: Endian,
}

impl<'a> Reader<'a> {
    /// A reader over `data[start..end]`; the caller has checked `start <= end <= data.len()`.
    pub(crate) fn new(data: &'a [u8], start: usize, end: usize, endian: Endian) -> Reader<'a> {
        let end = end.min(data.len());
        Reader {
            data,
            pos: start.min(end),
            end,
            endian,
        }
    }

    /// Absolute offset of the next byte.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes left before the end.
    pub(crate) fn remaining(&self) -> usize {
        self.end - self.pos
    }

    /// Fails unless `count` records of `size` bytes are present, so that callers can allocate
    /// for `count` only after the bytes are known to exist.
    pub(crate) fn need(&self, count: usize, size: usize) -> Result<(), BtfError> {
        let needed = count.saturating_mul(size);
        if needed > self.remaining() {
            return Err(self.truncated(needed));
        }
        Ok(())
    }

    /// The error for `needed` bytes at the current position.
    pub(crate) fn truncated(&self, needed: usize) -> BtfError {
        BtfError::Truncated {
            offset: self.pos,
            needed,
            available: self.remaining(),
        }
    }

    /// Takes `n` raw bytes.
    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], BtfError> {
        self.need(1, n)?;
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// Skips `n` bytes.
    pub(crate) fn skip(&mut self, n: usize) -> Result<(), BtfError> {
        self.bytes(n).map(|_| ())
    }

    /// Reads a `u8`.
    pub(crate) fn u8(&mut self) -> Result<u8, BtfError> {
        Ok(self.bytes(1)?[0])
    }

    /// Reads a `u32`.
    pub(crate) fn u32(&mut self) -> Result<u32, BtfError> {
        let b = self.bytes(4)?;
        let arr = [b[0], b[1], b[2], b[3]];
        Ok(match self.endian {
            Endian::Little => u32::from_le_bytes(arr),
            Endian::Big => u32::from_be_bytes(arr),
        })
    }
}
