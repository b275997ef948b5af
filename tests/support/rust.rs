//! What the Rust skeleton tests share: running cargo and commands, scratch directories, and
//! scratch crates that compile generated modules against the `libc` the consumer crate
//! examples/rust pins.

use super::env::{self, ROOT};
use super::examples::generate_with;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `cargo` as the test runs under, so the same toolchain builds the scratch crates.
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Directory `target/rust-skeleton-tests/<what>`.
pub fn scratch(what: &str) -> PathBuf {
    env::scratch("rust-skeleton-tests", what)
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
    generate_with(
        object,
        file_name,
        &skelgen::Options::for_lang(skelgen::Lang::Rust),
    )
}
