//! The kernel-module backend: one header for an out-of-tree module, with the names of the
//! C skeleton (`NAME__open`, `NAME__load`, `NAME__attach`, `NAME__destroy`) and the same
//! knobs. It runs the loader with `kern_sys_bpf`, keeps its own references to every map,
//! program and link so that nothing depends on the fd table of the task that loaded it, and
//! points the typed data views at the array maps' values after load.

pub mod attach;
mod kconfig;
pub mod names;
pub mod view;

use crate::backend::c::runtime;
use crate::backend::template::Templates;
use crate::backend::{parsed_templates, template_error, BackendError};
use crate::ir::ObjectSpec;
use crate::loader::Blob;
use std::sync::OnceLock;

/// The per-object templates, embedded so the binary needs no files at run time; the
/// runtime (`runtime/c/`, shared with the userspace skeleton) is spliced in as `runtime`.
const TEMPLATES: &[(&str, &str)] = &[
    (
        "kernel/skel.h.tera",
        include_str!("../../../templates/kernel/skel.h.tera"),
    ),
    (
        "kernel/load.h.tera",
        include_str!("../../../templates/kernel/load.h.tera"),
    ),
    (
        "kernel/attach.h.tera",
        include_str!("../../../templates/kernel/attach.h.tera"),
    ),
];

/// Every kernel template, parsed once.
fn templates() -> Result<&'static Templates, BackendError> {
    static PARSED: OnceLock<Result<Templates, crate::backend::template::TemplateError>> =
        OnceLock::new();
    parsed_templates(&PARSED, TEMPLATES)
}

/// Renders the kernel-module light skeleton of `spec`; `blob` is its compiled loader.
///
/// # Errors
/// When a name cannot be used in the kernel header, or a type cannot be expressed.
pub fn render(spec: &ObjectSpec, blob: &Blob) -> Result<String, BackendError> {
    let view = view::build(spec, blob)?;
    let mut parts = vec![runtime::KERNEL_BASE];
    if view.kconfig.is_some() {
        parts.push(runtime::KERNEL_KCONFIG_PARTS);
    }
    let runtime = runtime::splice(&parts);
    templates()?
        .render("kernel/skel.h.tera", &view, &[("runtime", &runtime)])
        .map_err(template_error)
}

#[cfg(test)]
mod tests;
