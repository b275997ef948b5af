//! Running a skeleton's driver under the fault injector of tests/faults/inject.c: building
//! the injector, reading a run's report, the sweep that fails every call in turn, and the
//! unprivileged run.
//!
//! A driver prints, on stdout:
//!
//! ```text
//! stage <open|load|attach|...|done> err <n> step <what failed, or ->
//! fds_leaked <n>
//! maps_leaked <n>
//! links_left <n>            after a failed attach
//! kernel_<kind>_leaked <n>  when it counts the kernel's objects
//! ```
//!
//! and the injector, at exit, on stderr: `fault: calls N injected K what W`.

use super::env::output_ok;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The bpf(2) command the injector names for a failed `BPF_LINK_CREATE`: of a perf event,
/// the runtimes fall back to `PERF_EVENT_IOC_SET_BPF`, as kernels before 5.15 need.
pub const BPF_LINK_CREATE: &str = "28";

/// The bpf(2) command that runs the loader program, as the injectors report it.
pub const BPF_PROG_TEST_RUN: &str = "10";

/// The errnos every call is failed with.
pub const ERRNOS: [i32; 3] = [libc::ENOMEM, libc::EPERM, libc::EINTR];

/// Builds the injector into `dir`; returns its path.
pub fn build_injector(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let inject = dir.join("inject.so");
    output_ok(
        Command::new("gcc")
            .args(["-shared", "-fPIC", "-O2", "-Wall", "-Werror", "-o"])
            .arg(&inject)
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/faults/inject.c"))
            .arg("-ldl"),
    );
    inject
}

/// Builds the ptrace injector (tests/faults/ptrace.c, for runtimes whose system calls
/// bypass libc) into `dir`; returns its path.
pub fn build_ptrace_injector(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let injector = dir.join("ptrace-inject");
    output_ok(
        Command::new("gcc")
            .args(["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror", "-o"])
            .arg(&injector)
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/faults/ptrace.c")),
    );
    injector
}

/// One run's report.
#[derive(Debug)]
pub struct Report {
    /// Where the run stopped (`done` when it did not).
    pub stage: String,
    /// The error number the driver printed (0 when done).
    pub err: i32,
    /// What failed, as the skeleton says it (`-` when it says nothing).
    pub step: String,
    /// Whether the injector failed a call.
    pub injected: bool,
    /// The failed call: a bpf(2) command number, `perf_event_open` or `mmap`.
    pub what: String,
    /// The calls the injector saw.
    pub calls: u32,
    /// The driver's stdout.
    pub text: String,
}

impl Report {
    /// The report of a finished run: the driver's `stage` line on stdout, the injector's
    /// count on stderr.
    pub fn parse(out: &Output) -> Self {
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stage_line = text
            .lines()
            .find_map(|l| l.strip_prefix("stage "))
            .unwrap_or_else(|| panic!("no stage in {text}"));
        let mut words = stage_line.splitn(5, ' ');
        let stage = words.next().unwrap().to_string();
        let err = words.nth(1).and_then(|e| e.parse().ok()).unwrap_or(0);
        let step = words.nth(1).unwrap_or("-").to_string();
        let counts = stderr
            .lines()
            .find_map(|l| l.strip_prefix("fault: calls "))
            .unwrap_or_else(|| panic!("the injector did not report: {stderr}"));
        let (calls, rest) = counts.split_once(" injected ").unwrap();
        let (injected, what) = rest.split_once(" what ").unwrap();
        Report {
            stage,
            err,
            step,
            injected: injected == "1",
            what: what.to_string(),
            calls: calls.parse().unwrap(),
            text,
        }
    }

    /// The number on the line that starts with `key`; panics when there is none.
    pub fn number(&self, key: &str) -> i64 {
        let value = self.field(key);
        let value = value.unwrap_or_else(|| panic!("no {key:?} in\n{}", self.text));
        value.parse().unwrap()
    }

    /// What a run ended with: the stage, the errno and the step.
    pub fn outcome(&self) -> (&str, i32, &str) {
        (&self.stage, self.err, &self.step)
    }

    /// The value of the line that starts with `key` and a space.
    pub fn field(&self, key: &str) -> Option<&str> {
        self.text
            .lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(' '))
    }

    /// Every count of something left behind that the driver printed: `(name, count)`.
    pub fn leaks(&self) -> Vec<(&str, i64)> {
        self.text
            .lines()
            .filter_map(|l| {
                let (key, n) = l.split_once(' ')?;
                let counted = key.ends_with("_leaked") || key == "links_left";
                counted.then(|| (key, n.parse().unwrap_or(i64::MAX)))
            })
            .collect()
    }

    /// Asserts that the run left nothing behind, naming `context` when it did.
    pub fn assert_no_leak(&self, context: &str) {
        for key in ["fds_leaked", "maps_leaked"] {
            assert!(self.field(key).is_some(), "no {key} in {}", self.text);
        }
        for (key, n) in self.leaks() {
            assert_eq!(n, 0, "{context}: {key} {n}:\n{}", self.text);
        }
    }
}

/// Runs `cmd` with the injector, failing call `call` (none: count only) with `errno`; the
/// run must end normally. Nothing is checked of what it left behind.
pub fn run_raw(mut cmd: Command, inject: &Path, call: Option<u32>, errno: i32) -> Report {
    cmd.env("LD_PRELOAD", inject)
        .env("SKELGEN_FAULT_ERRNO", errno.to_string());
    if let Some(n) = call {
        cmd.env("SKELGEN_FAULT_CALL", n.to_string());
    }
    let out = output_ok(&mut cmd);
    Report::parse(&out)
}

/// As [`run_raw`], and the run must have left nothing behind.
pub fn run(cmd: Command, inject: &Path, call: Option<u32>, errno: i32) -> Report {
    let r = run_raw(cmd, inject, call, errno);
    r.assert_no_leak(&format!("fault at call {call:?} errno {errno}"));
    r
}

/// One run of a sweep.
#[derive(Debug)]
pub struct Fault {
    pub call: u32,
    pub errno: i32,
    pub report: Report,
}

/// Fails each of the `calls` calls of a clean run in turn with each of [`ERRNOS`]
/// (`run_one(call, errno)` makes one run, which must leave nothing behind), and checks what
/// every runtime must do: the call is reached; a failed call is noticed, except the calls
/// `unnoticed` names (as the injector does), whose failure the runtime may work around; an
/// interrupted bpf(2) is retried and the run completes, an interrupted mmap or
/// perf_event_open is an error; a failed load says which step.
pub fn sweep(
    calls: u32,
    unnoticed: &[&str],
    mut run_one: impl FnMut(u32, i32) -> Report,
) -> Vec<Fault> {
    let mut faults = Vec::new();
    for errno in ERRNOS {
        for call in 1..=calls {
            let r = run_one(call, errno);
            assert!(r.injected, "call {call} of {calls} was not reached");
            let interrupted_bpf =
                errno == libc::EINTR && r.what != "mmap" && r.what != "perf_event_open";
            if interrupted_bpf {
                assert_eq!(
                    r.stage, "done",
                    "call {call} (bpf command {}) was interrupted and not retried: {}",
                    r.what, r.text
                );
            } else if !unnoticed.contains(&r.what.as_str()) {
                assert_ne!(
                    r.stage, "done",
                    "call {call} errno {errno}: the fault went unnoticed: {}",
                    r.text
                );
            }
            if r.stage == "load" {
                assert_ne!(r.step, "-", "a failed load says which step: {}", r.text);
            }
            faults.push(Fault {
                call,
                errno,
                report: r,
            });
        }
    }
    faults
}

/// `program` run as nobody (uid and gid 65534, no capabilities), or `None` (said on
/// stderr) without setpriv.
pub fn unprivileged(program: &Path) -> Option<Command> {
    if !super::env::have("setpriv") {
        return None;
    }
    let mut cmd = Command::new("setpriv");
    cmd.args([
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--inh-caps=-all",
    ])
    .arg(program);
    Some(cmd)
}

/// The environment variable that makes the injectors turn a failed BPF_PROG_TEST_RUN into
/// a run whose retval is -EAGAIN (tests/faults/inject.c, tests/faults/ptrace.c).
pub const LOADER_EAGAIN: &str = "SKELGEN_FAULT_LOADER_EAGAIN";

/// Checks that a loader run ending in -EAGAIN (a program load whose verification a signal
/// cut short) is made again: `run_one(call)` runs with [`LOADER_EAGAIN`] set and call
/// `call` failed; the call that is the loader's BPF_PROG_TEST_RUN must end `done` with
/// nothing left behind. Returns that run's report.
pub fn loader_eagain_is_retried(calls: u32, mut run_one: impl FnMut(u32) -> Report) -> Report {
    for call in 1..=calls {
        let r = run_one(call);
        if r.what == BPF_PROG_TEST_RUN {
            assert_eq!(r.stage, "done", "not run again:\n{}", r.text);
            r.assert_no_leak("loader run ended with EAGAIN");
            return r;
        }
    }
    panic!("none of the {calls} calls was the loader's BPF_PROG_TEST_RUN");
}
