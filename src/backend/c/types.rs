//! C definitions of the types the typed data views use, printed from the [`TypeTable`].
//!
//! Named structs and unions keep their names (as bpftool's headers do), each definition
//! guarded so headers sharing it define it once; anonymous ones reached through a named
//! member get a tag built from the object name and their `name_hint`; anonymous members are
//! printed inline. Typedefs of structs, unions and arrays are defined; typedefs of scalars
//! are printed as the scalar, since users' headers often define the same names otherwise.
//! Enums are printed as integers of their size, pointers as `uint64_t` (a BPF pointer is 8
//! bytes whatever the host). Every layout
//! is spelled out: explicit padding arrays, real bitfields, `packed`/`aligned` attributes
//! where C's own rules would differ, and static assertions on sizes and offsets.

use super::names::{self, Dialect};
use crate::backend::BackendError;
use crate::ir::types::{Member, MemberKind, TypeDef, TypeKind};
use crate::ir::{TypeId, TypeTable};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

mod body;
mod named;

/// One top-level definition: its lines, then the assertions that check its layout.
#[derive(Debug, Clone, Serialize)]
pub struct TypeDefView {
    /// For a struct or union under its own name from the object: the macro that guards its
    /// definition, so headers (or the user) sharing the type define it once.
    pub guard: Option<String>,
    /// The definition, one C line each, indented with tabs.
    pub lines: Vec<String>,
    /// `SKELGEN_STATIC_ASSERT(...)` conditions and messages.
    pub asserts: Vec<AssertView>,
}

/// One static assertion.
#[derive(Debug, Clone, Serialize)]
pub struct AssertView {
    /// The condition, in C.
    pub cond: String,
    /// The message, already escaped for a string literal.
    pub msg: String,
}

/// Typedef names the header must not define: the C library or the compiler owns them.
const FOREIGN_TYPEDEFS: &[&str] = &[
    "bool",
    "int8_t",
    "int16_t",
    "int32_t",
    "int64_t",
    "uint8_t",
    "uint16_t",
    "uint32_t",
    "uint64_t",
    "intptr_t",
    "uintptr_t",
    "size_t",
    "ssize_t",
    "ptrdiff_t",
    "wchar_t",
    "off_t",
    "pid_t",
    "uid_t",
    "gid_t",
    "mode_t",
    "time_t",
    "char16_t",
    "char32_t",
];

/// Spellings of integer and float types C and C++ share with BTF, printed as they are.
const C_SCALARS: &[&str] = &[
    "char",
    "signed char",
    "unsigned char",
    "short",
    "short int",
    "unsigned short",
    "short unsigned int",
    "unsigned short int",
    "int",
    "signed int",
    "unsigned int",
    "unsigned",
    "long",
    "long int",
    "unsigned long",
    "long unsigned int",
    "unsigned long int",
    "long long",
    "long long int",
    "unsigned long long",
    "long long unsigned int",
    "unsigned long long int",
    "float",
    "double",
    "long double",
];

/// Collects definitions in dependency order.
pub struct TypePrinter<'a> {
    table: &'a TypeTable,
    object: String,
    dialect: Dialect,
    /// Spelling of every struct, union or typedef already given a name.
    spelled: BTreeMap<TypeId, String>,
    /// Names taken, per C namespace (`tag` or `ordinary`), with their type.
    taken: BTreeMap<(bool, String), TypeId>,
    done: BTreeSet<TypeId>,
    /// The definitions, in the order they must appear.
    pub defs: Vec<TypeDefView>,
}

impl<'a> TypePrinter<'a> {
    /// A printer for `table`; `object` prefixes the tags of anonymous types.
    pub fn new(table: &'a TypeTable, object: &str) -> Self {
        Self::for_dialect(table, object, Dialect::User)
    }

    /// A printer for the header of `dialect`: the kernel's spells fixed-size integers and
    /// pointers with the kernel's types (`u32`, `s64`) instead of `<stdint.h>`'s.
    pub fn for_dialect(table: &'a TypeTable, object: &str, dialect: Dialect) -> Self {
        TypePrinter {
            table,
            object: object.to_string(),
            dialect,
            spelled: BTreeMap::new(),
            taken: BTreeMap::new(),
            done: BTreeSet::new(),
            defs: Vec::new(),
        }
    }

    /// The dialect the printer writes.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    fn get(&self, id: TypeId) -> Result<&'a TypeDef, BackendError> {
        self.table.get(id).ok_or_else(|| BackendError::Unsupported {
            what: format!("type {}", id.0),
            reason: "not in the type table".into(),
        })
    }

    /// Defines the struct `id` under the tag `tag`, keeping only the fields `keep` accepts
    /// (others become padding): how a data section's struct is printed.
    pub fn define_as(
        &mut self,
        id: TypeId,
        tag: &str,
        keep: &dyn Fn(&str) -> bool,
    ) -> Result<(), BackendError> {
        let def = self.get(id)?;
        let TypeKind::Struct { members } = &def.kind else {
            return Err(BackendError::Unsupported {
                what: format!("section layout {tag}"),
                reason: "not a struct".into(),
            });
        };
        let members: Vec<Member> = members
            .iter()
            .map(|m| match &m.kind {
                MemberKind::Field { name: Some(n), .. } if !keep(n) => Member {
                    offset: m.offset,
                    size: m.size,
                    kind: MemberKind::Padding,
                },
                _ => m.clone(),
            })
            .collect();
        for m in &members {
            self.require_member(m)?;
        }
        let spelled = format!("struct {tag}");
        self.emit_aggregate(def, &spelled, &members)
    }

    fn require_member(&mut self, m: &Member) -> Result<(), BackendError> {
        match &m.kind {
            MemberKind::Field { ty, .. } => self.require(*ty),
            MemberKind::Bitfields { fields } => fields.iter().try_for_each(|f| self.require(f.ty)),
            MemberKind::Padding => Ok(()),
        }
    }

    /// Emits the definitions `id` needs by value, in dependency order.
    fn require(&mut self, id: TypeId) -> Result<(), BackendError> {
        if self.done.contains(&id) {
            return Ok(());
        }
        self.done.insert(id);
        let def = self.get(id)?;
        match &def.kind {
            TypeKind::Array { elem, .. } => self.require(*elem),
            TypeKind::Typedef { target } => {
                self.require(*target)?;
                self.emit_typedef(id, def, *target)
            }
            TypeKind::Struct { members } | TypeKind::Union { members } => {
                for m in members {
                    self.require_inline(m)?;
                }
                let spelled = self.name_aggregate(id, def)?;
                self.emit_aggregate(def, &spelled, members)
            }
            _ => Ok(()),
        }
    }

    /// Like [`Self::require_member`], but an anonymous member's own members are required
    /// instead of the member (it is printed inline).
    fn require_inline(&mut self, m: &Member) -> Result<(), BackendError> {
        if let MemberKind::Field { name: None, ty } = &m.kind {
            let def = self.get(*ty)?;
            if let TypeKind::Struct { members } | TypeKind::Union { members } = &def.kind {
                self.done.insert(*ty);
                return members.iter().try_for_each(|m| self.require_inline(m));
            }
        }
        self.require_member(m)
    }

    /// Claims a name in the tag (`tag = true`) or ordinary namespace; a name already held
    /// by another type gets a `__2`, `__3`, ... suffix.
    fn claim(&mut self, tag: bool, name: &str, id: TypeId) -> String {
        let mut candidate = name.to_string();
        let mut n = 1;
        while let Some(&owner) = self.taken.get(&(tag, candidate.clone())) {
            if owner == id {
                return candidate;
            }
            n += 1;
            candidate = format!("{name}__{n}");
        }
        self.taken.insert((tag, candidate.clone()), id);
        candidate
    }

    fn name_aggregate(&mut self, id: TypeId, def: &TypeDef) -> Result<String, BackendError> {
        if let Some(s) = self.spelled.get(&id) {
            return Ok(s.clone());
        }
        let keyword = if matches!(def.kind, TypeKind::Union { .. }) {
            "union"
        } else {
            "struct"
        };
        let base = match &def.name {
            Some(n) => self.dialect.ident(&format!("{keyword} tag"), n)?,
            None if def.name_hint.is_empty() => format!("{}__anon{}", self.object, id.0),
            None => {
                let hint: Vec<String> = def
                    .name_hint
                    .iter()
                    .map(|h| self.dialect.section_ident(h))
                    .collect();
                format!("{}__{}", self.object, hint.join("__"))
            }
        };
        let tag = self.claim(true, &base, id);
        let spelled = format!("{keyword} {tag}");
        self.spelled.insert(id, spelled.clone());
        Ok(spelled)
    }

    fn emit_typedef(
        &mut self,
        id: TypeId,
        def: &TypeDef,
        target: TypeId,
    ) -> Result<(), BackendError> {
        let Some(name) = &def.name else {
            return Ok(());
        };
        // Typedefs of scalars (`__u64`, `u32`, `pid_t`) are not defined: the user's headers
        // may define the same names as other types of the same size (`__u64` is `unsigned
        // long` on some targets, a user's `u64` often `uint64_t`), which C refuses. The
        // scalar's own spelling is printed instead.
        let mut resolved = self.get(target)?;
        while let TypeKind::Typedef { target } = resolved.kind {
            resolved = self.get(target)?;
        }
        let plain = !matches!(
            resolved.kind,
            TypeKind::Struct { .. } | TypeKind::Union { .. } | TypeKind::Array { .. }
        );
        if FOREIGN_TYPEDEFS.contains(&name.as_str()) || plain || self.dialect.escape(name) != *name
        {
            return Ok(());
        }
        let ident = self.dialect.ident("typedef", name)?;
        let ident = self.claim(false, &ident, id);
        let (base, suffix) = self.spell(target)?;
        self.spelled.insert(id, ident.clone());
        self.defs.push(TypeDefView {
            guard: None,
            lines: vec![format!("typedef {base} {ident}{suffix};")],
            asserts: vec![size_assert(&ident, def.size)],
        });
        Ok(())
    }

    /// The base type and declarator suffix of `id` (`("char", "[6]")`).
    fn spell(&self, id: TypeId) -> Result<(String, String), BackendError> {
        let def = self.get(id)?;
        Ok(match &def.kind {
            TypeKind::Void => ("void".into(), String::new()),
            TypeKind::Int { is_bool: true, .. } => match self.dialect {
                Dialect::User => ("SKELGEN_BOOL".into(), String::new()),
                Dialect::Kernel => ("bool".into(), String::new()),
            },
            TypeKind::Int { signed, .. } | TypeKind::Enum { signed, .. } => {
                (scalar(def, *signed, self.dialect)?, String::new())
            }
            TypeKind::Float => match float(def) {
                Some(name) => (name, String::new()),
                // `_Float16` and other widths C11 lacks: opaque bytes of the same size.
                None => (byte(self.dialect).into(), format!("[{}]", def.size)),
            },
            TypeKind::Pointer { .. } => (fixed_int(false, 8, self.dialect), String::new()),
            TypeKind::Array { elem, len } => {
                let (base, suffix) = self.spell(*elem)?;
                (base, format!("[{len}]{suffix}"))
            }
            TypeKind::Typedef { target } => match self.spelled.get(&id) {
                Some(s) => (s.clone(), String::new()),
                None => self.spell(*target)?,
            },
            TypeKind::Struct { .. } | TypeKind::Union { .. } => match self.spelled.get(&id) {
                Some(s) => (s.clone(), String::new()),
                None => return Err(unsupported(def, "used before it is defined")),
            },
            TypeKind::FuncProto | TypeKind::Fwd { .. } => {
                return Err(unsupported(
                    def,
                    "has no layout and cannot be held by value",
                ))
            }
        })
    }

    /// Whether ISO C allows `id` as a bitfield type (`int`, `unsigned int`, `_Bool`, through
    /// typedefs); others need `__extension__` under `-pedantic`.
    fn plain_bitfield(&self, id: TypeId) -> Result<bool, BackendError> {
        let def = self.get(id)?;
        Ok(match &def.kind {
            TypeKind::Typedef { target } => self.plain_bitfield(*target)?,
            TypeKind::Int { is_bool: true, .. } => true,
            TypeKind::Int { .. } => {
                def.size == 4 && def.name.as_deref().is_some_and(|n| C_SCALARS.contains(&n))
            }
            _ => false,
        })
    }

    /// Natural alignment of `id` as C lays it out from our spelling.
    fn c_align(&self, id: TypeId) -> Result<u32, BackendError> {
        let def = self.get(id)?;
        Ok(match &def.kind {
            TypeKind::Array { elem, .. } => self.c_align(*elem)?,
            TypeKind::Typedef { target } => self.c_align(*target)?,
            TypeKind::Struct { .. } | TypeKind::Union { .. } => def.align,
            TypeKind::Pointer { .. } => 8,
            TypeKind::Float if float(def).is_none() => 1,
            _ => def.size.clamp(1, 16),
        })
    }
}

fn scalar(def: &TypeDef, signed: bool, dialect: Dialect) -> Result<String, BackendError> {
    if let (Some(n), TypeKind::Int { .. }) = (&def.name, &def.kind) {
        // The kernel spells integers by size (u32, s64); `char` stays, it holds text.
        if C_SCALARS.contains(&n.as_str()) && (dialect == Dialect::User || n == "char") {
            return Ok(n.clone());
        }
    }
    Ok(match def.size {
        1 | 2 | 4 | 8 => fixed_int(signed, def.size, dialect),
        16 if signed => "__int128".into(),
        16 => "unsigned __int128".into(),
        _ => return Err(unsupported(def, "integer of an unusual size")),
    })
}

/// The type of padding and opaque bytes in `dialect`.
pub(crate) fn byte(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::User => "unsigned char",
        Dialect::Kernel => "u8",
    }
}

/// The fixed-size integer of `size` bytes (1, 2, 4 or 8) in `dialect`.
pub(crate) fn fixed_int(signed: bool, size: u32, dialect: Dialect) -> String {
    let bits = size * 8;
    match (dialect, signed) {
        (Dialect::User, true) => format!("int{bits}_t"),
        (Dialect::User, false) => format!("uint{bits}_t"),
        (Dialect::Kernel, true) => format!("s{bits}"),
        (Dialect::Kernel, false) => format!("u{bits}"),
    }
}

fn float(def: &TypeDef) -> Option<String> {
    match (def.name.as_deref(), def.size) {
        (Some(n), _) if C_SCALARS.contains(&n) => Some(n.to_string()),
        (_, 4) => Some("float".into()),
        (_, 8) => Some("double".into()),
        (_, 16) => Some("long double".into()),
        _ => None,
    }
}

fn is_extension(base: &str) -> bool {
    base.contains("__int128")
}

fn unsupported(def: &TypeDef, reason: &str) -> BackendError {
    BackendError::Unsupported {
        what: format!("type {}", def.name.as_deref().unwrap_or("(anonymous)")),
        reason: reason.into(),
    }
}

fn size_assert(spelled: &str, size: u32) -> AssertView {
    AssertView {
        cond: format!("sizeof({spelled}) == {size}"),
        msg: names::c_string(&format!("{spelled}: size")),
    }
}

fn offset_assert(spelled: &str, field: &str, offset: u32) -> AssertView {
    AssertView {
        cond: format!("offsetof({spelled}, {field}) == {offset}"),
        msg: names::c_string(&format!("{spelled}: offset of {field}")),
    }
}
