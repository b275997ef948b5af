//! Backends: each turns an [`ObjectSpec`] and its compiled loader [`Blob`] into a light
//! skeleton for one language.
//!
//! A backend builds a serialisable view model in Rust (every name, type string and escape
//! is computed there) and renders it with logic-free templates embedded from
//! `templates/<lang>/`, read by [`template`].

pub mod c;
pub mod go;
mod kconfig;
pub mod kernel;
pub mod matrix;
pub mod model;
pub mod rust;
#[cfg(test)]
mod steps_tests;
mod struct_ops;
pub mod template;
#[cfg(test)]
mod test_types;

use crate::ir::ObjectSpec;
use crate::loader::Blob;
use crate::{Lang, Options};
use thiserror::Error;

/// Why a backend cannot write a skeleton for an object.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BackendError {
    /// A name from the object cannot be used as an identifier in the target language.
    #[error("{what} {name:?}: {reason}")]
    InvalidName {
        /// What carries the name (`map`, `program`, `variable`, `field of struct foo`, ...).
        what: String,
        /// The name as found in the object.
        name: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// Two things would get the same identifier in the generated code.
    #[error("{first} and {second} would both be called {ident:?} in the skeleton")]
    NameCollision {
        /// The first thing.
        first: String,
        /// The second thing.
        second: String,
        /// The identifier both would get.
        ident: String,
    },
    /// Something in the object the backend cannot express.
    #[error("{what}: {reason}")]
    Unsupported {
        /// The object part.
        what: String,
        /// Why.
        reason: String,
    },
    /// A template failed to render (a bug in skelgen).
    #[error("template {template}: {message}")]
    Template {
        /// The template.
        template: String,
        /// The template engine's message, with its causes.
        message: String,
    },
}

/// Renders the skeleton of `spec` in `lang`; `blob` is `loader::compile(spec)`.
///
/// # Errors
/// When a name cannot be used in `lang`, or the object holds something `lang` cannot express.
pub fn render(lang: Lang, spec: &ObjectSpec, blob: &Blob) -> Result<String, BackendError> {
    render_with(lang, spec, blob, &Options::default())
}

/// Renders the skeleton of `spec` in `lang` with the backend options of `options`
/// (`--go-package`).
///
/// # Errors
/// As [`render`], and when a backend option has a value the backend cannot use.
pub fn render_with(
    lang: Lang,
    spec: &ObjectSpec,
    blob: &Blob,
    options: &Options,
) -> Result<String, BackendError> {
    matrix::check(lang, spec, blob.signatures.is_some())?;
    match lang {
        Lang::C => c::render(spec, blob),
        Lang::Kernel => kernel::render(spec, blob),
        Lang::Rust => rust::render(spec, blob),
        Lang::Go => go::render(spec, blob, options.go_package.as_deref()),
    }
}

/// A template error as the backends report it.
pub(crate) fn template_error(err: template::TemplateError) -> BackendError {
    BackendError::Template {
        message: format!("line {}: {}", err.line, err.message),
        template: err.template,
    }
}

/// The templates of one backend, parsed once per process.
pub(crate) fn parsed_templates(
    cell: &'static std::sync::OnceLock<Result<template::Templates, template::TemplateError>>,
    sources: &[(&'static str, &'static str)],
) -> Result<&'static template::Templates, BackendError> {
    cell.get_or_init(|| template::Templates::parse(sources))
        .as_ref()
        .map_err(|e| template_error(e.clone()))
}
