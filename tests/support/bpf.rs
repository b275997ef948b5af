//! BPF objects compiled by a test from its own source, for shapes no example has.

use super::env::{have, run_ok, scratch};
use std::path::PathBuf;
use std::process::Command;

/// `source` compiled with clang-19 into `target/test-objects/<name>/<name>.bpf.o`, or
/// `None` (saying why) without clang-19. Tests that run in parallel share one compile
/// through a `OnceLock`, so none reads a half-written object.
pub fn compile(name: &str, source: &str) -> Option<PathBuf> {
    if !have("clang-19") {
        return None;
    }
    let dir = scratch("test-objects", name);
    let src = dir.join(format!("{name}.bpf.c"));
    std::fs::write(&src, source).unwrap();
    let obj = dir.join(format!("{name}.bpf.o"));
    run_ok(
        Command::new("clang-19")
            .args(["-g", "-O2", "-target", "bpf", "-D__TARGET_ARCH_x86"])
            .arg("-I/usr/include/x86_64-linux-gnu")
            .arg("-c")
            .arg(&src)
            .arg("-o")
            .arg(&obj),
    );
    Some(obj)
}
