//! What the Rust skeleton tests share: running cargo and commands, scratch directories, and
//! scratch crates that compile generated modules against the `libc` the consumer crate
//! examples/rust pins.
// Each test crate uses a different part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// `cargo` as the test runs under, so the same toolchain builds the scratch crates.
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Runs `cmd`: whether it succeeded, and its stdout and stderr.
pub fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Runs `cmd`, which must succeed: its stdout and stderr.
pub fn run_ok(cmd: &mut Command) -> String {
    let (ok, text) = run(cmd);
    assert!(ok, "{cmd:?} failed:\n{text}");
    text
}

/// Whether the tests can load BPF (they need root); says why not when they cannot.
pub fn root() -> bool {
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    if euid != 0 {
        eprintln!("skipping: loading BPF programs needs root (euid {euid})");
    }
    euid == 0
}

/// A scratch directory under target/.
pub fn scratch(what: &str) -> PathBuf {
    let dir = Path::new(ROOT)
        .join("target/rust-skeleton-tests")
        .join(what);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Whether `cargo <tool>` is installed; says so when it is not.
pub fn have_cargo_tool(tool: &str) -> bool {
    let ok = cargo()
        .args([tool, "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipping: cargo {tool} is not installed");
    }
    ok
}

/// The directory of a scratch crate `name` (its own workspace) of `edition`, depending on
/// `libc` only, with an empty `src/`.
pub fn scratch_crate(name: &str, edition: &str) -> PathBuf {
    let dir = scratch(name);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"{edition}\"\n\
             publish = false\n\n[dependencies]\nlibc = \"0.2\"\n\n[workspace]\n"
        ),
    )
    .unwrap();
    // The consumer crate's lock pins the same libc.
    std::fs::copy(
        Path::new(ROOT).join("examples/rust/Cargo.lock"),
        dir.join("Cargo.lock"),
    )
    .unwrap();
    dir
}

/// The Rust skeleton of `object`, named after `file_name` (`tcpca.bpf.o` → `tcpca`).
pub fn rust_module(object: &[u8], file_name: &str) -> String {
    let options = skelgen::Options::for_lang(skelgen::Lang::Rust);
    let out = skelgen::generate(object, file_name, &options)
        .unwrap_or_else(|e| panic!("{file_name}: {e}"));
    String::from_utf8(out).unwrap()
}
