//! The `.kconfig` part of a Rust skeleton's view: the externs the runtime fills at open
//! from the running kernel's configuration.

use super::names;
use crate::backend::kconfig::{kconfig_map, kconfig_rows, kind_name};
use crate::ir::ObjectSpec;
use serde::Serialize;

/// `.kconfig` externs.
#[derive(Debug, Serialize)]
pub struct KconfigView {
    /// The section's view field.
    pub section: String,
    /// The externs.
    pub externs: Vec<KconfigExtern>,
}

/// One kconfig extern as a runtime table entry.
#[derive(Debug, Serialize)]
pub struct KconfigExtern {
    /// Name, a string literal.
    pub name: String,
    /// Offset in the section.
    pub offset: u32,
    /// Size.
    pub size: u32,
    /// `KconfigKind` variant.
    pub kind: &'static str,
    /// Declared `__weak`.
    pub weak: bool,
}

/// The `.kconfig` externs of `spec`, when it has a mapped `.kconfig` section;
/// `view_of(map)` is the view field of map `map`'s section.
pub(super) fn kconfig_view(
    spec: &ObjectSpec,
    view_of: &dyn Fn(usize) -> Option<String>,
) -> Option<KconfigView> {
    let section = view_of(kconfig_map(spec)?)?;
    let externs = kconfig_rows(spec)
        .map(|k| KconfigExtern {
            name: names::string_literal(k.name),
            offset: k.offset,
            size: k.size,
            kind: kind_name(k.kind),
            weak: k.weak,
        })
        .collect();
    Some(KconfigView { section, externs })
}
