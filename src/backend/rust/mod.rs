//! The Rust backend: one module per object (`pub mod <object> { ... }`), depending on the
//! `libc` crate only, formatted with prettyplease.
//!
//! The module has the same model as the C skeleton in Rust's idiom: `Open<Name>::open()`
//! gives typed, writable views of the global data and the knobs; `load()` consumes it and
//! returns `<Name>`, whose views stay live (the maps' own memory, `.rodata` read-only in
//! the types); links are values the skeleton or the caller owns; dropping closes links,
//! programs, maps and views in that order. Errors name the failed step of the loader plan.

mod attach;
pub mod kconfig;
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

/// The per-object templates, embedded so the binary needs no files at run time.
const TEMPLATES: &[(&str, &str)] = &[
    (
        "rust/skel.rs.tera",
        include_str!("../../../templates/rust/skel.rs.tera"),
    ),
    (
        "rust/types.rs.tera",
        include_str!("../../../templates/rust/types.rs.tera"),
    ),
    (
        "rust/attach.rs.tera",
        include_str!("../../../templates/rust/attach.rs.tera"),
    ),
];

/// Every Rust template, parsed once.
fn templates() -> Result<&'static Templates, BackendError> {
    static PARSED: OnceLock<Result<Templates, crate::backend::template::TemplateError>> =
        OnceLock::new();
    parsed_templates(&PARSED, TEMPLATES)
}

/// The line prettyplease prints for the runtime's placeholder, replaced by the runtime.
const RUNTIME_PLACEHOLDER: &str = "    mod runtime {}\n";

/// Renders the Rust light skeleton of `spec`; `blob` is its compiled loader.
///
/// The generated items go through prettyplease. The runtime, which is the same for every
/// object but for the parts it needs, is spliced in afterwards as the crate `runtime/rust`
/// has it ([`runtime::module`]): prettyplease would drop its comments, which say why each
/// `unsafe` block is sound, and parsing it would only cost time.
///
/// # Errors
/// When a name cannot be used in Rust, a type cannot be expressed, or (a bug in skelgen)
/// the rendered code is not valid Rust.
pub fn render(spec: &ObjectSpec, blob: &Blob) -> Result<String, BackendError> {
    let view = view::build(spec, blob)?;
    let rendered = templates()?
        .render("rust/skel.rs.tera", &view, &[])
        .map_err(template_error)?;
    let skel = format_rust("rust/skel.rs.tera", &rendered)?;
    if skel.matches(RUNTIME_PLACEHOLDER).count() != 1 {
        return Err(BackendError::Template {
            template: "rust/skel.rs.tera".into(),
            message: "the runtime's placeholder is not in the formatted module once".into(),
        });
    }
    let runtime = runtime::module(|feature| match feature {
        runtime::Feature::Buffers => view.buffers,
        runtime::Feature::StructOps => view.struct_ops.is_some(),
        runtime::Feature::Kconfig => view.kconfig.is_some(),
        runtime::Feature::Uprobe => view.uprobe,
    })?;
    Ok(format!(
        "{}{}",
        view.header,
        skel.replace(RUNTIME_PLACEHOLDER, &runtime)
    ))
}

/// `text` parsed and printed by prettyplease.
fn format_rust(template: &str, text: &str) -> Result<String, BackendError> {
    let file = syn::parse_file(text).map_err(|e| invalid(template, &e))?;
    Ok(prettyplease::unparse(&file))
}

fn invalid(template: &str, err: &syn::Error) -> BackendError {
    BackendError::Template {
        template: template.to_string(),
        message: format!("the rendered module is not valid Rust: {err}"),
    }
}

/// The `types` module alone, for tests of the type printer.
#[cfg(test)]
fn render_types(
    types: &[types::TypeView],
    aliases: &[types::AliasView],
) -> Result<String, BackendError> {
    #[derive(serde::Serialize)]
    struct TypesView<'a> {
        types: &'a [types::TypeView],
        aliases: &'a [types::AliasView],
        enums: Vec<types::EnumView>,
    }
    let view = TypesView {
        types,
        aliases,
        enums: Vec::new(),
    };
    templates()?
        .render("rust/types.rs.tera", &view, &[])
        .map_err(template_error)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
#[test]
fn templates_parse() {
    templates().unwrap();
}
