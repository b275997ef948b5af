//! Go definitions of the types the typed data views use, printed from the [`TypeTable`].
//!
//! Every struct is laid out exactly as BTF says: members at their offsets with `_ [N]byte`
//! padding in every gap, so Go never adds padding of its own. Go has no unions, bitfields
//! or packed structs, so:
//! - a union is a struct holding its first member, padded to the union's size (the other
//!   members are listed in the type's comment);
//! - an anonymous struct or union member is flattened into its parent, as C lets code
//!   reach its members directly;
//! - a storage unit of bitfields is `_ [N]byte`, read and written through generated
//!   methods (`Flags()`, `SetFlags(v)`);
//! - a member Go would place elsewhere (its Go alignment does not divide its offset, or a
//!   struct's size is not a multiple of the alignment Go gives it) is kept as `[N]byte`.
//!
//! Integers and enums are Go integers of their size, pointers `uint64` (a BPF pointer is 8
//! bytes whatever the host), `char` is `byte`, floats `float32`/`float64`; what Go cannot
//! hold (128-bit integers, other float widths) is bytes of the same size. Named types get
//! the skeleton's prefix (`struct sample` → `MinimalSample`) so several skeletons can
//! share a package. Each type comes with compile-time checks of its size and offsets.

mod body;
mod named;

pub use named::EnumView;

use super::names;
use crate::backend::model::Scope;
use crate::backend::BackendError;
use crate::ir::types::{TypeDef, TypeKind};
use crate::ir::{TypeId, TypeTable};
use serde::Serialize;
use std::collections::BTreeMap;

/// Size and alignment of a Go type as Go lays it out on a 64-bit target (on 32-bit ones
/// alignments are only smaller, which explicit padding makes harmless).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoLayout {
    /// `unsafe.Sizeof`.
    pub size: u32,
    /// `unsafe.Alignof`.
    pub align: u32,
}

/// One top-level type definition.
#[derive(Debug, Clone, Serialize)]
pub struct TypeDefView {
    /// Doc comment lines (without `// `).
    pub doc: Vec<String>,
    /// The Go type name.
    pub name: String,
    /// The lines inside `struct { ... }`, indented and aligned as gofmt aligns them.
    pub lines: Vec<String>,
    /// Accessors of its bitfields.
    pub methods: Vec<BitfieldMethodView>,
    /// Compile-time layout checks: constant index expressions into `[len]struct{}{}`.
    pub asserts: Vec<AssertView>,
}

/// A getter or setter of one bitfield.
#[derive(Debug, Clone, Serialize)]
pub struct BitfieldMethodView {
    /// Doc comment line (without `// `).
    pub doc: String,
    /// Signature after `func (s *Type) `.
    pub signature: String,
    /// The body's one statement.
    pub body: String,
}

/// One layout check: `_ = [len]struct{}{}[index]` compiles only when `index` is below `len`
/// (and not negative).
#[derive(Debug, Clone, Serialize)]
pub struct AssertView {
    /// Array length: 1 for an exact check.
    pub len: u32,
    /// The constant index expression.
    pub index: String,
}

/// Collects definitions in dependency order.
pub struct TypePrinter<'a> {
    table: &'a TypeTable,
    /// Exported prefix of every type name (`Minimal`).
    prefix: String,
    /// Unexported prefix of the runtime's helpers (`minimal`).
    runtime: String,
    /// Go name of every struct or union already named.
    spelled: BTreeMap<TypeId, String>,
    /// Go layout of every struct or union already defined.
    layouts: BTreeMap<TypeId, GoLayout>,
    /// Names of anonymous aggregates given by the typedef that names them.
    typedef_names: BTreeMap<TypeId, String>,
    /// The package's identifiers: type names are claimed here.
    pub scope: Scope,
    /// The definitions, in the order they are printed.
    pub defs: Vec<TypeDefView>,
    /// The enums `--type` asked for.
    pub enums: Vec<EnumView>,
}

impl<'a> TypePrinter<'a> {
    /// A printer for `table`; `prefix` starts every type name, `runtime` every helper;
    /// type names are claimed in the package `scope`.
    pub fn new(table: &'a TypeTable, prefix: &str, runtime: &str, scope: Scope) -> Self {
        TypePrinter {
            table,
            prefix: prefix.to_string(),
            runtime: runtime.to_string(),
            spelled: BTreeMap::new(),
            layouts: BTreeMap::new(),
            typedef_names: BTreeMap::new(),
            scope,
            defs: Vec::new(),
            enums: Vec::new(),
        }
    }

    fn get(&self, id: TypeId) -> Result<&'a TypeDef, BackendError> {
        self.table.get(id).ok_or_else(|| BackendError::Unsupported {
            what: format!("type {}", id.0),
            reason: "not in the type table".into(),
        })
    }

    /// Defines a data section's struct `id` as `name`, keeping only the fields `keep`
    /// accepts (others become padding). Its size may be rounded up to Go's alignment: the
    /// view points into page-sized memory.
    pub fn define_section(
        &mut self,
        id: TypeId,
        name: &str,
        doc: Vec<String>,
        keep: &dyn Fn(&str) -> bool,
    ) -> Result<(), BackendError> {
        let def = self.get(id)?;
        let TypeKind::Struct { members } = &def.kind else {
            return Err(BackendError::Unsupported {
                what: format!("section layout {name}"),
                reason: "not a struct".into(),
            });
        };
        let members = body::keep_only(members, keep);
        for m in &members {
            self.require_member(m)?;
        }
        self.scope
            .claim(&format!("the view of section {}", def_name(def)), name)?;
        self.emit_struct(def, name, doc, &members, false)?;
        Ok(())
    }

    /// Defines what `id` needs to be spelled (a map's key or value type) and returns its
    /// Go spelling.
    pub fn define(&mut self, id: TypeId) -> Result<String, BackendError> {
        self.require(id)?;
        Ok(self.spell(id)?.0)
    }

    fn require_member(&mut self, m: &crate::ir::types::Member) -> Result<(), BackendError> {
        use crate::ir::types::MemberKind;
        match &m.kind {
            MemberKind::Field { name: None, ty } => self.require_inline(*ty),
            MemberKind::Field { ty, .. } if m.size > 0 => self.require(*ty),
            _ => Ok(()),
        }
    }

    /// The types an anonymous member needs: its own members' (it is flattened).
    fn require_inline(&mut self, id: TypeId) -> Result<(), BackendError> {
        let def = self.get(id)?;
        match &def.kind {
            TypeKind::Struct { members } => members.iter().try_for_each(|m| self.require_member(m)),
            TypeKind::Union { members } => match members.first() {
                Some(m) => self.require_member(m),
                None => Ok(()),
            },
            _ => self.require(id),
        }
    }

    /// Emits the definitions `id` needs by value, in dependency order.
    fn require(&mut self, id: TypeId) -> Result<(), BackendError> {
        if self.spelled.contains_key(&id) {
            return Ok(());
        }
        let def = self.get(id)?;
        match &def.kind {
            TypeKind::Array { elem, .. } => self.require(*elem),
            TypeKind::Typedef { target } => {
                if let (Some(name), Some(t)) = (&def.name, self.table.get(*target)) {
                    let anonymous = t.name.is_none()
                        && matches!(t.kind, TypeKind::Struct { .. } | TypeKind::Union { .. });
                    if anonymous && !self.spelled.contains_key(target) {
                        self.typedef_names.entry(*target).or_insert(name.clone());
                    }
                }
                self.require(*target)
            }
            TypeKind::Struct { members } => {
                for m in members {
                    self.require_member(m)?;
                }
                let name = self.name_aggregate(id, def)?;
                self.spelled.insert(id, name.clone());
                let doc = vec![format!("{name} is {}, from BTF.", describe(def, "struct"))];
                let layout = self.emit_struct(def, &name, doc, members, true)?;
                self.layouts.insert(id, layout);
                Ok(())
            }
            TypeKind::Union { members } => {
                let first: Vec<_> = members.iter().take(1).cloned().collect();
                for m in &first {
                    self.require_member(m)?;
                }
                let name = self.name_aggregate(id, def)?;
                self.spelled.insert(id, name.clone());
                let doc = self.union_doc(&name, def, members);
                let mut body = first;
                let covered = body.first().map_or(0, |m| m.size);
                if covered < def.size {
                    body.push(crate::ir::types::Member {
                        offset: covered,
                        size: def.size - covered,
                        kind: crate::ir::types::MemberKind::Padding,
                    });
                }
                let layout = self.emit_struct(def, &name, doc, &body, true)?;
                self.layouts.insert(id, layout);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn union_doc(
        &self,
        name: &str,
        def: &TypeDef,
        members: &[crate::ir::types::Member],
    ) -> Vec<String> {
        let others = self.member_names(members.get(1..).unwrap_or_default());
        let mut doc = vec![
            format!("{name} is {}, from BTF.", describe(def, "union")),
            "Go has no unions: it holds the first member, padded to the union's size.".into(),
        ];
        if !others.is_empty() {
            doc.push(format!(
                "The other members share its bytes: {}.",
                names::comment(&others.join(", "))
            ));
        }
        doc
    }

    /// The Go name of a struct or union: the skeleton's prefix, then its own name, the
    /// typedef that names it, or the path to where it was first met.
    fn name_aggregate(&mut self, id: TypeId, def: &TypeDef) -> Result<String, BackendError> {
        let stem = match (&def.name, self.typedef_names.get(&id)) {
            (Some(n), _) => n.clone(),
            (None, Some(t)) => t.clone(),
            (None, None) if def.name_hint.is_empty() => format!("anon{}", id.0),
            (None, None) => def.name_hint.join("_"),
        };
        let name = format!("{}{}", self.prefix, names::exported(&stem));
        let keyword = if matches!(def.kind, TypeKind::Union { .. }) {
            "union"
        } else {
            "struct"
        };
        self.scope
            .claim(&format!("{keyword} {}", def_name(def)), &name)?;
        Ok(name)
    }

    /// The names of `members` for a comment; an anonymous member shows its own in
    /// parentheses (`lo, hi` of an anonymous struct: `(lo, hi)`).
    pub(super) fn member_names(&self, members: &[crate::ir::types::Member]) -> Vec<String> {
        use crate::ir::types::MemberKind;
        members
            .iter()
            .filter_map(|m| match &m.kind {
                MemberKind::Field { name: Some(n), .. } => Some(n.clone()),
                MemberKind::Field { name: None, ty } => {
                    match self.table.get(*ty).map(|t| &t.kind) {
                        Some(TypeKind::Struct { members } | TypeKind::Union { members }) => {
                            Some(format!("({})", self.member_names(members).join(", ")))
                        }
                        _ => None,
                    }
                }
                MemberKind::Bitfields { fields } => {
                    let named: Vec<&str> =
                        fields.iter().filter_map(|f| f.name.as_deref()).collect();
                    (!named.is_empty()).then(|| named.join(", "))
                }
                MemberKind::Padding => None,
            })
            .collect()
    }

    /// The Go spelling of `id` used by value, and Go's layout of it.
    pub fn spell(&self, id: TypeId) -> Result<(String, GoLayout), BackendError> {
        let def = self.get(id)?;
        let bytes = |n: u32| (format!("[{n}]byte"), GoLayout { size: n, align: 1 });
        Ok(match &def.kind {
            TypeKind::Int { is_bool: true, .. } if def.size == 1 => {
                ("bool".into(), GoLayout { size: 1, align: 1 })
            }
            TypeKind::Int { .. } if is_char(def) => ("byte".into(), GoLayout { size: 1, align: 1 }),
            TypeKind::Int { signed, .. } | TypeKind::Enum { signed, .. } => {
                match integer(def.size, *signed) {
                    Some(t) => (t, natural(def.size)),
                    None => bytes(def.size),
                }
            }
            TypeKind::Float => match def.size {
                4 => ("float32".into(), natural(4)),
                8 => ("float64".into(), natural(8)),
                n => bytes(n),
            },
            TypeKind::Pointer { .. } => ("uint64".into(), natural(8)),
            TypeKind::Array { elem, len } => {
                let (t, l) = self.spell(*elem)?;
                let size = l.size * len;
                (
                    format!("[{len}]{t}"),
                    GoLayout {
                        size,
                        align: l.align,
                    },
                )
            }
            TypeKind::Typedef { target } => self.spell(*target)?,
            TypeKind::Struct { .. } | TypeKind::Union { .. } => {
                match (self.spelled.get(&id), self.layouts.get(&id)) {
                    (Some(name), Some(layout)) => (name.clone(), *layout),
                    _ => return Err(unsupported(def, "used before it is defined")),
                }
            }
            TypeKind::Void | TypeKind::FuncProto | TypeKind::Fwd { .. } => {
                return Err(unsupported(
                    def,
                    "has no layout and cannot be held by value",
                ))
            }
        })
    }
}

/// Whether `def` is C's `char` (clang does not mark it with `BTF_INT_CHAR`): Go's `byte`.
pub fn is_char(def: &TypeDef) -> bool {
    let flagged = matches!(def.kind, TypeKind::Int { is_char: true, .. });
    def.size == 1 && (flagged || def.name.as_deref() == Some("char"))
}

/// The Go integer type of `size` bytes.
pub fn integer(size: u32, signed: bool) -> Option<String> {
    let bits = match size {
        1 => 8,
        2 => 16,
        4 => 32,
        8 => 64,
        _ => return None,
    };
    Some(format!("{}int{bits}", if signed { "" } else { "u" }))
}

fn natural(size: u32) -> GoLayout {
    GoLayout { size, align: size }
}

/// A type for a doc comment: `struct sample`, `the anonymous struct at flow_stats.seen`.
/// Goes into a doc comment, so names from the object lose their line breaks.
fn describe(def: &TypeDef, keyword: &str) -> String {
    names::comment(&match (&def.name, def.name_hint.is_empty()) {
        (Some(n), _) => format!("{keyword} {n}"),
        (None, true) => format!("an anonymous {keyword}"),
        (None, false) => format!("the anonymous {keyword} at {}", def.name_hint.join(".")),
    })
}

/// How a type is named in messages: its C name, or `(anonymous)`.
fn def_name(def: &TypeDef) -> String {
    def.name
        .clone()
        .unwrap_or_else(|| match def.name_hint.is_empty() {
            true => "(anonymous)".into(),
            false => format!("(anonymous, in {})", def.name_hint.join(".")),
        })
}

fn unsupported(def: &TypeDef, reason: &str) -> BackendError {
    BackendError::Unsupported {
        what: format!("type {}", def_name(def)),
        reason: reason.into(),
    }
}
