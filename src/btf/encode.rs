//! Encoding of a [`Btf`] back into `.BTF` bytes, in the byte order it was read in.

use super::reader::Endian;
use super::types::*;
use super::Btf;

/// Collects encoded words in one byte order.
struct Writer {
    out: Vec<u8>,
    endian: Endian,
}

impl Writer {
    fn u32(&mut self, v: u32) {
        self.out.extend_from_slice(&self.endian.u32_bytes(v));
    }

    /// The 12-byte `struct btf_type` header.
    fn head(&mut self, name_off: u32, kind: BtfKind, kind_flag: bool, vlen: usize, rest: u32) {
        // vlen came from a 16-bit field or from a Vec the caller built; the kernel limit is
        // 0xffff, and larger vectors are cut off here rather than corrupting the info word.
        let vlen = (vlen & 0xffff) as u32;
        let info = (u32::from(kind_flag) << 31) | ((kind as u32) << 24) | vlen;
        self.u32(name_off);
        self.u32(info);
        self.u32(rest);
    }
}

pub(crate) fn encode(btf: &Btf) -> Vec<u8> {
    let mut w = Writer {
        out: Vec::new(),
        endian: btf.endian,
    };
    for t in btf.types.iter().skip(1) {
        encode_type(&mut w, t);
    }
    let types = w.out;
    let l = &btf.layout;
    let hdr_len = super::parse::HDR_LEN + l.hdr_extra.len();
    let type_off = l.lead.len();
    let str_off = type_off + types.len() + l.gap.len();
    let mut h = Writer {
        out: Vec::new(),
        endian: btf.endian,
    };
    h.out.extend_from_slice(&btf.endian.u16_bytes(0xeb9f));
    h.out.extend_from_slice(&[1, 0]);
    for v in [hdr_len, type_off, types.len(), str_off, btf.strings.len()] {
        h.u32(v as u32);
    }
    let mut out = h.out;
    for part in [
        &l.hdr_extra,
        &l.lead,
        &types,
        &l.gap,
        &btf.strings,
        &l.trail,
    ] {
        out.extend_from_slice(part);
    }
    out
}

fn encode_type(w: &mut Writer, t: &BtfType) {
    use BtfType as T;
    let kind = t.kind();
    match t {
        T::Void => w.head(0, kind, false, 0, 0),
        T::Int {
            name_off,
            size,
            encoding,
            offset,
            bits,
        } => {
            w.head(*name_off, kind, false, 0, *size);
            let data =
                (u32::from(*encoding & 0x0f) << 24) | (u32::from(*offset) << 16) | u32::from(*bits);
            w.u32(data);
        }
        T::Ptr { name_off, ty }
        | T::Typedef { name_off, ty }
        | T::Volatile { name_off, ty }
        | T::Const { name_off, ty }
        | T::Restrict { name_off, ty } => w.head(*name_off, kind, false, 0, *ty),
        T::Array {
            name_off,
            elem_ty,
            index_ty,
            nelems,
        } => {
            w.head(*name_off, kind, false, 0, 0);
            for v in [*elem_ty, *index_ty, *nelems] {
                w.u32(v);
            }
        }
        T::Struct {
            name_off,
            kind_flag,
            size,
            members,
        }
        | T::Union {
            name_off,
            kind_flag,
            size,
            members,
        } => {
            w.head(*name_off, kind, *kind_flag, members.len(), *size);
            for m in members {
                for v in [m.name_off, m.ty, m.offset] {
                    w.u32(v);
                }
            }
        }
        T::Enum {
            name_off,
            kind_flag,
            size,
            values,
        } => {
            w.head(*name_off, kind, *kind_flag, values.len(), *size);
            for v in values {
                w.u32(v.name_off);
                w.u32(v.val);
            }
        }
        T::Enum64 {
            name_off,
            kind_flag,
            size,
            values,
        } => {
            w.head(*name_off, kind, *kind_flag, values.len(), *size);
            for v in values {
                for x in [v.name_off, v.val_lo32, v.val_hi32] {
                    w.u32(x);
                }
            }
        }
        T::Fwd {
            name_off,
            kind_flag,
        } => w.head(*name_off, kind, *kind_flag, 0, 0),
        T::Func {
            name_off,
            linkage,
            ty,
        } => w.head(*name_off, kind, false, (*linkage).into(), *ty),
        T::FuncProto {
            name_off,
            ret_ty,
            params,
        } => {
            w.head(*name_off, kind, false, params.len(), *ret_ty);
            for p in params {
                w.u32(p.name_off);
                w.u32(p.ty);
            }
        }
        T::Var {
            name_off,
            ty,
            linkage,
        } => {
            w.head(*name_off, kind, false, 0, *ty);
            w.u32(*linkage);
        }
        T::Datasec {
            name_off,
            size,
            vars,
        } => {
            w.head(*name_off, kind, false, vars.len(), *size);
            for v in vars {
                for x in [v.ty, v.offset, v.size] {
                    w.u32(x);
                }
            }
        }
        T::Float { name_off, size } => w.head(*name_off, kind, false, 0, *size),
        T::DeclTag {
            name_off,
            kind_flag,
            ty,
            component_idx,
        } => {
            w.head(*name_off, kind, *kind_flag, 0, *ty);
            w.u32(*component_idx as u32);
        }
        T::TypeTag {
            name_off,
            kind_flag,
            ty,
        } => w.head(*name_off, kind, *kind_flag, 0, *ty),
    }
}
