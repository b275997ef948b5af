//! Build integration: the make snippet (`make/skelgen.mk`) with `examples/make`, and the
//! Bazel rule (`bazel/skelgen.bzl`) with `examples/bazel`, each built in a scratch copy with
//! the skelgen cargo built. The consumers they build also run on the host kernel (as root).

mod skelgen_cmd;

use skelgen_cmd::{Scratch, ROOT, SKELGEN};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

const CLANG: &str = "clang-19";

/// Whether `tool --version` runs; says why the test is skipped when it does not.
fn have(test: &str, tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!(
            "{test}: skipped: `{tool}` is not installed (scripts/install-deps.sh installs it)"
        );
    }
    ok
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Copies the files of `from` (not recursively) into `to`.
fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The modification time of every file in `dir`.
fn mtimes(dir: &Path) -> BTreeMap<String, SystemTime> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name, e.metadata().unwrap().modified().unwrap())
        })
        .collect()
}

fn set_mtime(path: &Path, time: SystemTime) {
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(time)
        .unwrap();
}

/// Moves every file of `dir` `by` into the past, keeping their order, so that a file touched
/// now is newer than all of them whatever the file system's time granularity.
fn age(dir: &Path, by: Duration) {
    for (name, time) in mtimes(dir) {
        set_mtime(&dir.join(name), time - by);
    }
}

/// The files whose modification time differs between `before` and `after`.
fn changed(
    before: &BTreeMap<String, SystemTime>,
    after: &BTreeMap<String, SystemTime>,
) -> Vec<String> {
    after
        .iter()
        .filter(|(name, time)| before.get(*name) != Some(time))
        .map(|(name, _)| name.clone())
        .collect()
}

struct MakeProject {
    dir: PathBuf,
}

impl MakeProject {
    fn make(&self, args: &[&str]) -> Output {
        Command::new("make")
            .arg("-C")
            .arg(&self.dir)
            .arg(format!("SKELGEN={SKELGEN}"))
            .arg(format!("BPF_CLANG={CLANG}"))
            .args(args)
            .env_remove("MAKEFLAGS")
            .env_remove("MFLAGS")
            .env_remove("MAKELEVEL")
            .output()
            .expect("run make")
    }

    fn build(&self) -> String {
        let out = self.make(&[]);
        assert!(out.status.success(), "make failed:\n{}", text(&out));
        text(&out)
    }

    fn assert_up_to_date(&self) {
        let q = self.make(&["-q"]);
        assert_eq!(
            q.status.code(),
            Some(0),
            "make -q: not up to date:\n{}",
            text(&q)
        );
        let again = self.build();
        assert!(again.contains("Nothing to be done for 'all'"), "{again}");
    }

    /// Runs `count` (as root) and returns what it printed.
    fn run_count(&self) -> Option<String> {
        if !is_root() {
            return None;
        }
        let out = Command::new(self.dir.join("count")).output().unwrap();
        assert!(out.status.success(), "count failed:\n{}", text(&out));
        Some(String::from_utf8(out.stdout).unwrap())
    }
}

#[test]
fn make_builds_once_then_rebuilds_exactly_what_a_change_reaches() {
    let test = "make";
    if !have(test, "make") || !have(test, CLANG) || !have(test, "cc") {
        return;
    }
    let scratch = Scratch::new("make-example");
    copy_dir(&Path::new(ROOT).join("make"), &scratch.join("make"));
    let project = MakeProject {
        dir: scratch.join("examples/make"),
    };
    copy_dir(&Path::new(ROOT).join("examples/make"), &project.dir);

    project.build();
    for file in [
        "getpid_count.bpf.o",
        "getpid_count.lskel.h",
        "getppid_count.lskel.h",
        "count",
    ] {
        assert!(
            project.dir.join(file).is_file(),
            "make did not build {file}"
        );
    }
    project.assert_up_to_date();
    match project.run_count() {
        Some(out) => assert_eq!(out, "getpid 3\ngetppid 2\n"),
        None => eprintln!("{test}: count not run: loading BPF needs root"),
    }

    // Touched, not changed: the object is rebuilt, its skeleton is checked again and keeps its
    // content, and what includes the skeleton is rebuilt; the other object is left alone.
    let source = project.dir.join("getpid_count.bpf.c");
    let header = project.dir.join("getpid_count.lskel.h");
    let old_header = fs::read(&header).unwrap();
    age(&project.dir, Duration::from_secs(60));
    set_mtime(&source, SystemTime::now());
    let before = mtimes(&project.dir);
    project.build();
    let rebuilt = [
        "count",
        "getpid_count.bpf.d",
        "getpid_count.bpf.o",
        "getpid_count.lskel.h",
    ];
    assert_eq!(changed(&before, &mtimes(&project.dir)), rebuilt);
    assert_eq!(
        fs::read(&header).unwrap(),
        old_header,
        "a touch changed the skeleton"
    );
    project.assert_up_to_date();

    // Changed: the program now counts each call twice.
    age(&project.dir, Duration::from_secs(60));
    let code = fs::read_to_string(&source).unwrap();
    let counted_twice = code.replace(
        "__sync_fetch_and_add(&calls, 1)",
        "__sync_fetch_and_add(&calls, 2)",
    );
    assert_ne!(code, counted_twice);
    fs::write(&source, counted_twice).unwrap();
    let before = mtimes(&project.dir);
    project.build();
    assert_eq!(changed(&before, &mtimes(&project.dir)), rebuilt);
    assert_ne!(
        fs::read(&header).unwrap(),
        old_header,
        "the skeleton did not change"
    );
    project.assert_up_to_date();
    if let Some(out) = project.run_count() {
        assert_eq!(out, "getpid 6\ngetppid 2\n");
    }
}
