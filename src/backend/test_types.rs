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

/// Types 0..=23, the shapes every type printer must reproduce: integers, floats, a pointer,
/// enums, arrays, a typedef, a packed struct, a union, anonymous and nested aggregates,
/// bitfields, an over-aligned struct and `__int128`. `int` builds the integer types (the
/// backends differ on whether `char` is a character type); `kw` names struct 16, its two
/// fields and a field of union 17 after keywords of the language under test.
pub fn common_shapes(int: fn(&str, u32, bool) -> TypeDef, kw: [&str; 4]) -> Vec<TypeDef> {
    vec![
        int("int", 4, true),                                                // 0
        int("unsigned char", 1, false),                                     // 1
        int("unsigned int", 4, false),                                      // 2
        int("long long", 8, true),                                          // 3
        int("_Bool", 1, false),                                             // 4
        named("float", 4, 4, TypeKind::Float),                              // 5
        named("double", 8, 8, TypeKind::Float),                             // 6
        TypeDef::new(None, 8, 8, TypeKind::Pointer { pointee: TypeId(0) }), // 7
        enumeration("tiny", 1),                                             // 8
        enumeration("color", 4),                                            // 9
        array(11, 3, 3, 1),                                                 // 10: char[3]
        int("char", 1, true),                                               // 11
        array(13, 2, 24, 4),                                                // 12: int[2][3]
        array(0, 3, 12, 4),                                                 // 13: int[3]
        typedef("triple_t", 13, 12, 4),                                     // 14
        aggregate(
            Some("packed_s"),
            &[],
            5,
            1,
            false,
            vec![field(0, 1, Some("a"), 1), field(1, 4, Some("b"), 2)],
        ), // 15
        aggregate(
            Some(kw[0]),
            &[],
            8,
            4,
            false,
            vec![
                field(0, 4, Some(kw[1]), 0),
                field(4, 1, Some(kw[2]), 1),
                pad(5, 3),
            ],
        ), // 16
        aggregate(
            Some("u"),
            &[],
            8,
            4,
            true,
            vec![
                field(0, 4, Some("x"), 0),
                field(0, 3, Some(kw[3]), 10),
                pad(0, 8),
            ],
        ), // 17
        aggregate(
            None,
            &["outer", "inner"],
            8,
            4,
            false,
            vec![field(0, 4, Some("p"), 0), field(4, 4, Some("q"), 0)],
        ), // 18
        aggregate(
            Some("outer"),
            &[],
            12,
            4,
            false,
            vec![field(0, 8, Some("inner"), 18), field(8, 4, None, 20)],
        ), // 19
        aggregate(
            None,
            &["outer", "anon1"],
            4,
            4,
            true,
            vec![field(0, 4, Some("y"), 0), field(0, 4, Some("f"), 5)],
        ), // 20
        aggregate(
            Some("bits"),
            &[],
            8,
            4,
            false,
            vec![
                bits(0, 2, &[("a", 2, 0, 3), ("b", 2, 5, 4)]),
                field(2, 1, Some("c"), 1),
                pad(3, 1),
                bits(4, 3, &[("d", 2, 0, 20), ("e", 1, 20, 4)]),
                pad(7, 1),
            ],
        ), // 21
        aggregate(
            Some("aligned16"),
            &[],
            16,
            16,
            false,
            vec![field(0, 4, Some("x"), 0), pad(4, 12)],
        ), // 22
        int("__int128", 16, true),                                          // 23
    ]
}
