//! What every backend's `.kconfig` table holds, decided once: which map is the mapped
//! `.kconfig` section, and for each extern its name, place, kind and weakness. Each backend
//! only spells the rows in its language.

use crate::ir::{ExternKind, GlobalKind, KconfigKind, ObjectSpec};

/// One `.kconfig` extern, as the runtime fills it at open.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KconfigRow<'a> {
    /// The extern's name (`CONFIG_...` or `LINUX_KERNEL_VERSION`).
    pub name: &'a str,
    /// Offset in the section.
    pub offset: u32,
    /// Size.
    pub size: u32,
    /// How the runtime reads its value.
    pub kind: KconfigKind,
    /// Declared `__weak`.
    pub weak: bool,
}

/// Index of the object's mapped `.kconfig` map, if it has one.
pub(crate) fn kconfig_map(spec: &ObjectSpec) -> Option<usize> {
    spec.maps.iter().position(|m| {
        m.data
            .as_ref()
            .is_some_and(|d| d.kind == GlobalKind::Kconfig && d.mmapable)
    })
}

/// The `.kconfig` externs of `spec`, in object order.
pub(crate) fn kconfig_rows(spec: &ObjectSpec) -> impl Iterator<Item = KconfigRow<'_>> {
    spec.externs.iter().filter_map(|e| match &e.kind {
        ExternKind::Kconfig {
            offset,
            size,
            value,
        } => Some(KconfigRow {
            name: &e.name,
            offset: *offset,
            size: *size,
            kind: *value,
            weak: e.weak,
        }),
        _ => None,
    })
}

/// The runtimes' name of a kind, in UpperCamelCase (`CharArray`); each language prefixes or
/// re-cases it for its own constant.
pub(crate) fn kind_name(k: KconfigKind) -> &'static str {
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
