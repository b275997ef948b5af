//! Options of a skelgen run, declared once for the library and the command line.
//!
//! With the `cli` feature the same struct is a `clap::Args`, so a flag cannot exist on one
//! side only.

use serde::{Deserialize, Serialize};

/// What skelgen writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum Emit {
    /// A readable summary: programs, maps, variables and externs.
    #[default]
    Summary,
    /// The ObjectSpec as JSON.
    Ir,
    /// Every syscall the loader program will make, in order, with its arguments.
    Plan,
    /// The loader program, disassembled and annotated with the step each stretch performs.
    Asm,
    /// The raw loader blob: the data every skeleton embeds.
    Blob,
    /// A light skeleton in the language `--lang` names (implied by `--lang`).
    Skeleton,
}

impl Emit {
    /// The value as spelled on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Emit::Summary => "summary",
            Emit::Ir => "ir",
            Emit::Plan => "plan",
            Emit::Asm => "asm",
            Emit::Blob => "blob",
            Emit::Skeleton => "skeleton",
        }
    }
}

/// The language of a light skeleton.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    /// One self-contained userspace C header (also valid C++).
    C,
    /// One Rust module, depending on `libc` at most.
    Rust,
    /// One Go file, standard library only.
    Go,
    /// One header for an out-of-tree kernel module.
    Kernel,
}

impl Lang {
    /// The value as spelled on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::C => "c",
            Lang::Rust => "rust",
            Lang::Go => "go",
            Lang::Kernel => "kernel",
        }
    }

    /// Every language, in the order `--lang all` writes them.
    pub const ALL: [Lang; 4] = [Lang::C, Lang::Rust, Lang::Go, Lang::Kernel];

    /// The conventional file name of the skeleton of object `name` in this language.
    pub fn file_name(self, name: &str) -> String {
        match self {
            Lang::C => format!("{name}.lskel.h"),
            Lang::Rust => format!("{name}.skel.rs"),
            Lang::Go => format!("{name}_skel.go"),
            Lang::Kernel => format!("{name}.kern.lskel.h"),
        }
    }
}

/// A `--lang` value: one language, or `all` of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum LangChoice {
    /// `--lang c`.
    C,
    /// `--lang rust`.
    Rust,
    /// `--lang go`.
    Go,
    /// `--lang kernel`.
    Kernel,
    /// Every language, each to its conventional file name.
    All,
}

impl From<Lang> for LangChoice {
    fn from(lang: Lang) -> Self {
        match lang {
            Lang::C => LangChoice::C,
            Lang::Rust => LangChoice::Rust,
            Lang::Go => LangChoice::Go,
            Lang::Kernel => LangChoice::Kernel,
        }
    }
}

impl LangChoice {
    /// The languages this choice stands for.
    pub fn langs(self) -> &'static [Lang] {
        match self {
            LangChoice::C => &[Lang::C],
            LangChoice::Rust => &[Lang::Rust],
            LangChoice::Go => &[Lang::Go],
            LangChoice::Kernel => &[Lang::Kernel],
            LangChoice::All => &Lang::ALL,
        }
    }
}

/// Options for reading an object and producing output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct Options {
    /// Object name used for generated identifiers and kernel map names
    /// [default: the object's file name up to its first dot]
    #[cfg_attr(feature = "cli", arg(long, value_name = "NAME"))]
    pub name: Option<String>,

    /// What to write
    #[cfg_attr(feature = "cli", arg(long, value_enum, default_value_t = Emit::Summary))]
    pub emit: Emit,

    /// Write a light skeleton in this language; repeat it, or say `all`, for several (then
    /// `-o` names a directory). With `--emit` left at summary this writes the skeleton;
    /// `--emit plan|asm|blob|ir` still write those
    #[cfg_attr(feature = "cli", arg(long, value_enum, value_name = "LANG"))]
    pub lang: Vec<LangChoice>,

    /// Package name of the Go skeleton [default: the object name made a Go package name:
    /// lower case, other characters as `_`, a keyword or predeclared identifier, `main` or
    /// `init` with `_` appended]
    #[cfg_attr(feature = "cli", arg(long, value_name = "NAME"))]
    pub go_package: Option<String>,
}

impl Options {
    /// What to write once `--lang` is taken into account: a language given with the default
    /// `--emit summary` asks for its skeleton.
    pub fn effective_emit(&self) -> Emit {
        match self.emit {
            Emit::Summary if !self.lang.is_empty() => Emit::Skeleton,
            emit => emit,
        }
    }

    /// Options asking for the skeleton in `lang`.
    pub fn for_lang(lang: Lang) -> Self {
        Options {
            lang: vec![lang.into()],
            ..Options::default()
        }
    }

    /// The languages asked for, each once, in [`Lang::ALL`] order.
    pub fn langs(&self) -> Vec<Lang> {
        Lang::ALL
            .into_iter()
            .filter(|l| self.lang.iter().any(|c| c.langs().contains(l)))
            .collect()
    }

    /// The command-line arguments that reproduce these options.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(name) = &self.name {
            args.extend(["--name".to_string(), name.clone()]);
        }
        args.extend(["--emit".to_string(), self.emit.as_str().to_string()]);
        for lang in self.langs() {
            args.extend(["--lang".to_string(), lang.as_str().to_string()]);
        }
        if let Some(package) = &self.go_package {
            args.extend(["--go-package".to_string(), package.clone()]);
        }
        args
    }
}

/// The object name libbpf would use: the file name up to its first dot.
pub fn default_object_name(source: &str) -> String {
    let file = source.rsplit('/').next().unwrap_or(source);
    let stem = file.split('.').next().unwrap_or(file);
    if stem.is_empty() {
        "bpf".to_string()
    } else {
        stem.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_name_follows_libbpf() {
        assert_eq!(default_object_name("examples/bpf/minimal.bpf.o"), "minimal");
        assert_eq!(default_object_name("x.o"), "x");
        assert_eq!(default_object_name(".hidden.o"), "bpf");
    }
}
