//! Options of a skelgen run, declared once for the library and the command line.
//!
//! With the `cli` feature the same struct is a `clap::Args`, so a flag cannot exist on one
//! side only.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::str::FromStr;

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
    /// The loader's detached CMS signatures (DER), one per kernel scheme, each next to the
    /// bytes it signs, into the `-o` directory (needs --sign-key and --sign-cert)
    Signature,
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
            Emit::Signature => "signature",
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

    /// The language spelled `name` on the command line.
    pub fn from_name(name: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.as_str() == name)
    }

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
    /// Userspace C: NAME.lskel.h.
    C,
    /// Rust: NAME.skel.rs.
    Rust,
    /// Go: NAME_skel.go.
    Go,
    /// Kernel-module C: NAME.kern.lskel.h.
    Kernel,
    /// Every language, each to its file name in the -o directory.
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

/// A `--file-name LANG=NAME` value: the file name of one language's skeleton when several
/// languages are written to a directory. `{name}` in NAME stands for the object name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName {
    /// The language whose file is named.
    pub lang: Lang,
    /// The file name, perhaps with `{name}` in it.
    pub pattern: String,
}

impl FileName {
    /// The file name for object `name`.
    pub fn expand(&self, name: &str) -> String {
        self.pattern.replace("{name}", name)
    }
}

impl FromStr for FileName {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let (lang, pattern) = value
            .split_once('=')
            .ok_or_else(|| format!("{value:?} is not LANG=NAME (for example c={{name}}.skel.h)"))?;
        let lang = Lang::from_name(lang).ok_or_else(|| {
            let names: Vec<_> = Lang::ALL.iter().map(|l| l.as_str()).collect();
            format!("{lang:?} is not a language (one of {})", names.join(", "))
        })?;
        check_file_name(pattern)?;
        Ok(FileName {
            lang,
            pattern: pattern.to_string(),
        })
    }
}

/// Why `name` cannot be a file name inside the output directory, if it cannot.
pub(crate) fn check_file_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name == "." || name == ".." {
        return Err(format!("{name:?} is not a file name"));
    }
    if name.contains(['/', '\0']) {
        return Err(format!(
            "{name:?} is not a plain file name: files go into the -o directory"
        ));
    }
    Ok(())
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

    /// With several languages: the file name of LANG's skeleton in the -o directory instead of
    /// its conventional one (`{name}` is the object name); repeat it for several languages
    #[cfg_attr(feature = "cli", arg(long = "file-name", value_name = "LANG=NAME"))]
    pub file_name: Vec<FileName>,

    /// Package name of the Go skeleton [default: the object name made a Go package name:
    /// lower case, other characters as `_`, a keyword or predeclared identifier, `main` or
    /// `init` with `_` appended]
    #[cfg_attr(feature = "cli", arg(long, value_name = "NAME"))]
    pub go_package: Option<String>,

    /// Also define this struct, union or enum of the object's BTF (`event`, or `struct
    /// event`) in every skeleton, with typed ring and perf buffer reading; repeat it for
    /// several. `--emit summary` lists the names
    #[cfg_attr(feature = "cli", arg(long = "type", value_name = "NAME"))]
    pub types: Vec<String>,

    /// Sign the loader with this private key (PEM: RSA, or ECDSA P-256; unencrypted), for
    /// kernels that verify signed BPF programs (Linux 6.18 and later); needs --sign-cert
    #[cfg_attr(
        feature = "cli",
        arg(long = "sign-key", value_name = "PATH", requires = "sign_cert")
    )]
    pub sign_key: Option<PathBuf>,

    /// The X.509 certificate (PEM or DER) of --sign-key, which names the signer to the
    /// kernel by its subject key identifier; needs --sign-key
    #[cfg_attr(
        feature = "cli",
        arg(long = "sign-cert", value_name = "PATH", requires = "sign_key")
    )]
    pub sign_cert: Option<PathBuf>,
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

    /// Whether the loader is to be signed (`--sign-key`, `--sign-cert`).
    pub fn signs(&self) -> bool {
        self.sign_key.is_some() || self.sign_cert.is_some()
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
        for f in &self.file_name {
            args.extend([
                "--file-name".to_string(),
                format!("{}={}", f.lang.as_str(), f.pattern),
            ]);
        }
        if let Some(package) = &self.go_package {
            args.extend(["--go-package".to_string(), package.clone()]);
        }
        for ty in &self.types {
            args.extend(["--type".to_string(), ty.clone()]);
        }
        if let Some(key) = &self.sign_key {
            args.extend(["--sign-key".to_string(), key.display().to_string()]);
        }
        if let Some(cert) = &self.sign_cert {
            args.extend(["--sign-cert".to_string(), cert.display().to_string()]);
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

    #[test]
    fn file_name_parses_lang_and_pattern() {
        let f: FileName = "go={name}_bpf.go".parse().unwrap();
        assert_eq!(f.lang, Lang::Go);
        assert_eq!(f.expand("minimal"), "minimal_bpf.go");
        let f: FileName = "kernel=loader.h".parse().unwrap();
        assert_eq!(f.expand("minimal"), "loader.h");
    }

    #[test]
    fn file_name_refuses_what_is_not_a_plain_name() {
        for bad in ["c", "c=", "c=.", "c=..", "c=sub/x.h", "all=x.h", "cpp=x.h"] {
            assert!(bad.parse::<FileName>().is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn every_lang_is_found_by_its_name() {
        for lang in Lang::ALL {
            assert_eq!(Lang::from_name(lang.as_str()), Some(lang));
        }
        assert_eq!(Lang::from_name("all"), None);
    }
}
