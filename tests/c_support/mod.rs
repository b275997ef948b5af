//! What the C skeleton tests share: the example objects and their headers, scratch
//! directories, and building and running the C examples against a generated header.
// Each test crate uses a different part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");

pub fn header(name: &str) -> String {
    let path = Path::new(ROOT).join(format!("examples/bpf/{name}.bpf.o"));
    let data = std::fs::read(&path).unwrap();
    let options = skelgen::Options {
        lang: vec![skelgen::Lang::C.into()],
        ..Default::default()
    };
    let out = skelgen::generate(&data, &format!("{name}.bpf.o"), &options)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    String::from_utf8(out).unwrap()
}

/// A scratch directory of this test binary under target/.
pub fn scratch(what: &str) -> PathBuf {
    let dir = Path::new(ROOT).join("target/c-skeleton-tests").join(what);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn have(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipping: {tool} is not installed");
    }
    ok
}

pub fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

pub fn root() -> bool {
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    if euid != 0 {
        eprintln!("skipping: loading BPF programs needs root (euid {euid})");
    }
    euid == 0
}

/// Generates the header of `name`, builds examples/c/`name`.c against it and runs it.
pub fn build_and_run(name: &str) -> String {
    run_ok(&mut Command::new(build(name, name)))
}

/// Generates the header of `name`, builds examples/c/`name`.c against it in scratch
/// directory `dir`; returns the executable.
pub fn build(name: &str, dir: &str) -> PathBuf {
    build_with(&scratch(dir), name, &header(name))
}

/// Builds examples/c/`name`.c in `dir` against `header` (written as `name`.lskel.h).
pub fn build_with(dir: &Path, name: &str, header: &str) -> PathBuf {
    std::fs::write(dir.join(format!("{name}.lskel.h")), header).unwrap();
    let exe = dir.join(name);
    run_ok(
        Command::new("gcc")
            .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-I"])
            .arg(dir)
            .arg("-o")
            .arg(&exe)
            .arg(Path::new(ROOT).join(format!("examples/c/{name}.c"))),
    );
    exe
}

pub fn has_line(out: &str, line: &str) -> bool {
    out.lines().any(|l| l == line)
}

/// Checks that `out` has every line of examples/c/`name`.expected, with each `{key}`
/// replaced by its value from `vars`.
pub fn expect_lines(out: &str, name: &str, vars: &[(&str, String)]) {
    let path = Path::new(ROOT).join(format!("examples/c/{name}.expected"));
    let expected = std::fs::read_to_string(&path).unwrap();
    for line in expected.lines() {
        let mut line = line.to_string();
        for (key, value) in vars {
            line = line.replace(&format!("{{{key}}}"), value);
        }
        assert!(has_line(out, &line), "missing {line:?} in:\n{out}");
    }
}

/// Writes `source` to `dir`/`stem`.c and builds it strictly against the headers in `dir`;
/// returns the executable.
pub fn build_driver(dir: &Path, stem: &str, source: &str) -> PathBuf {
    let src = dir.join(format!("{stem}.c"));
    std::fs::write(&src, source).unwrap();
    let exe = dir.join(stem);
    run_ok(
        Command::new("gcc")
            .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-I"])
            .arg(dir)
            .arg("-o")
            .arg(&exe)
            .arg(&src),
    );
    exe
}
