//! BTF type records, kept close to their encoding so re-encoding is exact.

use std::fmt;

/// `BTF_KIND_*` numbers from the kernel's UAPI `btf.h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
#[allow(missing_docs)] // the names are the UAPI ones
pub enum BtfKind {
    Void = 0,
    Int = 1,
    Ptr = 2,
    Array = 3,
    Struct = 4,
    Union = 5,
    Enum = 6,
    Fwd = 7,
    Typedef = 8,
    Volatile = 9,
    Const = 10,
    Restrict = 11,
    Func = 12,
    FuncProto = 13,
    Var = 14,
    Datasec = 15,
    Float = 16,
    DeclTag = 17,
    TypeTag = 18,
    Enum64 = 19,
}

impl BtfKind {
    /// The kind for a kind number; `None` for numbers this reader does not know.
    /// Kind 0 is not a valid record (only id 0 is void), so it maps to `None` too.
    pub fn from_u8(kind: u8) -> Option<BtfKind> {
        use BtfKind::*;
        const ALL: [BtfKind; 19] = [
            Int, Ptr, Array, Struct, Union, Enum, Fwd, Typedef, Volatile, Const, Restrict, Func,
            FuncProto, Var, Datasec, Float, DeclTag, TypeTag, Enum64,
        ];
        ALL.get(usize::from(kind).checked_sub(1)?).copied()
    }

    /// Lowercase name, as `bpftool btf dump` prints it (in lower case).
    pub fn name(self) -> &'static str {
        use BtfKind::*;
        match self {
            Void => "void",
            Int => "int",
            Ptr => "ptr",
            Array => "array",
            Struct => "struct",
            Union => "union",
            Enum => "enum",
            Fwd => "fwd",
            Typedef => "typedef",
            Volatile => "volatile",
            Const => "const",
            Restrict => "restrict",
            Func => "func",
            FuncProto => "func_proto",
            Var => "var",
            Datasec => "datasec",
            Float => "float",
            DeclTag => "decl_tag",
            TypeTag => "type_tag",
            Enum64 => "enum64",
        }
    }
}

impl fmt::Display for BtfKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `BTF_INT_SIGNED` in [`BtfType::Int`]'s `encoding`.
pub const BTF_INT_SIGNED: u8 = 1;
/// `BTF_INT_CHAR`.
pub const BTF_INT_CHAR: u8 = 2;
/// `BTF_INT_BOOL`.
pub const BTF_INT_BOOL: u8 = 4;

/// `BTF_VAR_STATIC`.
pub const BTF_VAR_STATIC: u32 = 0;
/// `BTF_VAR_GLOBAL_ALLOCATED`.
pub const BTF_VAR_GLOBAL_ALLOCATED: u32 = 1;
/// `BTF_VAR_GLOBAL_EXTERN`.
pub const BTF_VAR_GLOBAL_EXTERN: u32 = 2;

/// `BTF_FUNC_STATIC`.
pub const BTF_FUNC_STATIC: u16 = 0;
/// `BTF_FUNC_GLOBAL`.
pub const BTF_FUNC_GLOBAL: u16 = 1;
/// `BTF_FUNC_EXTERN`.
pub const BTF_FUNC_EXTERN: u16 = 2;

/// `struct btf_member`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BtfMember {
    /// Name (string offset; 0 for an anonymous member).
    pub name_off: u32,
    /// Member type.
    pub ty: u32,
    /// Raw offset field: a bit offset, or with the parent's kind_flag, bitfield size in the
    /// top 8 bits and bit offset in the low 24.
    pub offset: u32,
}

impl BtfMember {
    /// Bit offset from the start of the struct.
    pub fn bit_offset(&self, kind_flag: bool) -> u32 {
        if kind_flag {
            self.offset & 0x00ff_ffff
        } else {
            self.offset
        }
    }

    /// Bitfield size in bits, 0 when the member is not a bitfield (or when the struct uses the
    /// older encoding, where the width lives in the member's INT type).
    pub fn bitfield_size(&self, kind_flag: bool) -> u32 {
        if kind_flag {
            self.offset >> 24
        } else {
            0
        }
    }
}

/// `struct btf_enum`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BtfEnumValue {
    /// Enumerator name.
    pub name_off: u32,
    /// Raw 32-bit value.
    pub val: u32,
}

impl BtfEnumValue {
    /// The value as a 64-bit integer: sign-extended when the enum is signed.
    pub fn value(&self, signed: bool) -> i64 {
        if signed {
            i64::from(self.val as i32)
        } else {
            i64::from(self.val)
        }
    }
}

/// `struct btf_enum64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BtfEnum64Value {
    /// Enumerator name.
    pub name_off: u32,
    /// Low 32 bits.
    pub val_lo32: u32,
    /// High 32 bits.
    pub val_hi32: u32,
}

impl BtfEnum64Value {
    /// The 64-bit value's bits.
    pub fn value(&self) -> u64 {
        (u64::from(self.val_hi32) << 32) | u64::from(self.val_lo32)
    }
}

/// `struct btf_param`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BtfParam {
    /// Parameter name (0 when unnamed).
    pub name_off: u32,
    /// Parameter type (0 with a zero name for a trailing `...`).
    pub ty: u32,
}

/// `struct btf_var_secinfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BtfVarSecinfo {
    /// The `VAR` (or `FUNC`, for `.ksyms`) type id.
    pub ty: u32,
    /// Byte offset in the section.
    pub offset: u32,
    /// Size in bytes.
    pub size: u32,
}

/// One BTF type record. Every variant keeps its `name_off` and raw fields so that encoding
/// reproduces the input byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)] // fields are the UAPI ones; see the kernel's Documentation/bpf/btf.rst
pub enum BtfType {
    /// Type id 0; never encoded.
    Void,
    Int {
        name_off: u32,
        size: u32,
        encoding: u8,
        offset: u8,
        bits: u8,
    },
    Ptr {
        name_off: u32,
        ty: u32,
    },
    Array {
        name_off: u32,
        elem_ty: u32,
        index_ty: u32,
        nelems: u32,
    },
    Struct {
        name_off: u32,
        kind_flag: bool,
        size: u32,
        members: Vec<BtfMember>,
    },
    Union {
        name_off: u32,
        kind_flag: bool,
        size: u32,
        members: Vec<BtfMember>,
    },
    /// `kind_flag` set: the values are signed.
    Enum {
        name_off: u32,
        kind_flag: bool,
        size: u32,
        values: Vec<BtfEnumValue>,
    },
    /// `kind_flag` set: a forward declaration of a union, else of a struct.
    Fwd {
        name_off: u32,
        kind_flag: bool,
    },
    Typedef {
        name_off: u32,
        ty: u32,
    },
    Volatile {
        name_off: u32,
        ty: u32,
    },
    Const {
        name_off: u32,
        ty: u32,
    },
    Restrict {
        name_off: u32,
        ty: u32,
    },
    /// `linkage` is the record's vlen: `BTF_FUNC_STATIC`, `_GLOBAL` or `_EXTERN`.
    Func {
        name_off: u32,
        linkage: u16,
        ty: u32,
    },
    FuncProto {
        name_off: u32,
        ret_ty: u32,
        params: Vec<BtfParam>,
    },
    Var {
        name_off: u32,
        ty: u32,
        linkage: u32,
    },
    Datasec {
        name_off: u32,
        size: u32,
        vars: Vec<BtfVarSecinfo>,
    },
    Float {
        name_off: u32,
        size: u32,
    },
    /// `component_idx` -1 tags the type itself, else a member or parameter index.
    DeclTag {
        name_off: u32,
        kind_flag: bool,
        ty: u32,
        component_idx: i32,
    },
    TypeTag {
        name_off: u32,
        kind_flag: bool,
        ty: u32,
    },
    /// `kind_flag` set: the values are signed.
    Enum64 {
        name_off: u32,
        kind_flag: bool,
        size: u32,
        values: Vec<BtfEnum64Value>,
    },
}

impl BtfType {
    /// The record's kind.
    pub fn kind(&self) -> BtfKind {
        use BtfType as T;
        match self {
            T::Void => BtfKind::Void,
            T::Int { .. } => BtfKind::Int,
            T::Ptr { .. } => BtfKind::Ptr,
            T::Array { .. } => BtfKind::Array,
            T::Struct { .. } => BtfKind::Struct,
            T::Union { .. } => BtfKind::Union,
            T::Enum { .. } => BtfKind::Enum,
            T::Fwd { .. } => BtfKind::Fwd,
            T::Typedef { .. } => BtfKind::Typedef,
            T::Volatile { .. } => BtfKind::Volatile,
            T::Const { .. } => BtfKind::Const,
            T::Restrict { .. } => BtfKind::Restrict,
            T::Func { .. } => BtfKind::Func,
            T::FuncProto { .. } => BtfKind::FuncProto,
            T::Var { .. } => BtfKind::Var,
            T::Datasec { .. } => BtfKind::Datasec,
            T::Float { .. } => BtfKind::Float,
            T::DeclTag { .. } => BtfKind::DeclTag,
            T::TypeTag { .. } => BtfKind::TypeTag,
            T::Enum64 { .. } => BtfKind::Enum64,
        }
    }

    /// The name's string offset (0 for void and anonymous types).
    pub fn name_off(&self) -> u32 {
        use BtfType as T;
        match self {
            T::Void => 0,
            T::Int { name_off, .. }
            | T::Ptr { name_off, .. }
            | T::Array { name_off, .. }
            | T::Struct { name_off, .. }
            | T::Union { name_off, .. }
            | T::Enum { name_off, .. }
            | T::Fwd { name_off, .. }
            | T::Typedef { name_off, .. }
            | T::Volatile { name_off, .. }
            | T::Const { name_off, .. }
            | T::Restrict { name_off, .. }
            | T::Func { name_off, .. }
            | T::FuncProto { name_off, .. }
            | T::Var { name_off, .. }
            | T::Datasec { name_off, .. }
            | T::Float { name_off, .. }
            | T::DeclTag { name_off, .. }
            | T::TypeTag { name_off, .. }
            | T::Enum64 { name_off, .. } => *name_off,
        }
    }

    /// For the single-reference kinds (pointer, typedef, qualifiers, func, var, tags): the
    /// referenced type id.
    pub fn referenced(&self) -> Option<u32> {
        use BtfType as T;
        match self {
            T::Ptr { ty, .. }
            | T::Typedef { ty, .. }
            | T::Volatile { ty, .. }
            | T::Const { ty, .. }
            | T::Restrict { ty, .. }
            | T::Func { ty, .. }
            | T::Var { ty, .. }
            | T::DeclTag { ty, .. }
            | T::TypeTag { ty, .. } => Some(*ty),
            _ => None,
        }
    }

    /// Every type id this record refers to, in encoding order.
    pub fn type_refs(&self) -> Vec<u32> {
        use BtfType as T;
        match self {
            T::Array {
                elem_ty, index_ty, ..
            } => vec![*elem_ty, *index_ty],
            T::Struct { members, .. } | T::Union { members, .. } => {
                members.iter().map(|m| m.ty).collect()
            }
            T::FuncProto { ret_ty, params, .. } => std::iter::once(*ret_ty)
                .chain(params.iter().map(|p| p.ty))
                .collect(),
            T::Datasec { vars, .. } => vars.iter().map(|v| v.ty).collect(),
            other => other.referenced().into_iter().collect(),
        }
    }

    /// Every string offset this record holds: its name, then member, value and parameter names.
    pub fn string_refs(&self) -> Vec<u32> {
        use BtfType as T;
        let mut out = vec![self.name_off()];
        match self {
            T::Struct { members, .. } | T::Union { members, .. } => {
                out.extend(members.iter().map(|m| m.name_off))
            }
            T::Enum { values, .. } => out.extend(values.iter().map(|v| v.name_off)),
            T::Enum64 { values, .. } => out.extend(values.iter().map(|v| v.name_off)),
            T::FuncProto { params, .. } => out.extend(params.iter().map(|p| p.name_off)),
            _ => {}
        }
        out
    }

    /// Struct or union members with the record's kind_flag, if this is one.
    pub fn members(&self) -> Option<(&[BtfMember], bool)> {
        match self {
            BtfType::Struct {
                members, kind_flag, ..
            }
            | BtfType::Union {
                members, kind_flag, ..
            } => Some((members, *kind_flag)),
            _ => None,
        }
    }
}
