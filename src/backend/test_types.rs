//! Builders of hand-made type tables for the backends' type-printer tests, so each backend
//! tests the same shapes without its own copy of the builders.

use crate::ir::types::{Bitfield, EnumValue, Member, MemberKind, TypeDef, TypeKind};
use crate::ir::TypeId;

/// A named field of type `ty` at `offset`.
pub fn field(offset: u32, size: u32, name: Option<&str>, ty: u32) -> Member {
    let kind = MemberKind::Field {
        name: name.map(str::to_string),
        ty: TypeId(ty),
    };
    Member { offset, size, kind }
}

/// Padding bytes.
pub fn pad(offset: u32, size: u32) -> Member {
    Member {
        offset,
        size,
        kind: MemberKind::Padding,
    }
}

/// A storage unit of bitfields: `(name, type, bit offset, bits)` each.
pub fn bits(offset: u32, size: u32, fields: &[(&str, u32, u32, u32)]) -> Member {
    let fields = fields
        .iter()
        .map(|&(name, ty, bit_offset, bits)| Bitfield {
            name: Some(name.into()),
            ty: TypeId(ty),
            bit_offset,
            bits,
        })
        .collect();
    Member {
        offset,
        size,
        kind: MemberKind::Bitfields { fields },
    }
}

/// A struct or union.
pub fn aggregate(
    name: Option<&str>,
    hint: &[&str],
    size: u32,
    align: u32,
    union: bool,
    members: Vec<Member>,
) -> TypeDef {
    let kind = if union {
        TypeKind::Union { members }
    } else {
        TypeKind::Struct { members }
    };
    let mut t = TypeDef::new(name.map(str::to_string), size, align, kind);
    t.name_hint = hint.iter().map(|h| h.to_string()).collect();
    t
}

/// A named type of any kind.
pub fn named(name: &str, size: u32, align: u32, kind: TypeKind) -> TypeDef {
    TypeDef::new(Some(name.into()), size, align, kind)
}

/// An unsigned enum with one value, `FIRST = 1`.
pub fn enumeration(name: &str, size: u32) -> TypeDef {
    let values = vec![EnumValue {
        name: "FIRST".into(),
        value: 1,
    }];
    let kind = TypeKind::Enum {
        signed: false,
        values,
    };
    named(name, size, size, kind)
}

/// An array of `len` elements of type `elem`.
pub fn array(elem: u32, len: u32, size: u32, align: u32) -> TypeDef {
    let kind = TypeKind::Array {
        elem: TypeId(elem),
        len,
    };
    TypeDef::new(None, size, align, kind)
}

/// A typedef of `target`.
pub fn typedef(name: &str, target: u32, size: u32, align: u32) -> TypeDef {
    let kind = TypeKind::Typedef {
        target: TypeId(target),
    };
    named(name, size, align, kind)
}
