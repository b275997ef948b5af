//! What the Go tests share: finding the go command, and running it reproducibly.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The go command: on PATH, or where the official archive installs it; else why not, on
/// stderr.
pub fn go() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("go"))
            .find(|g| g.is_file())
    });
    let found = on_path.or_else(|| {
        let g = PathBuf::from("/usr/local/go/bin/go");
        g.is_file().then_some(g)
    });
    if found.is_none() {
        eprintln!("skipping: the go command is not installed (PATH, /usr/local/go/bin)");
    }
    found
}

/// A go command in `dir` with the local toolchain (no download) and nothing from the
/// environment that would change what it builds.
pub fn go_cmd(go: &Path, dir: &Path) -> Command {
    let mut cmd = Command::new(go);
    cmd.current_dir(dir)
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "")
        .env("CGO_ENABLED", "0")
        .env_remove("GOARCH")
        .env_remove("GOOS");
    cmd
}
