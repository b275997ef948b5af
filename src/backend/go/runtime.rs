//! The Go runtime every skeleton carries: the files of `runtime/go`, a Go package of its
//! own, spliced verbatim after the per-object part with the placeholder prefix of their
//! names replaced by the object's ([`super::prefix`]). Which files an object needs is
//! decided by [`Features`]; the skeleton's import block is the union of theirs.

use super::prefix::{self, Segment};
use crate::backend::BackendError;
use std::sync::OnceLock;

/// The runtime's package clause: each file starts with it, and the splice drops it.
const PACKAGE: &str = "package skelgenrt\n\n";

/// The file of the package that stands in for the per-object part (an object with no maps
/// and no programs) so that the package builds and tests on its own; it is never spliced.
pub const STAND_IN: &str = "object.go";

/// What an object needs of the runtime beyond its core.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Features {
    /// Bitfield accessors in the types (the bit helpers).
    pub bitfields: bool,
    /// A `.kconfig` map (the kernel configuration reader).
    pub kconfig: bool,
    /// Ring buffers or perf event arrays (their readers).
    pub buffers: bool,
    /// struct_ops (the kernel-BTF reader and the struct_ops layout).
    pub struct_ops: bool,
    /// Uprobe programs (the ELF symbol reader and attaching by function name).
    pub uprobe: bool,
}

/// When a file goes into a skeleton.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    Always,
    Bitfields,
    Kconfig,
    Buffers,
    StructOps,
    Uprobe,
}

impl Need {
    fn met_by(self, f: &Features) -> bool {
        match self {
            Need::Always => true,
            Need::Bitfields => f.bitfields,
            Need::Kconfig => f.kconfig,
            Need::Buffers => f.buffers,
            Need::StructOps => f.struct_ops,
            Need::Uprobe => f.uprobe,
        }
    }
}

/// One file of the runtime.
struct Source {
    file: &'static str,
    text: &'static str,
    need: Need,
}

macro_rules! source {
    ($file:literal, $need:ident) => {
        Source {
            file: $file,
            text: include_str!(concat!("../../../runtime/go/", $file)),
            need: Need::$need,
        }
    };
}

/// The spliced files, in the order they appear in a skeleton.
const SOURCES: &[Source] = &[
    source!("runtime.go", Always),
    source!("bits.go", Bitfields),
    source!("handles.go", Always),
    source!("attach.go", Always),
    source!("kconfig.go", Kconfig),
    source!("buffers.go", Buffers),
    source!("records.go", Buffers),
    source!("btf.go", StructOps),
    source!("struct_ops.go", StructOps),
    source!("elf.go", Uprobe),
    source!("uprobe.go", Uprobe),
];

/// A file split into its imports and its body, the body into the segments of its prefix
/// rewrite.
struct Prepared {
    imports: Vec<&'static str>,
    body: &'static str,
    segments: Vec<Segment>,
    need: Need,
}

/// A file's imports and body (everything after its import declaration).
fn split(text: &'static str) -> Result<(Vec<&'static str>, &'static str), String> {
    let rest = text
        .strip_prefix(PACKAGE)
        .ok_or_else(|| format!("does not start with {PACKAGE:?}"))?;
    let unquote = |spec: &'static str| {
        spec.trim()
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .ok_or_else(|| format!("import {spec:?} is not one quoted path"))
    };
    if let Some(block) = rest.strip_prefix("import (\n") {
        let (specs, body) = block
            .split_once("\n)\n")
            .ok_or("an import block without its end")?;
        let imports = specs.lines().map(unquote).collect::<Result<_, _>>()?;
        return Ok((imports, body));
    }
    if let Some(single) = rest.strip_prefix("import ") {
        let (spec, body) = single.split_once('\n').ok_or("an import without its end")?;
        return Ok((vec![unquote(spec)?], body));
    }
    Ok((Vec::new(), rest))
}

fn prepare(s: &Source) -> Result<Prepared, String> {
    let (imports, body) = split(s.text).map_err(|e| format!("runtime/go/{}: {e}", s.file))?;
    let segments =
        prefix::segments(body).map_err(|e| format!("runtime/go/{}: body {e}", s.file))?;
    Ok(Prepared {
        imports,
        body,
        segments,
        need: s.need,
    })
}

/// Every file prepared, once per process.
fn prepared() -> Result<&'static [Prepared], BackendError> {
    static PREPARED: OnceLock<Result<Vec<Prepared>, String>> = OnceLock::new();
    PREPARED
        .get_or_init(|| SOURCES.iter().map(prepare).collect())
        .as_deref()
        .map_err(|message| BackendError::Template {
            template: "runtime/go".into(),
            message: message.clone(),
        })
}

/// The packages the runtime parts of an object with `features` import, sorted as gofmt
/// sorts them.
///
/// # Errors
/// When a runtime file is malformed (a bug in skelgen, which the tests rule out).
pub fn imports(features: &Features) -> Result<Vec<String>, BackendError> {
    let mut out: Vec<String> = prepared()?
        .iter()
        .filter(|p| p.need.met_by(features))
        .flat_map(|p| p.imports.iter().map(|i| (*i).to_string()))
        .collect();
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Appends the runtime of an object with `features` to `out`, its names prefixed with
/// `exported` (`Minimal`) and `unexported` (`minimal`).
///
/// # Errors
/// As [`imports`].
pub fn append(
    features: &Features,
    exported: &str,
    unexported: &str,
    out: &mut String,
) -> Result<(), BackendError> {
    for p in prepared()?.iter().filter(|p| p.need.met_by(features)) {
        prefix::rewrite(p.body, &p.segments, exported, unexported, out);
    }
    Ok(())
}

#[cfg(test)]
#[path = "runtime_tests.rs"]
mod tests;
