//! Running the built `skelgen` binary: commands that must succeed or fail, temporary
//! directories, and the languages whose backend exists.

use super::env::ROOT;
use super::examples::minimal;
use std::borrow::BorrowMut;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

/// The `skelgen` binary cargo built for these tests.
pub const SKELGEN: &str = env!("CARGO_BIN_EXE_skelgen");

/// `skelgen` with `args`.
pub fn skelgen<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut cmd = Command::new(SKELGEN);
    cmd.args(args);
    cmd
}

/// Runs `cmd`, which must succeed; returns its standard output.
pub fn stdout_ok(mut cmd: impl BorrowMut<Command>) -> Vec<u8> {
    let cmd = cmd.borrow_mut();
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs `cmd`, which must fail with exit status 1; returns its standard error.
pub fn run_fails(mut cmd: impl BorrowMut<Command>) -> String {
    let cmd = cmd.borrow_mut();
    let out: Output = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert_eq!(
        out.status.code(),
        Some(1),
        "{cmd:?} did not fail with status 1:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A directory under the system's temporary directory, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    /// A new, empty directory whose name starts with `what`.
    pub fn new(what: &str) -> Scratch {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir =
            std::env::temp_dir().join(format!("skelgen-{what}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create a scratch directory");
        Scratch(dir)
    }

    /// A path inside the directory.
    pub fn join(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.0.join(rel)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The message of a backend that does not exist yet.
const NOT_AVAILABLE: &str = "not available yet";

/// The languages (as spelled on the command line, in `--lang all` order) whose backend
/// exists: each is asked for the minimal example's skeleton once. A language whose backend
/// says it is not available is left out, with a line on standard error; any other failure
/// fails the test, since every backend must handle the minimal example.
pub fn skeleton_langs() -> &'static [&'static str] {
    static LANGS: OnceLock<Vec<&'static str>> = OnceLock::new();
    LANGS.get_or_init(|| {
        let mut langs = Vec::new();
        for lang in ["c", "rust", "go", "kernel"] {
            let out = skelgen(["--lang", lang])
                .arg(minimal())
                .output()
                .expect("run skelgen");
            let stderr = String::from_utf8_lossy(&out.stderr);
            if out.status.success() {
                langs.push(lang);
            } else if stderr.contains(NOT_AVAILABLE) {
                eprintln!("note: --lang {lang} is not tested here: {}", stderr.trim());
            } else {
                panic!("--lang {lang} fails on the minimal example:\n{stderr}");
            }
        }
        assert!(langs.contains(&"c"), "the C backend must exist");
        langs
    })
}

/// The conventional file name of object `name`'s skeleton in `lang`.
pub fn conventional_name(lang: &str, name: &str) -> String {
    let lang = skelgen::Lang::from_name(lang).expect("a language");
    lang.file_name(name)
}

/// The file names in `dir`, sorted (hidden ones too).
pub fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.expect("readable directory").file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

/// `skelgen --lang <lang> tcpca.bpf.o -o FILE` fails naming the struct_ops map and the
/// language that supports it, and writes nothing.
pub fn assert_struct_ops_refused(lang: &str) {
    let dir = Scratch::new(&format!("struct-ops-{lang}"));
    let out = dir.join("out");
    let obj = Path::new(ROOT).join("examples/bpf/tcpca.bpf.o");
    let err = run_fails(skelgen(["--lang", lang]).arg(&obj).arg("-o").arg(&out));
    assert!(
        err.contains(&format!(
            "{lang} skeleton: struct_ops map tcpca (section .struct_ops)"
        )) && err.contains("--lang c"),
        "{err}"
    );
    assert!(!out.exists(), "{} was written", out.display());
}
