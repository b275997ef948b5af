//! The named types `--type` asks for: structs and unions as the object's other types are
//! printed, and enums as an alias of their integer with one constant per enumerator (the
//! C names, so `types::EV_EXIT` reads as in the BPF source; a field of the enum's type is
//! that integer).

use super::{int, names, TypePrinter};
use crate::backend::BackendError;
use crate::ir::types::TypeKind;
use crate::ir::TypeId;
use serde::Serialize;

/// A C enum: an alias of its integer type and its enumerators as constants.
#[derive(Debug, Clone, Serialize)]
pub struct EnumView {
    /// Doc comment: the enum in the object.
    pub doc: String,
    /// The alias's name in `types`.
    pub name: String,
    /// The integer type.
    pub ty: String,
    /// The enumerators.
    pub values: Vec<EnumValueView>,
}

/// One enumerator.
#[derive(Debug, Clone, Serialize)]
pub struct EnumValueView {
    /// Its name, escaped.
    pub name: String,
    /// Its value, a literal of the enum's integer type.
    pub value: String,
}

impl TypePrinter<'_> {
    /// Defines the type `id` that `--type` asked for, and what it needs; returns its name in
    /// the `types` module.
    ///
    /// # Errors
    /// When it is not a struct, union or enum, or cannot be printed.
    pub fn define_named(&mut self, id: TypeId) -> Result<String, BackendError> {
        let def = self.get(id)?;
        match &def.kind {
            TypeKind::Struct { .. } | TypeKind::Union { .. } => {
                self.require(id)?;
                self.spell(id)
            }
            TypeKind::Enum { signed, values } => {
                if let Some(done) = self.spelled.get(&id) {
                    return Ok(done.clone());
                }
                let c_name = def.name.as_deref().unwrap_or_default();
                let ident = names::ident("enum name", c_name)?;
                self.items.claim(&format!("enum {c_name}"), &ident)?;
                let ty = int(def, *signed)?;
                let values = values
                    .iter()
                    .map(|v| {
                        let name = names::ident(&format!("enumerator of enum {c_name}"), &v.name)?;
                        let value = if *signed {
                            v.value.to_string()
                        } else {
                            (v.value as u64).to_string()
                        };
                        Ok(EnumValueView { name, value })
                    })
                    .collect::<Result<Vec<_>, BackendError>>()?;
                self.enums.push(EnumView {
                    doc: format!("`enum {c_name}` of the object, as its integer type."),
                    name: ident.clone(),
                    ty,
                    values,
                });
                self.spelled.insert(id, ident.clone());
                Ok(ident)
            }
            _ => Err(BackendError::Unsupported {
                what: format!("--type {}", def.name.as_deref().unwrap_or("(anonymous)")),
                reason: "not a struct, union or enum".into(),
            }),
        }
    }
}
