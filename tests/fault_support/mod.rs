//! What the fault tests share: whether this machine can run them, commands that must
//! succeed, and the line the injectors (tests/faults/inject.c, tests/faults/ptrace.c) print
//! at exit.

use std::path::Path;
use std::process::{Command, Output};

/// Whether the fault runs can be made here: as root (they load BPF programs), with gcc
/// (they build the injector); else why not, on stderr.
pub fn ready() -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipping: the fault runs load BPF programs, which needs root");
        return false;
    }
    if Command::new("gcc").arg("--version").output().is_err() {
        eprintln!("skipping: gcc is not installed (scripts/install-deps.sh installs it)");
        return false;
    }
    true
}

/// Runs `cmd`, which must succeed.
pub fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `program` to run as nobody (uid and gid 65534, no groups, no capabilities), or None when
/// setpriv is missing, which it then says on stderr.
pub fn unprivileged(program: &Path) -> Option<Command> {
    if Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("skipping: setpriv (util-linux) is not installed");
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

/// The injector's count: "fault: calls N injected K what W" on stderr.
pub struct Injected {
    /// How many calls the injector counted.
    pub calls: u32,
    /// Whether the call to fail was reached.
    pub injected: bool,
    /// The failed call: a bpf(2) command number, `perf_event_open` or `mmap`.
    pub what: String,
}

impl Injected {
    /// The count in `stderr`; panics when the injector did not print one.
    pub fn parse(stderr: &str) -> Self {
        let counts = stderr
            .lines()
            .find_map(|l| l.strip_prefix("fault: calls "))
            .unwrap_or_else(|| panic!("the injector did not report: {stderr}"));
        let (calls, rest) = counts.split_once(" injected ").unwrap();
        let (injected, what) = rest.split_once(" what ").unwrap();
        Injected {
            calls: calls.parse().unwrap(),
            injected: injected == "1",
            what: what.to_string(),
        }
    }
}
