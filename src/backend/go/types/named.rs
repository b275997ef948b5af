//! The named types `--type` asks for: structs and unions as the object's other types are
//! printed, and enums as an alias of their Go integer with one constant per enumerator
//! (`enum event_kind` → `MinimalEventKind`, `EVENT_EXIT` → `MinimalEventExit`; a field of
//! the enum's type is that integer, so the constants compare with it directly).

use super::{integer, names, TypePrinter};
use crate::backend::BackendError;
use crate::ir::types::TypeKind;
use crate::ir::TypeId;
use serde::Serialize;

/// A C enum: an alias of its integer type and its enumerators as constants.
#[derive(Debug, Clone, Serialize)]
pub struct EnumView {
    /// Doc comment (without `// `).
    pub doc: String,
    /// The alias's name.
    pub name: String,
    /// The Go integer type.
    pub ty: String,
    /// The enumerators: the name padded as gofmt aligns a const block, and the value.
    pub values: Vec<(String, String)>,
}

impl TypePrinter<'_> {
    /// Defines the type `id` that `--type` asked for, and what it needs; returns its Go
    /// name.
    ///
    /// # Errors
    /// When it is not a struct, union or enum, it cannot be printed, or a name it takes is
    /// already taken in the package.
    pub fn define_named(&mut self, id: TypeId) -> Result<String, BackendError> {
        let def = self.get(id)?;
        let c_name = def.name.clone().unwrap_or_default();
        match &def.kind {
            TypeKind::Struct { .. } | TypeKind::Union { .. } => self.define(id),
            TypeKind::Enum { signed, values } => {
                if let Some(done) = self.spelled.get(&id) {
                    return Ok(done.clone());
                }
                let name = format!("{}{}", self.prefix, names::exported(&c_name));
                self.scope.claim(&format!("enum {c_name}"), &name)?;
                let ty = integer(def.size, *signed).ok_or_else(|| BackendError::Unsupported {
                    what: format!("enum {c_name}"),
                    reason: format!("{} bytes is no Go integer", def.size),
                })?;
                let mut consts = Vec::with_capacity(values.len());
                for v in values {
                    let ident = format!("{}{}", self.prefix, names::exported(&v.name));
                    let owner = format!("enumerator {} of enum {c_name}", v.name);
                    self.scope.claim(&owner, &ident)?;
                    let value = if *signed {
                        v.value.to_string()
                    } else {
                        (v.value as u64).to_string()
                    };
                    consts.push((ident, value));
                }
                let width = consts.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
                let values = consts
                    .into_iter()
                    .map(|(n, v)| (format!("{n:width$}"), v))
                    .collect();
                self.enums.push(EnumView {
                    doc: format!("{name} is enum {c_name} of the object, as its integer type."),
                    name: name.clone(),
                    ty,
                    values,
                });
                self.spelled.insert(id, name.clone());
                Ok(name)
            }
            _ => Err(BackendError::Unsupported {
                what: format!("--type {c_name}"),
                reason: "not a struct, union or enum".into(),
            }),
        }
    }
}
