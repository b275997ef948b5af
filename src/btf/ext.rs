//! Decoding of the `.BTF.ext` section: func_info, line_info and CO-RE relocation records.

use super::reader::{Endian, Reader};
use super::{Btf, BtfError};

/// Header size up to `line_info_len`; older objects stop here.
const HDR_MIN: usize = 24;
/// Header size including `core_relo_off` and `core_relo_len`.
const HDR_CORE: usize = 32;

/// A parsed `.BTF.ext` section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BtfExt {
    /// `bpf_func_info` records per code section.
    pub func_info: Vec<ExtSection<FuncInfoRec>>,
    /// `bpf_line_info` records per code section.
    pub line_info: Vec<ExtSection<LineInfoRec>>,
    /// `bpf_core_relo` records per code section (empty when the header predates them).
    pub core_relos: Vec<ExtSection<CoreReloRec>>,
}

/// The records for one ELF code section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtSection<T> {
    /// ELF section name, resolved through the `.BTF` string table.
    pub section: String,
    /// Records in file order.
    pub records: Vec<T>,
}

/// `struct bpf_func_info` as stored in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FuncInfoRec {
    /// Byte offset of the function's first instruction in its section.
    pub insn_off: u32,
    /// BTF id of the `FUNC`.
    pub type_id: u32,
}

/// `struct bpf_line_info` as stored in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineInfoRec {
    /// Byte offset of the instruction in its section.
    pub insn_off: u32,
    /// String offset of the file name.
    pub file_name_off: u32,
    /// String offset of the source line.
    pub line_off: u32,
    /// Line number (upper 22 bits) and column (lower 10 bits).
    pub line_col: u32,
}

/// `struct bpf_core_relo` as stored in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoreReloRec {
    /// Byte offset of the instruction in its section.
    pub insn_off: u32,
    /// Local BTF type id the access starts from.
    pub type_id: u32,
    /// String offset of the access string.
    pub access_str_off: u32,
    /// `enum bpf_core_relo_kind`.
    pub kind: u32,
}

/// One of the three record areas named in the header.
struct Area {
    name: &'static str,
    off_field: &'static str,
    off: u32,
    len: u32,
    min_rec: u32,
}

impl BtfExt {
    /// Parses a `.BTF.ext` section (either byte order); section names are looked up in `btf`.
    /// Record sizes larger than the known structures are honoured by reading the known prefix.
    pub fn parse(data: &[u8], btf: &Btf) -> Result<BtfExt, BtfError> {
        let endian = Endian::from_magic(data)?;
        let mut r = Reader::new(data, 0, data.len(), endian);
        r.need(1, 8)?;
        r.skip(2)?;
        let (version, flags) = (r.u8()?, r.u8()?);
        if version != 1 {
            return Err(bad_header("version", version.into(), "1"));
        }
        if flags != 0 {
            return Err(bad_header("flags", flags.into(), "0"));
        }
        let hdr_len = r.u32()? as usize;
        if hdr_len < HDR_MIN {
            return Err(bad_header("hdr_len", hdr_len as u64, "at least 24"));
        }
        if hdr_len > data.len() {
            return Err(BtfError::Truncated {
                offset: 0,
                needed: hdr_len,
                available: data.len(),
            });
        }
        let (fi_off, fi_len, li_off, li_len) = (r.u32()?, r.u32()?, r.u32()?, r.u32()?);
        let (cr_off, cr_len) = if hdr_len >= HDR_CORE {
            (r.u32()?, r.u32()?)
        } else {
            (0, 0)
        };
        let ctx = Ctx {
            data,
            hdr_len,
            endian,
            btf,
        };
        let fi = Area {
            name: "func_info",
            off_field: "func_info_off",
            off: fi_off,
            len: fi_len,
            min_rec: 8,
        };
        let li = Area {
            name: "line_info",
            off_field: "line_info_off",
            off: li_off,
            len: li_len,
            min_rec: 16,
        };
        let cr = Area {
            name: "core_relo",
            off_field: "core_relo_off",
            off: cr_off,
            len: cr_len,
            min_rec: 16,
        };
        Ok(BtfExt {
            func_info: ctx.area(&fi, |r| {
                Ok(FuncInfoRec {
                    insn_off: r.u32()?,
                    type_id: r.u32()?,
                })
            })?,
            line_info: ctx.area(&li, |r| {
                let (insn_off, file_name_off, line_off, line_col) =
                    (r.u32()?, r.u32()?, r.u32()?, r.u32()?);
                Ok(LineInfoRec {
                    insn_off,
                    file_name_off,
                    line_off,
                    line_col,
                })
            })?,
            core_relos: ctx.area(&cr, |r| {
                let (insn_off, type_id, access_str_off, kind) =
                    (r.u32()?, r.u32()?, r.u32()?, r.u32()?);
                Ok(CoreReloRec {
                    insn_off,
                    type_id,
                    access_str_off,
                    kind,
                })
            })?,
        })
    }
}

fn bad_header(field: &'static str, value: u64, expected: &'static str) -> BtfError {
    BtfError::BadHeader {
        field,
        value,
        expected,
    }
}

struct Ctx<'a> {
    data: &'a [u8],
    hdr_len: usize,
    endian: Endian,
    btf: &'a Btf,
}

impl Ctx<'_> {
    /// Reads one record area: a record size, then blocks of (section name, count, records).
    fn area<T>(
        &self,
        a: &Area,
        read: impl Fn(&mut Reader<'_>) -> Result<T, BtfError>,
    ) -> Result<Vec<ExtSection<T>>, BtfError> {
        if a.len == 0 {
            return Ok(Vec::new());
        }
        if a.off % 4 != 0 {
            return Err(bad_header(a.off_field, a.off.into(), "a multiple of 4"));
        }
        let start = self.hdr_len.saturating_add(a.off as usize);
        let end = start.saturating_add(a.len as usize);
        if end > self.data.len() {
            let available = self.data.len().saturating_sub(start);
            return Err(BtfError::Truncated {
                offset: start,
                needed: a.len as usize,
                available,
            });
        }
        let mut r = Reader::new(self.data, start, end, self.endian);
        let rec_size = r.u32()?;
        if rec_size < a.min_rec || rec_size % 4 != 0 {
            let (section, min) = (a.name, a.min_rec);
            return Err(BtfError::BadExtRecordSize {
                section,
                offset: start,
                rec_size,
                min,
            });
        }
        if r.remaining() == 0 {
            return Err(BtfError::EmptyExtSection {
                section: a.name,
                offset: start,
            });
        }
        let mut out = Vec::new();
        while r.remaining() > 0 {
            out.push(self.block(&mut r, a.name, rec_size, &read)?);
        }
        Ok(out)
    }

    fn block<T>(
        &self,
        r: &mut Reader<'_>,
        name: &'static str,
        rec_size: u32,
        read: &impl Fn(&mut Reader<'_>) -> Result<T, BtfError>,
    ) -> Result<ExtSection<T>, BtfError> {
        let offset = r.pos();
        r.need(1, 8)?;
        let section = self.btf.string_at(r.u32()?)?.to_string();
        let count = r.u32()? as usize;
        if count == 0 {
            return Err(BtfError::EmptyExtSection {
                section: name,
                offset,
            });
        }
        let rec = rec_size as usize;
        r.need(count, rec)?;
        let mut records = Vec::with_capacity(count);
        for _ in 0..count {
            let bytes = r.bytes(rec)?;
            // Read the known prefix from its own reader so that larger records are skipped whole.
            let mut one = Reader::new(bytes, 0, bytes.len(), self.endian);
            records.push(read(&mut one)?);
        }
        Ok(ExtSection { section, records })
    }
}
