//! skelgen reads a compiled BPF object and writes light skeletons for Rust, Go, C and kernel
//! modules: every `bpf()` call a loader would make is compiled into one
//! `BPF_PROG_TYPE_SYSCALL` loader program and its data, which each skeleton replays.
#![deny(missing_docs)]

pub mod backend;
pub mod btf;
pub mod elf;
pub mod ir;
pub mod loader;
pub mod uapi;

mod error;
pub mod lower;
mod options;
mod summary;

pub use error::Error;
pub use ir::ObjectSpec;
pub use options::{default_object_name, Emit, Lang, LangChoice, Options};

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
    lower::lower(&elf, &name).map_err(|e| Error::Lower {
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
    let compile = || {
        loader::compile(&spec).map_err(|e| Error::Compile {
            object: source.to_string(),
            source: e,
        })
    };
    Ok(match options.effective_emit() {
        Emit::Summary => summary::render(&spec).into_bytes(),
        Emit::Ir => {
            let mut json = serde_json::to_string_pretty(&spec).expect("the IR always serialises");
            json.push('\n');
            json.into_bytes()
        }
        Emit::Plan => {
            let blob = compile()?;
            let mut text = blob.plan.describe(&spec).join("\n");
            text.push('\n');
            text.into_bytes()
        }
        Emit::Asm => compile()?.listing().into_bytes(),
        Emit::Blob => compile()?.data,
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

/// One generated file: its conventional name and its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// The language it is written in.
    pub lang: Lang,
    /// The conventional file name ([`Lang::file_name`] of the object name).
    pub file_name: String,
    /// The file's contents.
    pub contents: Vec<u8>,
}

/// The skeleton of every language `options.lang` names, each with its conventional file
/// name, all produced before any is returned, from one parse and one loader compile.
///
/// # Errors
/// As [`generate`]; when no language is named; when any one backend fails.
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
    let blob = loader::compile(&spec).map_err(|e| Error::Compile {
        object: source.to_string(),
        source: e,
    })?;
    langs
        .into_iter()
        .map(|lang| {
            Ok(Output {
                lang,
                file_name: lang.file_name(&spec.name),
                contents: render_skeleton(lang, &spec, &blob, source, options)?.into_bytes(),
            })
        })
        .collect()
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
