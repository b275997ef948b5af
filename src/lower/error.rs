//! Errors found while turning a parsed object into an [`crate::ir::ObjectSpec`].

use crate::btf::BtfError;
use thiserror::Error;

/// Something in the object that skelgen cannot turn into a loader plan.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LowerError {
    /// The object has no `.BTF` section.
    #[error("no .BTF section: skelgen needs BTF to describe maps and global data; compile with `clang -g -target bpf`")]
    MissingBtf,
    /// The `.BTF` or `.BTF.ext` section is malformed.
    #[error("section {section}: {source}")]
    Btf {
        /// `.BTF` or `.BTF.ext`.
        section: &'static str,
        /// What the BTF reader found.
        #[source]
        source: BtfError,
    },
    /// An executable section whose name libbpf does not know.
    #[error("section {section}: unknown program section name; use a libbpf SEC() name such as \"tp/<category>/<name>\", \"xdp\" or \"kprobe/<func>\"")]
    UnknownSection {
        /// Section name.
        section: String,
    },
    /// A map definition in `.maps` that cannot be used.
    #[error("map {map}: {reason}")]
    BadMap {
        /// Map name.
        map: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A program that cannot be linked.
    #[error("section {section}, program {program}: {reason}")]
    BadProgram {
        /// Section name.
        section: String,
        /// Program (function) name.
        program: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A relocation that cannot be applied.
    #[error("section {section}, relocation at offset {offset:#x} against {symbol}: {reason}")]
    BadRelocation {
        /// Section the relocation applies to.
        section: String,
        /// Byte offset in that section.
        offset: u64,
        /// Symbol the relocation refers to.
        symbol: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An extern that cannot be resolved on any kernel.
    #[error("extern {name}: {reason}")]
    BadExtern {
        /// Symbol name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A struct_ops variable that cannot become a struct_ops map.
    #[error("section {section}, variable {variable}{}: {reason}", member_text(.member))]
    BadStructOps {
        /// `.struct_ops` or `.struct_ops.link`, as in the object.
        section: String,
        /// The variable (the map's name).
        variable: String,
        /// The member at fault, if one is.
        member: Option<String>,
        /// What is wrong and what to do.
        reason: String,
    },
    /// A data section that cannot become a map.
    #[error("section {section}: {reason}")]
    BadSection {
        /// Section name.
        section: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `--type` names no struct, union or enum of the object's BTF.
    #[error("--type {name:?}: no struct, union or enum of that name in the object's BTF{}; `skelgen --emit summary` lists the types, and a type the programs only cast to is kept in BTF by a global such as `const struct event *unused __attribute__((unused));`", close_text(.close))]
    UnknownType {
        /// The name as given.
        name: String,
        /// Names of the object's types close to it.
        close: Vec<String>,
    },
    /// `--type` names several types of the object's BTF.
    #[error("--type {name:?}: several types have that name ({}); name one with its keyword (`--type 'struct NAME'`)", .candidates.join(", "))]
    AmbiguousType {
        /// The name as given.
        name: String,
        /// The types it could mean.
        candidates: Vec<String>,
    },
}

fn close_text(close: &[String]) -> String {
    if close.is_empty() {
        String::new()
    } else {
        format!(" (close: {})", close.join(", "))
    }
}

fn member_text(member: &Option<String>) -> String {
    member
        .as_ref()
        .map(|m| format!(", member {m}"))
        .unwrap_or_default()
}

impl LowerError {
    pub(crate) fn btf(source: BtfError) -> Self {
        LowerError::Btf {
            section: ".BTF",
            source,
        }
    }

    pub(crate) fn btf_ext(source: BtfError) -> Self {
        LowerError::Btf {
            section: ".BTF.ext",
            source,
        }
    }
}
