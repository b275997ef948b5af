//! The type table: C types reachable from maps and global data, with layout made explicit.
//!
//! Backends print these; they never look at BTF. Every struct lists its members in offset
//! order with explicit padding, so a backend only has to print what it sees: the sizes of a
//! struct's members add up to the struct's size. Qualifiers (`const`, `volatile`,
//! `restrict`, type tags) are dropped, since none of the target languages can express them
//! in a data layout.

use serde::{Deserialize, Serialize};

/// Index into [`TypeTable::types`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TypeId(pub u32);

/// All types the backends need, in a stable order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TypeTable {
    /// The types; a [`TypeId`] is an index into this vector.
    pub types: Vec<TypeDef>,
}

impl TypeTable {
    /// The type with this id, if it exists.
    pub fn get(&self, id: TypeId) -> Option<&TypeDef> {
        self.types.get(id.0 as usize)
    }
}

/// One type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypeDef {
    /// C name, if the type has one (`int`, the tag of `struct foo`, a typedef's name).
    pub name: Option<String>,
    /// For an anonymous struct, union or enum: where it was first met, as a path from the
    /// nearest named type or section through member names (`["S", "inner"]`, or
    /// `["anon3"]`-style elements for unnamed members, by member index). Backends that need
    /// a name for it build one from this. Empty for named types.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub name_hint: Vec<String>,
    /// Size in bytes (0 for void, function prototypes and forward declarations).
    pub size: u32,
    /// Alignment in bytes, at least 1. For a struct that was packed this is 1.
    pub align: u32,
    /// What kind of type it is.
    pub kind: TypeKind,
}

/// The shape of a type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum TypeKind {
    /// `void`; only meaningful behind a pointer.
    Void,
    /// An integer of `size` bytes.
    Int {
        /// Signed.
        signed: bool,
        /// C `_Bool`.
        is_bool: bool,
        /// A character type (`char`): print as the language's byte type.
        is_char: bool,
    },
    /// A floating-point number of `size` bytes.
    Float,
    /// A pointer (8 bytes on BPF). User space sees it only as an address-sized value.
    Pointer {
        /// The pointed-to type.
        pointee: TypeId,
    },
    /// A fixed-length array; `len` 0 is a flexible array member.
    Array {
        /// Element type.
        elem: TypeId,
        /// Number of elements.
        len: u32,
    },
    /// A struct: members in offset order, gaps filled with padding.
    Struct {
        /// The members.
        members: Vec<Member>,
    },
    /// A union: every member at offset 0; padding to the full size if no member fills it.
    Union {
        /// The members.
        members: Vec<Member>,
    },
    /// An enumeration of `size` bytes.
    Enum {
        /// Whether the values are signed.
        signed: bool,
        /// The enumerators in declaration order.
        values: Vec<EnumValue>,
    },
    /// A typedef: another name for `target`.
    Typedef {
        /// The aliased type.
        target: TypeId,
    },
    /// A function prototype; opaque, appears only behind pointers.
    FuncProto,
    /// A forward declaration of a struct or union whose body is not in the object.
    Fwd {
        /// `union` rather than `struct`.
        is_union: bool,
    },
}

/// One enumerator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnumValue {
    /// Its name.
    pub name: String,
    /// Its value. For an unsigned enum, read it as `u64` (`value as u64`): values above
    /// `i64::MAX` appear negative here.
    pub value: i64,
}

/// One member of a struct or union, covering bytes `offset .. offset + size`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    /// Byte offset from the start of the struct.
    pub offset: u32,
    /// Bytes covered.
    pub size: u32,
    /// What occupies them.
    pub kind: MemberKind,
}

/// What a [`Member`] holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum MemberKind {
    /// An ordinary field.
    Field {
        /// Field name; `None` for an anonymous nested struct or union, whose members C
        /// reaches directly.
        name: Option<String>,
        /// Field type.
        ty: TypeId,
    },
    /// Bytes no field covers (alignment gaps, tail padding, bits of padding bitfields).
    Padding,
    /// One storage unit of adjacent bitfields. Rust and Go print it as `size` opaque bytes;
    /// C prints the fields as real bitfields.
    Bitfields {
        /// The bitfields in offset order.
        fields: Vec<Bitfield>,
    },
}

/// One bitfield inside a [`MemberKind::Bitfields`] unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bitfield {
    /// Field name (`None` for an unnamed one).
    pub name: Option<String>,
    /// Declared type (an integer or enum, possibly through a typedef).
    pub ty: TypeId,
    /// First bit, counted from the start of the storage unit in memory order as BTF counts
    /// bits: from the least significant bit of the first byte on little-endian targets, from
    /// the most significant bit on big-endian ones.
    pub bit_offset: u32,
    /// Width in bits.
    pub bits: u32,
}

impl TypeDef {
    /// A type with no name hint.
    pub fn new(name: Option<String>, size: u32, align: u32, kind: TypeKind) -> TypeDef {
        TypeDef {
            name,
            name_hint: Vec::new(),
            size,
            align,
            kind,
        }
    }
}

/// A struct or union member before layout: the bits it covers and what it is.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedMember {
    /// First bit, from the start of the struct.
    pub start_bit: u64,
    /// One past the last bit.
    pub end_bit: u64,
    /// Member name, `None` when anonymous.
    pub name: Option<String>,
    /// Member type.
    pub ty: TypeId,
    /// Whether it is a bitfield (otherwise it must start and end on byte boundaries).
    pub bitfield: bool,
}

/// Why a set of members cannot be laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayoutError {
    /// Bit offset of the offending member.
    pub bit_offset: u64,
    /// What is wrong.
    pub what: &'static str,
}

/// An open storage unit of bitfields: first byte, one past the last byte, the fields.
type Unit = (u64, u64, Vec<Bitfield>);

/// Lays out struct members: orders them by offset, groups bitfields that share bytes into
/// one storage unit, and fills every gap (tail included) with padding, so the member sizes
/// add up to `size`.
pub fn lay_out_struct(
    size: u32,
    mut placed: Vec<PlacedMember>,
) -> Result<Vec<Member>, LayoutError> {
    placed.sort_by_key(|p| p.start_bit);
    let mut out = Vec::new();
    let mut cursor: u64 = 0; // first byte not yet covered
    let mut unit: Option<Unit> = None;
    for p in placed {
        let err = |what| LayoutError {
            bit_offset: p.start_bit,
            what,
        };
        if p.bitfield {
            if !matches!(&unit, Some((_, end, _)) if p.start_bit < end * 8) {
                close_unit(&mut out, &mut unit, &mut cursor);
                let start = p.start_bit / 8;
                pad_to(&mut out, &mut cursor, start).map_err(err)?;
                unit = Some((start, start, Vec::new()));
            }
            if let Some((start, end, fields)) = unit.as_mut() {
                *end = (*end).max(p.end_bit.div_ceil(8));
                let bit_offset = (p.start_bit - *start * 8) as u32;
                let bits = (p.end_bit - p.start_bit) as u32;
                fields.push(Bitfield {
                    name: p.name,
                    ty: p.ty,
                    bit_offset,
                    bits,
                });
            }
            continue;
        }
        close_unit(&mut out, &mut unit, &mut cursor);
        if p.start_bit % 8 != 0 || p.end_bit % 8 != 0 {
            return Err(err("member not on byte boundaries"));
        }
        pad_to(&mut out, &mut cursor, p.start_bit / 8).map_err(err)?;
        let kind = MemberKind::Field {
            name: p.name,
            ty: p.ty,
        };
        let size = ((p.end_bit - p.start_bit) / 8) as u32;
        out.push(Member {
            offset: (p.start_bit / 8) as u32,
            size,
            kind,
        });
        cursor = p.end_bit / 8;
    }
    close_unit(&mut out, &mut unit, &mut cursor);
    if cursor > u64::from(size) {
        return Err(LayoutError {
            bit_offset: cursor * 8,
            what: "member extends past the end",
        });
    }
    pad_to(&mut out, &mut cursor, size.into()).map_err(|what| LayoutError {
        bit_offset: 0,
        what,
    })?;
    Ok(out)
}

/// Ends the open bitfield storage unit, if any.
fn close_unit(out: &mut Vec<Member>, unit: &mut Option<Unit>, cursor: &mut u64) {
    if let Some((start, end, fields)) = unit.take() {
        let kind = MemberKind::Bitfields { fields };
        out.push(Member {
            offset: start as u32,
            size: (end - start) as u32,
            kind,
        });
        *cursor = end;
    }
}

/// Pads from `cursor` up to byte `to`; fails if `to` is behind (members overlap).
fn pad_to(out: &mut Vec<Member>, cursor: &mut u64, to: u64) -> Result<(), &'static str> {
    if to < *cursor {
        return Err("member overlaps the previous one");
    }
    if to > *cursor {
        let (offset, size) = (*cursor as u32, (to - *cursor) as u32);
        out.push(Member {
            offset,
            size,
            kind: MemberKind::Padding,
        });
        *cursor = to;
    }
    Ok(())
}

/// Lays out union members: all at offset 0 (a bitfield keeps its bit offset inside its own
/// unit), plus one padding member covering `size` when no member is that wide.
pub fn lay_out_union(size: u32, placed: Vec<PlacedMember>) -> Result<Vec<Member>, LayoutError> {
    let mut out = Vec::with_capacity(placed.len() + 1);
    let mut widest = 0u64;
    for p in placed {
        let err = |what| LayoutError {
            bit_offset: p.start_bit,
            what,
        };
        let end = p.end_bit.div_ceil(8);
        if end > u64::from(size) {
            return Err(err("member extends past the end"));
        }
        widest = widest.max(end);
        let kind = if p.bitfield {
            let bits = (p.end_bit - p.start_bit) as u32;
            let field = Bitfield {
                name: p.name,
                ty: p.ty,
                bit_offset: p.start_bit as u32,
                bits,
            };
            MemberKind::Bitfields {
                fields: vec![field],
            }
        } else if p.start_bit != 0 {
            return Err(err("union member not at offset 0"));
        } else {
            MemberKind::Field {
                name: p.name,
                ty: p.ty,
            }
        };
        out.push(Member {
            offset: 0,
            size: end as u32,
            kind,
        });
    }
    if widest < u64::from(size) {
        out.push(Member {
            offset: 0,
            size,
            kind: MemberKind::Padding,
        });
    }
    Ok(out)
}
