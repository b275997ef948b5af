//! The runtime every Rust skeleton carries: the crate `runtime/rust`, whose
//! `src/runtime/mod.rs` becomes the skeleton's `runtime` module with each `include!`
//! replaced by the file it names. The parts an object does not need are left out, as the
//! crate's features leave them out of its own build; the crate's tests and fuzz entry
//! points (its `mod` declarations) never reach a skeleton.
//!
//! The text is spliced as written: nothing in it is parsed or formatted at generation time.
//! The crate keeps it rustfmt-formatted for the column where it lands.

use crate::backend::BackendError;

/// The parts of the runtime only some objects need, named as the crate's features.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feature {
    /// Ring buffer and perf event array readers.
    Buffers,
    /// struct_ops: the kernel-BTF reader, laying out and registering structures.
    StructOps,
    /// `.kconfig` externs: the configuration reader and the gzip inflater.
    Kconfig,
    /// Uprobe programs: the ELF symbol reader and attaching by function name.
    Uprobe,
}

impl Feature {
    /// The crate's name for it (`#[cfg(feature = "...")]`).
    pub fn name(self) -> &'static str {
        match self {
            Feature::Buffers => "buffers",
            Feature::StructOps => "struct_ops",
            Feature::Kconfig => "kconfig",
            Feature::Uprobe => "uprobe",
        }
    }
}

/// One file of the runtime, and the feature that selects it (`None`: every skeleton).
#[derive(Debug)]
pub struct Part {
    /// Its file name in `runtime/rust/src/runtime/`.
    pub file: &'static str,
    /// The feature without which a skeleton leaves it out.
    pub feature: Option<Feature>,
    /// Its text.
    pub text: &'static str,
}

macro_rules! part {
    ($file:literal, $feature:expr) => {
        Part {
            file: $file,
            feature: $feature,
            text: include_str!(concat!("../../../runtime/rust/src/runtime/", $file)),
        }
    };
}

/// The runtime module's root: its documentation, its imports and the parts it includes.
pub const ROOT: &str = include_str!("../../../runtime/rust/src/runtime/mod.rs");

/// Every part, in the order `ROOT` includes them (a test checks both against the crate).
pub const PARTS: &[Part] = &[
    part!("loader.rs", None),
    part!("plain.rs", None),
    part!("maps.rs", None),
    part!("attach.rs", None),
    part!("buffers.rs", Some(Feature::Buffers)),
    part!("records.rs", Some(Feature::Buffers)),
    part!("btf.rs", Some(Feature::StructOps)),
    part!("struct_ops.rs", Some(Feature::StructOps)),
    part!("struct_ops_load.rs", Some(Feature::StructOps)),
    part!("elf.rs", Some(Feature::Uprobe)),
    part!("uprobe.rs", Some(Feature::Uprobe)),
    part!("kconfig.rs", Some(Feature::Kconfig)),
    part!("inflate.rs", Some(Feature::Kconfig)),
];

/// Columns of the module's body in the skeleton (`pub mod <object> { mod runtime {`).
const INDENT: &str = "        ";

/// The skeleton's `mod runtime { ... }`, indented for its place in the object's module,
/// with the parts whose feature `wanted` says yes.
///
/// # Errors
/// Only when the runtime's root is not laid out as this splicer reads it (a bug in
/// skelgen, which the tests catch): each line is kept, an `include!` of a part (after a
/// `#[cfg(feature = ...)]` naming its feature, for an optional part), or a `mod` of the
/// crate's own, after its attributes.
pub fn module(wanted: impl Fn(Feature) -> bool) -> Result<String, BackendError> {
    let mut out = String::from("    mod runtime {\n");
    let mut attr: Option<&str> = None;
    let mut parts = PARTS.iter();
    for line in ROOT.lines() {
        if line.starts_with("#[") {
            if attr.replace(line).is_some() {
                return Err(malformed(&format!("`{line}` is a second attribute")));
            }
        } else if let Some(file) = line
            .strip_prefix("include!(\"")
            .and_then(|rest| rest.strip_suffix("\");"))
        {
            let gate = attr.take().map(|a| {
                a.strip_prefix("#[cfg(feature = \"")
                    .and_then(|rest| rest.strip_suffix("\")]"))
            });
            let part = parts
                .next()
                .filter(|p| p.file == file && gate == p.feature.map(|f| Some(f.name())))
                .ok_or_else(|| malformed(&format!("`{line}` is not the next part")))?;
            if part.feature.is_none_or(&wanted) {
                if !out.ends_with("\n\n") {
                    out.push('\n');
                }
                push_indented(&mut out, part.text.trim_end());
            }
        } else if line.starts_with("mod ") || line.starts_with("pub mod ") {
            // The crate's own modules (tests, fuzz entry points) and their attributes.
            attr = None;
        } else if let Some(a) = attr {
            return Err(malformed(&format!("`{a}` is on a line it cannot splice")));
        } else {
            push_line(&mut out, line);
        }
    }
    if parts.next().is_some() {
        return Err(malformed("it does not include every part"));
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out.push_str("    }\n");
    Ok(out)
}

/// Appends `text` line by line.
fn push_indented(out: &mut String, text: &str) {
    for line in text.lines() {
        push_line(out, line);
    }
}

/// Appends `line`, indented to the module's body unless it is empty.
fn push_line(out: &mut String, line: &str) {
    if !line.is_empty() {
        out.push_str(INDENT);
        out.push_str(line);
    }
    out.push('\n');
}

fn malformed(what: &str) -> BackendError {
    BackendError::Template {
        template: "runtime/rust/src/runtime/mod.rs".into(),
        message: format!("the runtime's root is not what the splicer reads: {what}"),
    }
}

#[cfg(test)]
#[path = "runtime_tests.rs"]
mod tests;
