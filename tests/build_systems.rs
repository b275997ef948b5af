//! Build integration: the make snippet (`make/skelgen.mk`) with `examples/make`, and the
//! Bazel rule (`bazel/skelgen.bzl`) with `examples/bazel`, each built in a scratch copy with
//! the skelgen cargo built. The consumers they build also run on the host kernel (as root).

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};
use support::cmd::{Scratch, SKELGEN};
use support::ROOT;

const CLANG: &str = "clang-19";

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
        if !support::env::is_root() {
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
    if !support::have("make") || !support::have(CLANG) || !support::have("cc") {
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

/// Debian's bazel-bootstrap-source keeps stand-ins for the rule repositories Bazel 4.2
/// downloads on first use (rules_cc, rules_java), so a machine without network builds C.
const BAZEL_MOCK_REPOS: &str = "/usr/src/bazel-bootstrap/mock_repos";

/// A scratch copy of `bazel/` and `examples/bazel`, built with Bazel in batch mode (no server
/// is left running) into its own output root.
struct BazelProject {
    scratch: Scratch,
    dir: PathBuf,
}

impl BazelProject {
    fn new() -> BazelProject {
        let scratch = Scratch::new("bazel-example");
        copy_dir(&Path::new(ROOT).join("bazel"), &scratch.join("bazel"));
        let dir = scratch.join("examples/bazel");
        copy_dir(&Path::new(ROOT).join("examples/bazel"), &dir);
        BazelProject { scratch, dir }
    }

    fn bazel(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new("bazel");
        cmd.arg("--batch")
            .arg(format!(
                "--output_user_root={}",
                self.scratch.join("output").display()
            ))
            .args(args)
            .current_dir(&self.dir)
            .env("SKELGEN", SKELGEN);
        if args.first() == Some(&"build") {
            for repo in ["rules_cc", "rules_java"] {
                let mock = Path::new(BAZEL_MOCK_REPOS).join(repo);
                if mock.is_dir() {
                    cmd.arg(format!("--override_repository={repo}={}", mock.display()));
                }
            }
        }
        cmd.output().expect("run bazel")
    }

    fn bin(&self, file: &str) -> PathBuf {
        self.dir.join("bazel-bin").join(file)
    }
}

fn bazel_version() -> String {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Version}", "bazel-bootstrap"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| {
            format!(
                "Debian bazel-bootstrap {}",
                String::from_utf8_lossy(&o.stdout)
            )
        })
        .unwrap_or_else(|| "bazel".to_string())
}

#[test]
fn bazel_rule_generates_a_skeleton_a_cc_binary_uses() {
    let test = "bazel";
    if Command::new("bazel").arg("--version").output().is_err() {
        eprintln!(
            "{test}: skipped: `bazel` is not installed (Debian: apt-get install bazel-bootstrap \
             bazel-bootstrap-source; scripts/install-deps.sh installs them)"
        );
        return;
    }
    if !support::have(CLANG) {
        return;
    }
    let project = BazelProject::new();
    let out = project.bazel(&["build", "//:count"]);
    let log = text(&out);
    if !out.status.success()
        && !Path::new(BAZEL_MOCK_REPOS).is_dir()
        && log.contains("Error downloading")
    {
        eprintln!(
            "{test}: skipped: Bazel could not download rules_cc/rules_java (no network) and \
             {BAZEL_MOCK_REPOS} (Debian's bazel-bootstrap-source) is not installed"
        );
        return;
    }
    assert!(out.status.success(), "bazel build //:count failed:\n{log}");
    eprintln!("{test}: built with {}", bazel_version());

    // The rule ran skelgen on the object the genrule compiled, and nothing else.
    let header = fs::read(project.bin("getpid_count.lskel.h")).expect("the generated header");
    let direct = support::cmd::stdout_ok(
        support::cmd::skelgen(["--lang", "c"]).arg(project.bin("getpid_count.bpf.o")),
    );
    assert!(
        header == direct,
        "the rule's header differs from skelgen --lang c"
    );

    // A second build runs no action: the outputs keep their times.
    let before = [
        mtime_of(&project.bin("getpid_count.lskel.h")),
        mtime_of(&project.bin("count")),
    ];
    let again = project.bazel(&["build", "//:count"]);
    assert!(
        again.status.success(),
        "second bazel build failed:\n{}",
        text(&again)
    );
    let after = [
        mtime_of(&project.bin("getpid_count.lskel.h")),
        mtime_of(&project.bin("count")),
    ];
    assert_eq!(before, after, "a second build rebuilt something");

    if support::env::is_root() {
        let run = Command::new(project.bin("count")).output().unwrap();
        assert!(run.status.success(), "count failed:\n{}", text(&run));
        assert_eq!(String::from_utf8_lossy(&run.stdout), "getpid 3\n");
    } else {
        eprintln!("{test}: count not run: loading BPF needs root");
    }
}

fn mtime_of(path: &Path) -> SystemTime {
    fs::metadata(path).unwrap().modified().unwrap()
}
