//! The `.kconfig` part of a Rust skeleton's view: the externs the runtime fills at open
//! from the running kernel's configuration.

use super::names;
use super::view::SectionView;
use crate::ir::{ExternKind, GlobalKind, KconfigKind, ObjectSpec};
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

/// The `.kconfig` externs of `spec`, when it has a mapped `.kconfig` section.
pub(super) fn kconfig_view(spec: &ObjectSpec, sections: &[SectionView]) -> Option<KconfigView> {
    let map = spec.maps.iter().position(|m| {
        m.data
            .as_ref()
            .is_some_and(|d| d.kind == GlobalKind::Kconfig && d.mmapable)
    })?;
    let section = sections.iter().find(|s| s.map_index == map)?;
    let externs = spec
        .externs
        .iter()
        .filter_map(|e| match &e.kind {
            ExternKind::Kconfig {
                offset,
                size,
                value,
            } => Some(KconfigExtern {
                name: names::string_literal(&e.name),
                offset: *offset,
                size: *size,
                kind: kconfig_kind(*value),
                weak: e.weak,
            }),
            _ => None,
        })
        .collect();
    Some(KconfigView {
        section: section.ident.clone(),
        externs,
    })
}

fn kconfig_kind(k: KconfigKind) -> &'static str {
    match k {
        KconfigKind::Bool => "Bool",
        KconfigKind::Tristate => "Tristate",
        KconfigKind::Char => "Char",
        KconfigKind::CharArray => "CharArray",
        KconfigKind::Int { signed: true } => "Int",
        KconfigKind::Int { signed: false } => "Uint",
        KconfigKind::KernelVersion => "KernelVersion",
        KconfigKind::LibbpfFeature => "Feature",
    }
}
