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
    /// First bit, counted from the start of the storage unit as BTF counts: from the least
    /// significant bit of the first byte on little-endian targets.
    pub bit_offset: u32,
    /// Width in bits.
    pub bits: u32,
}
