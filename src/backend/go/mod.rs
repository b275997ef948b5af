//! The Go backend: one file per object, standard library only, gofmt- and vet-clean.
//!
//! The skeleton type is the object's name in CamelCase (`Minimal`): `OpenMinimal`,
//! `LoadMinimal`, methods `Load`, `Attach`, `Attach<Prog>`, `Detach`, `Close`, typed views
//! of the global-data sections, and knobs on `Maps.<Map>` and `Progs.<Prog>`. Every
//! package-level name starts with the object's name, so several skeletons can share a
//! package.

mod attach;
pub mod names;
mod prefix;
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
/// runtime is not a template ([`runtime`]).
const TEMPLATES: &[(&str, &str)] = &[
    (
        "go/skel.go.tera",
        include_str!("../../../templates/go/skel.go.tera"),
    ),
    (
        "go/types.go.tera",
        include_str!("../../../templates/go/types.go.tera"),
    ),
];

/// Every Go template, parsed once.
fn templates() -> Result<&'static Templates, BackendError> {
    static PARSED: OnceLock<Result<Templates, crate::backend::template::TemplateError>> =
        OnceLock::new();
    parsed_templates(&PARSED, TEMPLATES)
}

/// Renders the Go light skeleton of `spec`; `blob` is its compiled loader and `package`
/// the `--go-package` option (default: the object name made a package name).
///
/// # Errors
/// When a name cannot be used in Go, two names would collide, or a type cannot be
/// expressed.
pub fn render(
    spec: &ObjectSpec,
    blob: &Blob,
    package: Option<&str>,
) -> Result<String, BackendError> {
    let view = view::build(spec, blob, package)?;
    let mut out = templates()?
        .render("go/skel.go.tera", &view, &[])
        .map_err(template_error)?;
    runtime::append(&view.runtime, &view.name, &view.rt, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod reserved_tests;
#[cfg(test)]
mod tests;

#[cfg(test)]
#[test]
fn templates_parse() {
    templates().unwrap();
}
