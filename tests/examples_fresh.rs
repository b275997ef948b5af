//! The committed example objects (`examples/bpf/*.bpf.o`) are what every
//! other test reads. This test rebuilds them from their sources in a scratch
//! copy of `examples/bpf` and checks that the result is byte-identical to
//! what is committed, so the fixtures never drift from the sources.
//!
//! It needs `clang-19` and `make`; without them it says why and skips.

use std::env;
use std::ffi::OsStr;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

const CLANG: &str = "clang-19";

/// Looks `name` up in `PATH`, the way a shell would.
fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

fn is_object(path: &Path) -> bool {
    path.file_name()
        .and_then(OsStr::to_str)
        .is_some_and(|name| name.ends_with(".bpf.o"))
}

/// Copies `src` into `dst` recursively, leaving out built objects so that
/// `make` has to rebuild every one of them.
fn copy_sources(src: &Path, dst: &Path) -> io::Result<()> {
    fs::create_dir_all(dst)?;
    for entry in fs::read_dir(src)? {
        let entry = entry?;
        let from = entry.path();
        let to = dst.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_sources(&from, &to)?;
        } else if !is_object(&from) {
            fs::copy(&from, &to)?;
        }
    }
    Ok(())
}

/// The `*.bpf.c` sources directly in `dir`, sorted.
fn sources(dir: &Path) -> io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.ends_with(".bpf.c") {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// A scratch directory removed when dropped, whatever the test's outcome.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir = env::temp_dir().join(format!(
            "skelgen-examples-fresh-{}-{}",
            std::process::id(),
            nanos
        ));
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[test]
fn committed_objects_match_a_fresh_build() {
    let Some(clang) = find_in_path(CLANG) else {
        eprintln!(
            "examples_fresh: skipped: `{CLANG}` is not on PATH, so the example \
             objects cannot be rebuilt to compare with the committed ones"
        );
        return;
    };
    let Some(make) = find_in_path("make") else {
        eprintln!(
            "examples_fresh: skipped: `make` is not on PATH, so the example \
             objects cannot be rebuilt to compare with the committed ones"
        );
        return;
    };

    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bpf");
    let names = sources(&committed).expect("list examples/bpf");
    assert!(!names.is_empty(), "no *.bpf.c in {}", committed.display());

    let scratch = Scratch::new();
    let build = scratch.0.join("bpf");
    copy_sources(&committed, &build).expect("copy examples/bpf to a scratch directory");

    let output = Command::new(make)
        .arg("-C")
        .arg(&build)
        .arg(format!("CLANG={}", clang.display()))
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS")
        .output()
        .expect("run make");
    assert!(
        output.status.success(),
        "make in {} failed ({}):\n{}\n{}",
        build.display(),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("warning:"),
        "the examples must build without warnings:\n{stderr}"
    );

    let mut missing = Vec::new();
    let mut differ = Vec::new();
    for source in &names {
        let object = source.replace(".bpf.c", ".bpf.o");
        let fresh = fs::read(build.join(&object))
            .unwrap_or_else(|e| panic!("make did not produce {object}: {e}"));
        match fs::read(committed.join(&object)) {
            Ok(old) if old == fresh => {}
            Ok(_) => differ.push(object),
            Err(_) => missing.push(object),
        }
    }

    assert!(
        missing.is_empty() && differ.is_empty(),
        "examples/bpf is out of date; run `make -C examples/bpf` and commit the objects.\n\
         not committed: {missing:?}\n\
         differ from a fresh build: {differ:?}"
    );
}
