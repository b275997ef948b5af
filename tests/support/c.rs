//! What the C skeleton tests share: the example objects and their headers, scratch
//! directories, and building and running the C examples against a generated header.

use super::env::{self, run_ok, ROOT};
use super::examples::skeleton;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The C light skeleton of example object `name`.
pub fn header(name: &str) -> String {
    skeleton(name, skelgen::Lang::C)
}

/// The strict builds every header must pass: C11 and C++17, with gcc and (when installed)
/// clang, and C11 with gcc's conversion and prototype warnings.
pub const STRICT_BUILDS: &[(&str, &[&str])] = &[
    (
        "gcc",
        &["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic"],
    ),
    (
        "g++",
        &["-std=c++17", "-Wall", "-Wextra", "-Werror", "-x", "c++"],
    ),
    (
        "clang-19",
        &["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic"],
    ),
    (
        "clang-19",
        &["-std=c++17", "-Wall", "-Wextra", "-Werror", "-x", "c++"],
    ),
];

/// Directory `target/c-skeleton-tests/<what>`.
pub fn scratch(what: &str) -> PathBuf {
    env::scratch("c-skeleton-tests", what)
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
