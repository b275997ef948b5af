//! The named types `--type` asks for: structs and unions as the object's other types are
//! printed (guarded, with static assertions), and enums as C enums with their enumerators,
//! guarded the same way.

use super::{AssertView, TypeDefView, TypePrinter};
use crate::backend::BackendError;
use crate::ir::types::TypeKind;
use crate::ir::TypeId;

impl TypePrinter<'_> {
    /// Defines the type `id` that `--type` asked for, and what it needs; returns how C
    /// spells it (`struct event`).
    ///
    /// # Errors
    /// When it is not a struct, union or enum, cannot be printed, or is an enum with a
    /// value C's `int` cannot hold (the only type C11 gives enumerators).
    pub fn define_named(&mut self, id: TypeId) -> Result<String, BackendError> {
        let def = self.get(id)?;
        let c_name = def.name.clone().unwrap_or_default();
        match &def.kind {
            TypeKind::Struct { .. } | TypeKind::Union { .. } => {
                self.require(id)?;
                Ok(self.spell(id)?.0)
            }
            TypeKind::Enum { signed, values } => {
                // An enum used by value is spelled as its integer, so `spelled` holds only
                // the enums defined here.
                if let Some(done) = self.spelled.get(&id) {
                    return Ok(done.clone());
                }
                let tag = self.dialect.ident("enum tag", &c_name)?;
                let mut lines = vec![format!("enum {tag} {{")];
                for v in values {
                    let value = if *signed {
                        i32::try_from(v.value).ok()
                    } else {
                        i32::try_from(v.value as u64).ok()
                    };
                    let value = value.ok_or_else(|| BackendError::Unsupported {
                        what: format!("enum {c_name}, enumerator {}", v.name),
                        reason: "its value does not fit C's int; leave the enum out of --type"
                            .into(),
                    })?;
                    let ident = self.dialect.ident("enumerator", &v.name)?;
                    lines.push(format!("\t{ident} = {value},"));
                }
                lines.push("};".into());
                self.defs.push(TypeDefView {
                    guard: Some(format!("SKELGEN_DEFINED_enum_{tag}")),
                    lines,
                    asserts: Vec::<AssertView>::new(),
                });
                let spelled = format!("enum {tag}");
                self.spelled.insert(id, spelled.clone());
                Ok(spelled)
            }
            _ => Err(BackendError::Unsupported {
                what: format!("--type {c_name}"),
                reason: "not a struct, union or enum".into(),
            }),
        }
    }
}
