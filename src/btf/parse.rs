//! Decoding of the `.BTF` section: header, type records, string table.

use super::reader::{Endian, Reader};
use super::types::*;
use super::{Btf, BtfError, Layout};

/// Size of `struct btf_header`.
pub(crate) const HDR_LEN: usize = 24;
/// Size of `struct btf_type`.
const TYPE_HDR: usize = 12;

/// Offsets of the two data areas, relative to the end of the header.
struct Areas {
    hdr_len: usize,
    type_off: usize,
    type_len: usize,
    str_off: usize,
    str_len: usize,
}

pub(crate) fn parse(data: &[u8]) -> Result<Btf, BtfError> {
    let endian = Endian::from_magic(data)?;
    let areas = parse_header(data, endian)?;
    let body = areas.hdr_len; // the data areas are relative to the end of the header
    let types_start = body + areas.type_off;
    let types_end = types_start + areas.type_len;
    let str_start = body + areas.str_off;
    let str_end = str_start + areas.str_len;
    let strings = data[str_start..str_end].to_vec();
    check_strings(&strings, str_start)?;
    let types = parse_types(data, types_start, types_end, endian)?;
    let layout = Layout {
        hdr_extra: data[HDR_LEN..body].to_vec(),
        lead: data[body..types_start].to_vec(),
        gap: data[types_end..str_start].to_vec(),
        trail: data[str_end..].to_vec(),
    };
    let btf = Btf {
        types,
        strings,
        endian,
        layout,
    };
    btf.validate()?;
    Ok(btf)
}

/// Reads and checks the header; on success every area lies inside `data`, in order.
fn parse_header(data: &[u8], endian: Endian) -> Result<Areas, BtfError> {
    let mut r = Reader::new(data, 0, data.len(), endian);
    r.need(1, HDR_LEN)?;
    r.skip(2)?;
    let version = r.u8()?;
    if version != 1 {
        return Err(bad_header("version", version.into(), "1"));
    }
    let flags = r.u8()?;
    if flags != 0 {
        return Err(bad_header("flags", flags.into(), "0"));
    }
    let hdr_len = r.u32()? as usize;
    let a = Areas {
        hdr_len,
        type_off: r.u32()? as usize,
        type_len: r.u32()? as usize,
        str_off: r.u32()? as usize,
        str_len: r.u32()? as usize,
    };
    if hdr_len < HDR_LEN {
        return Err(bad_header("hdr_len", hdr_len as u64, "at least 24"));
    }
    if hdr_len > data.len() {
        return Err(BtfError::Truncated {
            offset: 0,
            needed: hdr_len,
            available: data.len(),
        });
    }
    if a.type_off % 4 != 0 {
        return Err(bad_header("type_off", a.type_off as u64, "a multiple of 4"));
    }
    let types_end = a.type_off.checked_add(a.type_len);
    if !matches!(types_end, Some(end) if end <= a.str_off) {
        let value = (a.type_off as u64) + (a.type_len as u64);
        return Err(bad_header("type_off + type_len", value, "at most str_off"));
    }
    let body = data.len() - hdr_len;
    if !matches!(a.str_off.checked_add(a.str_len), Some(end) if end <= body) {
        let offset = hdr_len.saturating_add(a.str_off);
        let available = body.saturating_sub(a.str_off);
        return Err(BtfError::Truncated {
            offset,
            needed: a.str_len,
            available,
        });
    }
    Ok(a)
}

fn bad_header(field: &'static str, value: u64, expected: &'static str) -> BtfError {
    BtfError::BadHeader {
        field,
        value,
        expected,
    }
}

/// The string table must be non-empty and start and end with NUL, so every offset inside it
/// yields a terminated string and offset 0 is the empty name.
fn check_strings(strings: &[u8], offset: usize) -> Result<(), BtfError> {
    let what = match (strings.first(), strings.last()) {
        (None, _) => "empty",
        (Some(0), Some(0)) => return Ok(()),
        (Some(0), _) => "does not end with a nul byte",
        _ => "does not start with a nul byte",
    };
    Err(BtfError::BadStringSection { offset, what })
}

fn parse_types(
    data: &[u8],
    start: usize,
    end: usize,
    endian: Endian,
) -> Result<Vec<BtfType>, BtfError> {
    let mut r = Reader::new(data, start, end, endian);
    let mut types = vec![BtfType::Void];
    while r.remaining() > 0 {
        let id = u32::try_from(types.len()).unwrap_or(u32::MAX);
        types.push(parse_type(&mut r, id)?);
    }
    Ok(types)
}

/// The 12-byte record header, decoded.
struct Head {
    id: u32,
    offset: usize,
    name_off: u32,
    kind: BtfKind,
    kind_flag: bool,
    vlen: u16,
    size_or_type: u32,
}

impl Head {
    fn bad(&self, field: &'static str, value: u32, expected: &'static str) -> BtfError {
        BtfError::BadTypeField {
            id: self.id,
            offset: self.offset,
            field,
            value,
            expected,
        }
    }

    /// The kernel refuses a kind_flag or vlen on kinds that give them no meaning.
    fn plain(&self) -> Result<(), BtfError> {
        if self.kind_flag {
            return Err(self.bad("kind_flag", 1, "0 for this kind"));
        }
        if self.vlen != 0 {
            return Err(self.bad("vlen", self.vlen.into(), "0 for this kind"));
        }
        Ok(())
    }

    fn no_vlen(&self) -> Result<(), BtfError> {
        if self.vlen != 0 {
            return Err(self.bad("vlen", self.vlen.into(), "0 for this kind"));
        }
        Ok(())
    }

    fn zero_size(&self) -> Result<(), BtfError> {
        if self.size_or_type != 0 {
            return Err(self.bad("size_or_type", self.size_or_type, "0 for this kind"));
        }
        Ok(())
    }
}

fn read_head(r: &mut Reader<'_>, id: u32) -> Result<Head, BtfError> {
    let offset = r.pos();
    r.need(1, TYPE_HDR)?;
    let name_off = r.u32()?;
    let info = r.u32()?;
    let size_or_type = r.u32()?;
    let raw_kind = ((info >> 24) & 0x1f) as u8;
    let kind = BtfKind::from_u8(raw_kind).ok_or(BtfError::UnknownKind {
        id,
        kind: raw_kind,
        offset,
    })?;
    let reserved = info & 0x60ff_0000;
    if reserved != 0 {
        let err = BtfError::BadTypeField {
            id,
            offset,
            field: "info",
            value: info,
            expected: "reserved bits 16-23 and 29-30 clear",
        };
        return Err(err);
    }
    let (kind_flag, vlen) = (info >> 31 == 1, (info & 0xffff) as u16);
    Ok(Head {
        id,
        offset,
        name_off,
        kind,
        kind_flag,
        vlen,
        size_or_type,
    })
}

fn parse_type(r: &mut Reader<'_>, id: u32) -> Result<BtfType, BtfError> {
    let h = read_head(r, id)?;
    let (name_off, ty) = (h.name_off, h.size_or_type);
    let t = match h.kind {
        BtfKind::Int => parse_int(r, &h)?,
        BtfKind::Ptr => h.plain().map(|_| BtfType::Ptr { name_off, ty })?,
        BtfKind::Array => parse_array(r, &h)?,
        BtfKind::Struct | BtfKind::Union => parse_composite(r, &h)?,
        BtfKind::Enum => parse_enum(r, &h)?,
        BtfKind::Enum64 => parse_enum64(r, &h)?,
        BtfKind::Fwd => {
            h.no_vlen()?;
            h.zero_size()?;
            BtfType::Fwd {
                name_off,
                kind_flag: h.kind_flag,
            }
        }
        BtfKind::Typedef => h.plain().map(|_| BtfType::Typedef { name_off, ty })?,
        BtfKind::Volatile => h.plain().map(|_| BtfType::Volatile { name_off, ty })?,
        BtfKind::Const => h.plain().map(|_| BtfType::Const { name_off, ty })?,
        BtfKind::Restrict => h.plain().map(|_| BtfType::Restrict { name_off, ty })?,
        BtfKind::Func => {
            if h.kind_flag {
                return Err(h.bad("kind_flag", 1, "0 for this kind"));
            }
            BtfType::Func {
                name_off,
                linkage: h.vlen,
                ty,
            }
        }
        BtfKind::FuncProto => parse_func_proto(r, &h)?,
        BtfKind::Var => {
            h.plain()?;
            BtfType::Var {
                name_off,
                ty,
                linkage: r.u32()?,
            }
        }
        BtfKind::Datasec => parse_datasec(r, &h)?,
        BtfKind::Float => h.plain().map(|_| BtfType::Float { name_off, size: ty })?,
        BtfKind::DeclTag => {
            h.no_vlen()?;
            let component_idx = r.u32()? as i32;
            BtfType::DeclTag {
                name_off,
                kind_flag: h.kind_flag,
                ty,
                component_idx,
            }
        }
        BtfKind::TypeTag => {
            h.no_vlen()?;
            BtfType::TypeTag {
                name_off,
                kind_flag: h.kind_flag,
                ty,
            }
        }
        BtfKind::Void => {
            return Err(BtfError::UnknownKind {
                id,
                kind: 0,
                offset: h.offset,
            })
        }
    };
    Ok(t)
}

fn parse_int(r: &mut Reader<'_>, h: &Head) -> Result<BtfType, BtfError> {
    h.plain()?;
    let data = r.u32()?;
    if data & 0xf000_ff00 != 0 {
        return Err(h.bad("int data", data, "reserved bits 8-15 and 28-31 clear"));
    }
    Ok(BtfType::Int {
        name_off: h.name_off,
        size: h.size_or_type,
        encoding: ((data >> 24) & 0x0f) as u8,
        offset: ((data >> 16) & 0xff) as u8,
        bits: (data & 0xff) as u8,
    })
}

fn parse_array(r: &mut Reader<'_>, h: &Head) -> Result<BtfType, BtfError> {
    h.plain()?;
    h.zero_size()?;
    r.need(1, 12)?;
    let (elem_ty, index_ty, nelems) = (r.u32()?, r.u32()?, r.u32()?);
    Ok(BtfType::Array {
        name_off: h.name_off,
        elem_ty,
        index_ty,
        nelems,
    })
}

fn parse_composite(r: &mut Reader<'_>, h: &Head) -> Result<BtfType, BtfError> {
    let n = usize::from(h.vlen);
    r.need(n, 12)?;
    let mut members = Vec::with_capacity(n);
    for _ in 0..n {
        members.push(BtfMember {
            name_off: r.u32()?,
            ty: r.u32()?,
            offset: r.u32()?,
        });
    }
    let (name_off, kind_flag, size) = (h.name_off, h.kind_flag, h.size_or_type);
    Ok(match h.kind {
        BtfKind::Union => BtfType::Union {
            name_off,
            kind_flag,
            size,
            members,
        },
        _ => BtfType::Struct {
            name_off,
            kind_flag,
            size,
            members,
        },
    })
}

fn parse_enum(r: &mut Reader<'_>, h: &Head) -> Result<BtfType, BtfError> {
    let n = usize::from(h.vlen);
    r.need(n, 8)?;
    let mut values = Vec::with_capacity(n);
    for _ in 0..n {
        values.push(BtfEnumValue {
            name_off: r.u32()?,
            val: r.u32()?,
        });
    }
    let (name_off, kind_flag, size) = (h.name_off, h.kind_flag, h.size_or_type);
    Ok(BtfType::Enum {
        name_off,
        kind_flag,
        size,
        values,
    })
}

fn parse_enum64(r: &mut Reader<'_>, h: &Head) -> Result<BtfType, BtfError> {
    let n = usize::from(h.vlen);
    r.need(n, 12)?;
    let mut values = Vec::with_capacity(n);
    for _ in 0..n {
        let v = BtfEnum64Value {
            name_off: r.u32()?,
            val_lo32: r.u32()?,
            val_hi32: r.u32()?,
        };
        values.push(v);
    }
    let (name_off, kind_flag, size) = (h.name_off, h.kind_flag, h.size_or_type);
    Ok(BtfType::Enum64 {
        name_off,
        kind_flag,
        size,
        values,
    })
}

fn parse_func_proto(r: &mut Reader<'_>, h: &Head) -> Result<BtfType, BtfError> {
    if h.kind_flag {
        return Err(h.bad("kind_flag", 1, "0 for this kind"));
    }
    let n = usize::from(h.vlen);
    r.need(n, 8)?;
    let mut params = Vec::with_capacity(n);
    for _ in 0..n {
        params.push(BtfParam {
            name_off: r.u32()?,
            ty: r.u32()?,
        });
    }
    Ok(BtfType::FuncProto {
        name_off: h.name_off,
        ret_ty: h.size_or_type,
        params,
    })
}

fn parse_datasec(r: &mut Reader<'_>, h: &Head) -> Result<BtfType, BtfError> {
    if h.kind_flag {
        return Err(h.bad("kind_flag", 1, "0 for this kind"));
    }
    let n = usize::from(h.vlen);
    r.need(n, 12)?;
    let mut vars = Vec::with_capacity(n);
    for _ in 0..n {
        vars.push(BtfVarSecinfo {
            ty: r.u32()?,
            offset: r.u32()?,
            size: r.u32()?,
        });
    }
    Ok(BtfType::Datasec {
        name_off: h.name_off,
        size: h.size_or_type,
        vars,
    })
}
