//! skelgen reads a compiled BPF object and writes light skeletons for Rust, Go, C and kernel
//! modules: every `bpf()` call a loader would make is compiled into one
//! `BPF_PROG_TYPE_SYSCALL` loader program and its data, which each skeleton replays.
#![deny(missing_docs)]

pub mod backend;
pub mod btf;
pub mod build;
pub mod elf;
pub mod ir;
pub mod loader;
#[cfg(feature = "sign")]
pub mod sign;
pub mod uapi;

mod error;
pub mod lower;
mod options;
mod signature;
mod summary;

pub use error::Error;
pub use ir::ObjectSpec;
pub use options::{default_object_name, Emit, FileName, Lang, LangChoice, Options};
pub use signature::{generate_signatures, SignatureFile};

use std::path::Path;

/// Reads a BPF object from memory with default options.
///
/// `source` names the object in error messages and gives the default object name (the file
/// name up to its first dot, as libbpf does).
///
/// # Errors
/// When the bytes are not a BPF ELF object with BTF, or describe something that cannot be
/// loaded; the error names the object and the section, offset or symbol at fault.
pub fn parse_object(data: &[u8], source: &str) -> Result<ObjectSpec, Error> {
    parse_object_with(data, source, &Options::default())
}

/// Reads a BPF object from memory, naming it as `options` say.
///
/// # Errors
/// As [`parse_object`], and when `--name` is empty.
pub fn parse_object_with(
    data: &[u8],
    source: &str,
    options: &Options,
) -> Result<ObjectSpec, Error> {
    let name = match &options.name {
        Some(n) if n.is_empty() => {
            return Err(Error::BadOption {
                option: "--name",
                reason: "the object name is empty".into(),
            })
        }
        Some(n) => n.clone(),
        None => default_object_name(source),
    };
    let elf = elf::ElfFile::parse(data).map_err(|source_err| Error::Elf {
        object: source.to_string(),
        source: source_err,
    })?;
    lower::lower(&elf, &name, &options.types).map_err(|e| Error::Lower {
        object: source.to_string(),
        source: e,
    })
}

/// Produces the output `options.emit` asks for, completely, in memory.
///
/// # Errors
/// As [`parse_object_with`], and when the loader program cannot be compiled.
pub fn generate(data: &[u8], source: &str, options: &Options) -> Result<Vec<u8>, Error> {
    let spec = parse_object_with(data, source, options)?;
    let compile = || signature::compile_loader(&spec, source, options);
    Ok(match options.effective_emit() {
        Emit::Summary => {
            let stamp = version_stamp("#", loader::plan::LOADER_ABI_VERSION);
            let mut text = format!("{stamp}\n{}", summary::render(&spec));
            if options.signs() {
                text.push('\n');
                for line in signature_lines(&compile()?, "") {
                    text.push_str(&line);
                    text.push('\n');
                }
            }
            text.into_bytes()
        }
        Emit::Ir => {
            let mut json = serde_json::to_string_pretty(&spec).expect("the IR always serialises");
            json.push('\n');
            json.into_bytes()
        }
        Emit::Plan => {
            let blob = compile()?;
            let mut text = version_stamp("#", blob.plan.abi_version);
            for line in signature_lines(&blob, "# ") {
                text.push('\n');
                text.push_str(&line);
            }
            for line in blob.plan.describe(&spec) {
                text.push('\n');
                text.push_str(&line);
            }
            text.push('\n');
            text.into_bytes()
        }
        Emit::Asm => {
            let blob = compile()?;
            let stamp = version_stamp(";", blob.plan.abi_version);
            format!("{stamp}\n{}", blob.listing()).into_bytes()
        }
        Emit::Blob => compile()?.data,
        Emit::Signature => {
            return Err(Error::BadOption {
                option: "--emit",
                reason: "signature writes one signature and its signed bytes per kernel scheme: \
                         use generate_signatures (on the command line, -o DIR)"
                    .into(),
            })
        }
        Emit::Skeleton => {
            let lang = match options.langs()[..] {
                [lang] => lang,
                [] => {
                    return Err(Error::BadOption {
                        option: "--emit",
                        reason: "a skeleton needs --lang to say which language".into(),
                    })
                }
                _ => {
                    return Err(Error::BadOption {
                        option: "--lang",
                        reason: "several languages make several files: use generate_outputs \
                                 (on the command line, -o DIR)"
                            .into(),
                    })
                }
            };
            render_skeleton(lang, &spec, &compile()?, source, options)?.into_bytes()
        }
    })
}

/// What `--emit summary` and `--emit plan` say about a signed loader (nothing when unsigned).
fn signature_lines(blob: &loader::Blob, prefix: &str) -> Vec<String> {
    blob.signatures
        .as_ref()
        .map(|s| s.describe(prefix))
        .unwrap_or_default()
}

/// The comment line that opens `--emit summary|plan|asm` output: which skelgen and which
/// loader ABI produced it, so a saved listing can be matched with the build that made it.
fn version_stamp(comment: &str, abi_version: u32) -> String {
    format!(
        "{comment} generated by skelgen {}, loader ABI {abi_version}",
        env!("CARGO_PKG_VERSION")
    )
}

/// One generated file: its file name and its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// The language it is written in.
    pub lang: Lang,
    /// The file name: [`Lang::file_name`] of the object name unless `--file-name` says
    /// otherwise.
    pub file_name: String,
    /// The file's contents.
    pub contents: Vec<u8>,
}

/// The skeleton of every language `options.lang` names, each with its file name, all
/// produced before any is returned, from one parse and one loader compile.
///
/// # Errors
/// As [`generate`]; when no language is named; when `--file-name` names a language not
/// asked for, names one twice, or gives two files the same name; when any one backend fails
/// (the error names the language).
pub fn generate_outputs(
    data: &[u8],
    source: &str,
    options: &Options,
) -> Result<Vec<Output>, Error> {
    let langs = options.langs();
    if langs.is_empty() {
        return Err(Error::BadOption {
            option: "--lang",
            reason: "name at least one language (c, rust, go, kernel or all)".into(),
        });
    }
    let spec = parse_object_with(data, source, options)?;
    let names = file_names(&langs, &spec.name, options)?;
    let blob = signature::compile_loader(&spec, source, options)?;
    langs
        .into_iter()
        .zip(names)
        .map(|(lang, file_name)| {
            Ok(Output {
                lang,
                file_name,
                contents: render_skeleton(lang, &spec, &blob, source, options)?.into_bytes(),
            })
        })
        .collect()
}

/// The file name of each of `langs`, checked: every `--file-name` is for a language asked
/// for, none is given twice, and no two files get the same name.
fn file_names(langs: &[Lang], object: &str, options: &Options) -> Result<Vec<String>, Error> {
    let bad = |reason: String| Error::BadOption {
        option: "--file-name",
        reason,
    };
    for (i, f) in options.file_name.iter().enumerate() {
        if !langs.contains(&f.lang) {
            return Err(bad(format!(
                "{}={}: --lang does not ask for {}",
                f.lang.as_str(),
                f.pattern,
                f.lang.as_str()
            )));
        }
        if options.file_name[..i].iter().any(|g| g.lang == f.lang) {
            return Err(bad(format!("{} is named twice", f.lang.as_str())));
        }
    }
    let mut names: Vec<String> = Vec::with_capacity(langs.len());
    for &lang in langs {
        let name = match options.file_name.iter().find(|f| f.lang == lang) {
            Some(f) => f.expand(object),
            None => lang.file_name(object),
        };
        options::check_file_name(&name)
            .map_err(|reason| bad(format!("{}: {reason}", lang.as_str())))?;
        if let Some(other) = langs.iter().zip(&names).find(|(_, n)| **n == name) {
            return Err(bad(format!(
                "{} and {} would both be written to {name}",
                other.0.as_str(),
                lang.as_str()
            )));
        }
        names.push(name);
    }
    Ok(names)
}

fn render_skeleton(
    lang: Lang,
    spec: &ObjectSpec,
    blob: &loader::Blob,
    source: &str,
    options: &Options,
) -> Result<String, Error> {
    backend::render_with(lang, spec, blob, options).map_err(|e| Error::Backend {
        object: source.to_string(),
        lang,
        source: e,
    })
}

/// Reads the object at `path` and produces the output `options.emit` asks for.
///
/// # Errors
/// When the file cannot be read, and as [`generate`].
pub fn generate_file(path: &Path, options: &Options) -> Result<Vec<u8>, Error> {
    let data = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    generate(&data, &path.display().to_string(), options)
}

/// Writes `contents` to `path` unless the file already holds exactly that, so build systems
/// see no change; returns whether it wrote. The file is replaced atomically.
///
/// # Errors
/// When the file cannot be written.
pub fn write_if_changed(path: &Path, contents: &[u8]) -> Result<bool, Error> {
    if std::fs::read(path).is_ok_and(|old| old == contents) {
        return Ok(false);
    }
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{file_name}.skelgen-tmp"));
    std::fs::write(&tmp, contents).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e)
    })?;
    Ok(true)
}
