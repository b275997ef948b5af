//! The userspace C backend: one self-contained header per object, with the names of
//! bpftool's light skeletons (`NAME__open`, `NAME__load`, `NAME__attach`, ...).

pub mod attach;
pub mod names;
pub mod runtime;
pub mod struct_ops;
pub mod types;
pub mod view;

use crate::backend::template::Templates;
use crate::backend::{parsed_templates, template_error, BackendError};
use crate::ir::ObjectSpec;
use crate::loader::Blob;
use std::sync::OnceLock;

/// The per-object templates, embedded so the binary needs no files at run time; the
/// runtime is spliced in as `runtime` ([`runtime::splice`]).
const TEMPLATES: &[(&str, &str)] = &[
    (
        "c/skel.h.tera",
        include_str!("../../../templates/c/skel.h.tera"),
    ),
    (
        "c/load.h.tera",
        include_str!("../../../templates/c/load.h.tera"),
    ),
    (
        "c/attach.h.tera",
        include_str!("../../../templates/c/attach.h.tera"),
    ),
    (
        "c/struct_ops_skel.h.tera",
        include_str!("../../../templates/c/struct_ops_skel.h.tera"),
    ),
];

/// Every C template, parsed once.
fn templates() -> Result<&'static Templates, BackendError> {
    static PARSED: OnceLock<Result<Templates, crate::backend::template::TemplateError>> =
        OnceLock::new();
    parsed_templates(&PARSED, TEMPLATES)
}

/// Renders the C light skeleton of `spec`; `blob` is its compiled loader.
///
/// # Errors
/// When a name cannot be used in C, or a type cannot be expressed.
pub fn render(spec: &ObjectSpec, blob: &Blob) -> Result<String, BackendError> {
    let view = view::build(spec, blob)?;
    let mut parts = vec![runtime::USER_BASE];
    if view.kconfig.is_some() {
        parts.push(runtime::USER_KCONFIG);
    }
    if view.struct_ops.is_some() {
        parts.push(runtime::USER_STRUCT_OPS);
    }
    if view.signed.is_some() {
        parts.push(runtime::USER_SIGNED);
    }
    if view.uprobe {
        parts.push(runtime::USER_UPROBE);
    }
    let runtime = runtime::splice(&parts);
    templates()?
        .render("c/skel.h.tera", &view, &[("runtime", &runtime)])
        .map_err(template_error)
}

#[cfg(test)]
mod render_tests;
#[cfg(test)]
mod tests;

#[cfg(test)]
#[test]
fn templates_parse() {
    templates().unwrap();
}
