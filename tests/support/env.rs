//! The test environment: whether BPF can be loaded, which tools are installed, running
//! commands, and scratch directories under `target/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Whether this process runs as root, silently.
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Whether the test runs as root (loading BPF needs it); says why it skips otherwise.
pub fn root() -> bool {
    let root = is_root();
    if !root {
        eprintln!("skipping: loading BPF programs needs root");
    }
    root
}

/// Whether `tool --version` runs; says why the test skips when it does not.
pub fn have(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipping: `{tool}` is not installed (scripts/install-deps.sh installs it)");
    }
    ok
}

/// Runs `cmd`: whether it succeeded, and its stdout followed by its stderr.
pub fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Runs `cmd`, which must succeed: its stdout followed by its stderr.
pub fn run_ok(cmd: &mut Command) -> String {
    let (ok, text) = run(cmd);
    assert!(ok, "{cmd:?} failed:\n{text}");
    text
}

/// Runs `cmd`, which must succeed: its whole output, stdout and stderr apart.
pub fn output_ok(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?} did not start: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}): {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Directory `target/<area>/<what>`, created when missing; what a previous run left there
/// stays (builds reuse it).
pub fn scratch(area: &str, what: &str) -> PathBuf {
    let dir = Path::new(ROOT).join("target").join(area).join(what);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

/// Directory `target/<area>/<what>`, emptied first.
pub fn fresh_scratch(area: &str, what: &str) -> PathBuf {
    let dir = Path::new(ROOT).join("target").join(area).join(what);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}
