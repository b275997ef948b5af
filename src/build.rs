//! Generating skeletons from a cargo build script.
//!
//! The common case is one line in `build.rs`, which writes `<name>.skel.rs` into `OUT_DIR`:
//!
//! ```no_run
//! // build.rs, in `fn main()`:
//! skelgen::build::generate("src/bpf/minimal.bpf.o").expect("skeleton of minimal.bpf.o");
//! ```
//!
//! and one line where the skeleton is used (it defines `pub mod minimal`, and needs the
//! `libc` crate among the dependencies):
//!
//! ```ignore
//! include!(concat!(env!("OUT_DIR"), "/minimal.skel.rs"));
//! ```
//!
//! [`Builder`] does the rest: several objects, other languages (a C header for a C part of
//! the build, a Go file), another object name, another output directory. It takes the
//! same [`Options`] as the command line. Files are written only when their contents
//! change, so cargo does not rebuild what did not change, and nothing is written unless
//! every skeleton could be generated.

use crate::{generate_outputs, write_if_changed, Error, Lang, LangChoice, Options};
use std::path::{Path, PathBuf};

/// Writes the Rust skeleton of the BPF object at `object` into `OUT_DIR` and tells cargo
/// to run the build script again when the object changes. Returns the file's path.
///
/// # Errors
/// When `OUT_DIR` is not set (outside a build script), the object cannot be read or has no
/// skeleton, or the file cannot be written.
///
/// # Example
/// ```no_run
/// skelgen::build::generate("src/bpf/minimal.bpf.o").unwrap();
/// ```
pub fn generate(object: impl AsRef<Path>) -> Result<PathBuf, Error> {
    let mut files = Builder::new().object(object).generate()?;
    files.pop().ok_or_else(|| Error::BadOption {
        option: "--lang",
        reason: "no skeleton was generated".into(),
    })
}

/// Generates the skeletons of one or more BPF objects, in one or more languages.
///
/// # Example
/// ```no_run
/// use skelgen::{build::Builder, Lang};
///
/// Builder::new()
///     .object("src/bpf/probes.bpf.o")
///     .lang(Lang::Rust)
///     .lang(Lang::C)
///     .out_dir("target/skeletons")
///     .generate()
///     .unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    objects: Vec<PathBuf>,
    options: Options,
    out_dir: Option<PathBuf>,
    cargo_metadata: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    /// A builder for Rust skeletons written to `OUT_DIR`, printing `cargo:` lines.
    pub fn new() -> Self {
        Builder {
            objects: Vec::new(),
            options: Options::default(),
            out_dir: None,
            cargo_metadata: true,
        }
    }

    /// Adds a BPF object (`.bpf.o`) to generate the skeletons of.
    pub fn object(&mut self, path: impl AsRef<Path>) -> &mut Self {
        self.objects.push(path.as_ref().to_path_buf());
        self
    }

    /// Adds a language (`--lang`); without any, Rust.
    pub fn lang(&mut self, lang: impl Into<LangChoice>) -> &mut Self {
        self.options.lang.push(lang.into());
        self
    }

    /// The object name (`--name`): the skeleton's module, type and file names. With one
    /// object only.
    pub fn name(&mut self, name: impl Into<String>) -> &mut Self {
        self.options.name = Some(name.into());
        self
    }

    /// Adds a struct, union or enum of the object's BTF for the skeletons to define
    /// (`--type`), by its C name (`event`, or `struct event`). With several objects, each
    /// must have it.
    pub fn type_name(&mut self, name: impl Into<String>) -> &mut Self {
        self.options.types.push(name.into());
        self
    }

    /// Signs the loader of every skeleton (`--sign-key`, `--sign-cert`): the PEM private key
    /// at `key` and its certificate, PEM or DER, at `cert` (docs/signing.md). Needs the
    /// `sign` feature; without it, generation fails saying so.
    pub fn sign(&mut self, key: impl AsRef<Path>, cert: impl AsRef<Path>) -> &mut Self {
        self.options.sign_key = Some(key.as_ref().to_path_buf());
        self.options.sign_cert = Some(cert.as_ref().to_path_buf());
        self
    }

    /// Every option at once, as the command line takes them; `emit` is ignored (a build
    /// writes skeletons).
    pub fn options(&mut self, options: Options) -> &mut Self {
        self.options = options;
        self
    }

    /// Where the files go; by default `OUT_DIR`. Created if missing.
    pub fn out_dir(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.out_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Whether to print `cargo:rerun-if-changed=<object>` for each object (on by default;
    /// turn it off outside build scripts).
    pub fn cargo_metadata(&mut self, on: bool) -> &mut Self {
        self.cargo_metadata = on;
        self
    }

    /// Generates every skeleton, then writes those whose contents changed. Returns the
    /// paths of all of them, objects in the order given, languages in `--lang` order.
    ///
    /// # Errors
    /// When no object is given, `name` is given with several objects, there is no output
    /// directory, an object cannot be read or has no skeleton in a language asked for, or
    /// a file cannot be written. Nothing is written unless every skeleton was generated.
    pub fn generate(&self) -> Result<Vec<PathBuf>, Error> {
        if self.objects.is_empty() {
            return Err(Error::BadOption {
                option: "object",
                reason: "no BPF object given (Builder::object)".into(),
            });
        }
        if self.options.name.is_some() && self.objects.len() > 1 {
            return Err(Error::BadOption {
                option: "--name",
                reason: "one name for several objects would give them the same file".into(),
            });
        }
        let out_dir = self.resolve_out_dir()?;
        let mut options = self.options.clone();
        if options.lang.is_empty() {
            options.lang.push(Lang::Rust.into());
        }
        let mut pending = Vec::new();
        for object in &self.objects {
            if self.cargo_metadata {
                println!("cargo:rerun-if-changed={}", object.display());
            }
            let data = std::fs::read(object).map_err(|source| Error::Io {
                path: object.clone(),
                source,
            })?;
            let source = object.display().to_string();
            pending.extend(generate_outputs(&data, &source, &options)?);
        }
        std::fs::create_dir_all(&out_dir).map_err(|source| Error::Io {
            path: out_dir.clone(),
            source,
        })?;
        let mut written = Vec::with_capacity(pending.len());
        for output in pending {
            let path = out_dir.join(&output.file_name);
            write_if_changed(&path, &output.contents)?;
            written.push(path);
        }
        Ok(written)
    }

    fn resolve_out_dir(&self) -> Result<PathBuf, Error> {
        match (&self.out_dir, std::env::var_os("OUT_DIR")) {
            (Some(dir), _) => Ok(dir.clone()),
            (None, Some(dir)) => Ok(PathBuf::from(dir)),
            (None, None) => Err(Error::BadOption {
                option: "out_dir",
                reason: "OUT_DIR is not set (not in a build script): give Builder::out_dir".into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("skelgen-build-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn example(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("examples/bpf/{name}.bpf.o"))
    }

    #[test]
    fn writes_the_rust_skeleton_once() {
        let dir = scratch("rust");
        let files = Builder::new()
            .object(example("minimal"))
            .out_dir(&dir)
            .cargo_metadata(false)
            .generate()
            .unwrap();
        assert_eq!(files, [dir.join("minimal.skel.rs")]);
        let data = std::fs::read(example("minimal")).unwrap();
        let options = Options::for_lang(Lang::Rust);
        let expected = generate_outputs(&data, "minimal.bpf.o", &options).unwrap();
        assert_eq!(std::fs::read(&files[0]).unwrap(), expected[0].contents);
        let before = std::fs::metadata(&files[0]).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        Builder::new()
            .object(example("minimal"))
            .out_dir(&dir)
            .cargo_metadata(false)
            .generate()
            .unwrap();
        let after = std::fs::metadata(&files[0]).unwrap().modified().unwrap();
        assert_eq!(before, after, "an unchanged skeleton must not be rewritten");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn several_objects_and_languages() {
        let dir = scratch("many");
        let files = Builder::new()
            .object(example("minimal"))
            .object(example("iterators"))
            .lang(Lang::C)
            .lang(Lang::Rust)
            .out_dir(&dir)
            .cargo_metadata(false)
            .generate()
            .unwrap();
        let names: Vec<_> = files
            .iter()
            .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "minimal.lskel.h",
                "minimal.skel.rs",
                "iterators.lskel.h",
                "iterators.skel.rs"
            ]
        );
        let renamed = Builder::new()
            .object(example("minimal"))
            .name("counter")
            .out_dir(&dir)
            .cargo_metadata(false)
            .generate()
            .unwrap();
        assert_eq!(renamed, [dir.join("counter.skel.rs")]);
        let text = std::fs::read_to_string(&renamed[0]).unwrap();
        assert!(text.contains("pub mod counter {"), "{}", &text[..400]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn nothing_is_written_when_one_object_fails() {
        let dir = scratch("fail");
        let err = Builder::new()
            .object(example("minimal"))
            .object(example("no-such-object"))
            .out_dir(&dir)
            .cargo_metadata(false)
            .generate()
            .unwrap_err();
        assert!(err.to_string().contains("no-such-object"), "{err}");
        assert!(!dir.exists(), "nothing may be written on failure");
    }

    #[test]
    fn bad_setups_are_refused_by_name() {
        let err = Builder::new().generate().unwrap_err().to_string();
        assert!(err.contains("no BPF object"), "{err}");
        let err = Builder::new()
            .object(example("minimal"))
            .object(example("iterators"))
            .name("x")
            .generate()
            .unwrap_err()
            .to_string();
        assert!(err.contains("--name"), "{err}");
        // Tests run without a build script, so OUT_DIR is not set.
        assert!(std::env::var_os("OUT_DIR").is_none());
        let err = generate(example("minimal")).unwrap_err().to_string();
        assert!(err.contains("OUT_DIR"), "{err}");
    }
}
