//! Rust definitions of the types the typed data views use, printed from the [`TypeTable`]
//! into the skeleton's `types` module.
//!
//! Structs and unions keep their C names (the module allows `non_camel_case_types`), so
//! they read as in the BPF source; anonymous ones are named from their `name_hint`. Every
//! definition is `#[repr(C)]` with its layout spelled out: explicit padding fields, bitfield
//! storage units as byte arrays with getter and setter methods, `packed`/`align` where
//! Rust's own rules would differ, and compile-time assertions of every size and offset.
//! Fields of unions and of anonymous members are reached through methods, so reading them
//! needs no `unsafe` from the user. Scalars: enums as integers of their size, pointers as
//! `u64` (a BPF pointer is 8 bytes whatever the host), `_Bool` and `char` as `u8`, since a
//! BPF program may store any byte there.

use super::names;
use crate::backend::model::Scope;
use crate::backend::BackendError;
use crate::ir::types::{Member, MemberKind, TypeDef, TypeKind};
use crate::ir::{TypeId, TypeTable};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

mod body;
mod named;

pub use named::{EnumValueView, EnumView};

/// One struct or union definition.
#[derive(Debug, Clone, Serialize)]
pub struct TypeView {
    /// Doc comment: what the type is in the object.
    pub doc: String,
    /// `struct` or `union`.
    pub keyword: &'static str,
    /// Its name in the `types` module.
    pub name: String,
    /// The contents of `#[repr(...)]`.
    pub repr: String,
    /// The fields, in order.
    pub fields: Vec<FieldView>,
    /// Getter and setter methods.
    pub accessors: Vec<AccessorView>,
    /// Compile-time layout checks.
    pub asserts: Vec<AssertView>,
}

/// One field.
#[derive(Debug, Clone, Serialize)]
pub struct FieldView {
    /// Field name, escaped.
    pub name: String,
    /// Field type.
    pub ty: String,
}

/// A getter and a setter for a value the user cannot reach as a plain field.
#[derive(Debug, Clone, Serialize)]
pub struct AccessorView {
    /// What it reaches, for the doc comments.
    pub doc: String,
    /// Getter name.
    pub get: String,
    /// Setter name.
    pub set: String,
    /// The value's type.
    pub ty: String,
    /// The getter's body.
    pub read: String,
    /// The setter's body (`value` holds the new value).
    pub write: String,
}

/// One compile-time assertion.
#[derive(Debug, Clone, Serialize)]
pub struct AssertView {
    /// The condition, in Rust.
    pub cond: String,
    /// The message, a string literal with its quotes.
    pub msg: String,
}

/// A `pub type` alias for a C typedef of a struct, union or array.
#[derive(Debug, Clone, Serialize)]
pub struct AliasView {
    /// The typedef's name.
    pub name: String,
    /// The aliased type.
    pub target: String,
}

/// Collects definitions in dependency order.
pub struct TypePrinter<'a> {
    table: &'a TypeTable,
    /// Spelling of every struct, union or typedef already named.
    spelled: BTreeMap<TypeId, String>,
    /// Item names of the `types` module.
    items: Scope,
    done: BTreeSet<TypeId>,
    /// The struct and union definitions, in order.
    pub defs: Vec<TypeView>,
    /// Typedef aliases.
    pub aliases: Vec<AliasView>,
    /// The enums `--type` asked for.
    pub enums: Vec<EnumView>,
}

impl<'a> TypePrinter<'a> {
    /// A printer for `table`.
    pub fn new(table: &'a TypeTable) -> Self {
        TypePrinter {
            table,
            spelled: BTreeMap::new(),
            items: Scope::default(),
            done: BTreeSet::new(),
            defs: Vec::new(),
            aliases: Vec::new(),
            enums: Vec::new(),
        }
    }

    fn get(&self, id: TypeId) -> Result<&'a TypeDef, BackendError> {
        self.table.get(id).ok_or_else(|| BackendError::Unsupported {
            what: format!("type {}", id.0),
            reason: "not in the type table".into(),
        })
    }

    /// Claims `name` in the `types` module for a type the skeleton itself defines (a data
    /// section's struct), before any type of the object is named.
    ///
    /// # Errors
    /// When two sections would share the name.
    pub fn reserve(&mut self, owner: &str, name: &str) -> Result<(), BackendError> {
        self.items.claim(owner, name)
    }

    /// Defines the struct `id` as `name` (reserved before), keeping only the fields `keep`
    /// accepts (others become padding) and padding its size up to its alignment: how a data
    /// section's struct is printed.
    ///
    /// # Errors
    /// When the layout is not a struct or one of its types cannot be printed.
    pub fn define_section(
        &mut self,
        id: TypeId,
        name: &str,
        section: &str,
        keep: &dyn Fn(&str) -> bool,
    ) -> Result<(), BackendError> {
        let def = self.get(id)?;
        let TypeKind::Struct { members } = &def.kind else {
            return Err(BackendError::Unsupported {
                what: format!("section {section}"),
                reason: "its layout is not a struct".into(),
            });
        };
        let mut members: Vec<Member> = members
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
        // A section's size need not be a multiple of its alignment; Rust rounds it up, so
        // the rounding is made explicit and the struct has no implicit padding.
        let rounded = def.size.next_multiple_of(def.align.max(1));
        if rounded > def.size {
            members.push(Member {
                offset: def.size,
                size: rounded - def.size,
                kind: MemberKind::Padding,
            });
        }
        let mut section_def = def.clone();
        section_def.size = rounded;
        let doc = format!("The `{section}` section: its global variables at their offsets.");
        self.emit_aggregate(&section_def, name, doc, &members)
    }

    fn require_member(&mut self, m: &Member) -> Result<(), BackendError> {
        match &m.kind {
            MemberKind::Field { ty, .. } => self.require(*ty),
            MemberKind::Bitfields { fields } => fields.iter().try_for_each(|f| self.require(f.ty)),
            MemberKind::Padding => Ok(()),
        }
    }

    /// Emits the definitions `id` needs by value, dependencies first.
    fn require(&mut self, id: TypeId) -> Result<(), BackendError> {
        if !self.done.insert(id) {
            return Ok(());
        }
        let def = self.get(id)?;
        match &def.kind {
            TypeKind::Array { elem, .. } => self.require(*elem),
            TypeKind::Typedef { target } => {
                self.require(*target)?;
                self.emit_typedef(id, def, *target)
            }
            TypeKind::Struct { members } | TypeKind::Union { members } => {
                for m in members {
                    self.require_member(m)?;
                }
                let name = self.name_aggregate(id, def)?;
                let doc = match (&def.name, &def.kind) {
                    (Some(n), TypeKind::Union { .. }) => format!("`union {n}` of the object."),
                    (Some(n), _) => format!("`struct {n}` of the object."),
                    (None, _) => format!(
                        "An anonymous {} of the object, inside `{}`.",
                        keyword(def),
                        def.name_hint.join(".")
                    ),
                };
                self.emit_aggregate(def, &name, doc, members)
            }
            _ => Ok(()),
        }
    }

    fn name_aggregate(&mut self, id: TypeId, def: &TypeDef) -> Result<String, BackendError> {
        if let Some(s) = self.spelled.get(&id) {
            return Ok(s.clone());
        }
        let owner = format!(
            "{} {}",
            keyword(def),
            def.name.as_deref().unwrap_or("(anon)")
        );
        let base = match &def.name {
            Some(n) => names::ident(&format!("{} name", keyword(def)), n)?,
            None if def.name_hint.is_empty() => format!("anon{}", id.0),
            None => {
                let hint: Vec<String> = def.name_hint.iter().map(|h| names::sanitize(h)).collect();
                names::escape(&hint.join("__"))
            }
        };
        let name = self.items.claim_numbered(&owner, &base);
        self.spelled.insert(id, name.clone());
        Ok(name)
    }

    /// Typedefs of structs, unions and arrays become aliases; typedefs of scalars are
    /// printed as the scalar, and a typedef named like its struct (`typedef struct foo foo`)
    /// is the struct.
    fn emit_typedef(
        &mut self,
        id: TypeId,
        def: &TypeDef,
        target: TypeId,
    ) -> Result<(), BackendError> {
        let Some(name) = &def.name else {
            return Ok(());
        };
        let mut resolved = self.get(target)?;
        while let TypeKind::Typedef { target } = resolved.kind {
            resolved = self.get(target)?;
        }
        if !matches!(
            resolved.kind,
            TypeKind::Struct { .. } | TypeKind::Union { .. } | TypeKind::Array { .. }
        ) {
            return Ok(());
        }
        let target_name = self.spell(target)?;
        let ident = names::ident("typedef", name)?;
        if ident == target_name {
            return Ok(());
        }
        let ident = self
            .items
            .claim_numbered(&format!("typedef {name}"), &ident);
        self.spelled.insert(id, ident.clone());
        self.aliases.push(AliasView {
            name: ident,
            target: target_name,
        });
        Ok(())
    }

    /// The Rust spelling of `id` as a field type.
    fn spell(&self, id: TypeId) -> Result<String, BackendError> {
        let def = self.get(id)?;
        Ok(match &def.kind {
            TypeKind::Int { .. } if is_byte(def) => "u8".into(),
            TypeKind::Int { signed, .. } | TypeKind::Enum { signed, .. } => int(def, *signed)?,
            TypeKind::Float => match def.size {
                4 => "f32".into(),
                8 => "f64".into(),
                // `_Float16`, `long double` and other widths Rust lacks: opaque bytes.
                n => format!("[u8; {n}]"),
            },
            TypeKind::Pointer { .. } => "u64".into(),
            TypeKind::Array { elem, len } => format!("[{}; {len}]", self.spell(*elem)?),
            TypeKind::Typedef { target } => match self.spelled.get(&id) {
                Some(s) => s.clone(),
                None => self.spell(*target)?,
            },
            TypeKind::Struct { .. } | TypeKind::Union { .. } => match self.spelled.get(&id) {
                Some(s) => s.clone(),
                None => return Err(unsupported(def, "used before it is defined")),
            },
            TypeKind::Void | TypeKind::FuncProto | TypeKind::Fwd { .. } => {
                return Err(unsupported(
                    def,
                    "has no layout and cannot be held by value",
                ))
            }
        })
    }

    /// Alignment of `id` as Rust lays out our spelling of it.
    fn rust_align(&self, id: TypeId) -> Result<u32, BackendError> {
        let def = self.get(id)?;
        Ok(match &def.kind {
            TypeKind::Array { elem, .. } => self.rust_align(*elem)?,
            TypeKind::Typedef { target } => self.rust_align(*target)?,
            TypeKind::Struct { .. } | TypeKind::Union { .. } => def.align.max(1),
            TypeKind::Pointer { .. } => 8,
            TypeKind::Int { .. } if is_byte(def) => 1,
            TypeKind::Float if !matches!(def.size, 4 | 8) => 1,
            _ => def.size.clamp(1, 16),
        })
    }

    /// Whether `id` is a signed integer (through typedefs), for bitfield getters.
    fn is_signed(&self, id: TypeId) -> Result<bool, BackendError> {
        let def = self.get(id)?;
        Ok(match &def.kind {
            TypeKind::Typedef { target } => self.is_signed(*target)?,
            TypeKind::Int { .. } if is_byte(def) => false,
            TypeKind::Int { signed, .. } | TypeKind::Enum { signed, .. } => *signed,
            _ => false,
        })
    }
}

/// `_Bool` and plain `char` (clang does not always mark it as a character in BTF), printed
/// as `u8`: strings read as bytes, and a BPF program may store any byte in a `_Bool`.
fn is_byte(def: &TypeDef) -> bool {
    match def.kind {
        TypeKind::Int {
            is_bool, is_char, ..
        } => is_bool || is_char || (def.size == 1 && def.name.as_deref() == Some("char")),
        _ => false,
    }
}

fn keyword(def: &TypeDef) -> &'static str {
    if matches!(def.kind, TypeKind::Union { .. }) {
        "union"
    } else {
        "struct"
    }
}

fn int(def: &TypeDef, signed: bool) -> Result<String, BackendError> {
    let s = if signed { "i" } else { "u" };
    match def.size {
        1 | 2 | 4 | 8 | 16 => Ok(format!("{s}{}", def.size * 8)),
        _ => Err(unsupported(def, "integer of an unusual size")),
    }
}

fn unsupported(def: &TypeDef, reason: &str) -> BackendError {
    BackendError::Unsupported {
        what: format!("type {}", def.name.as_deref().unwrap_or("(anonymous)")),
        reason: reason.into(),
    }
}
