//! Faults at run time in the C skeleton: every bpf(2), perf_event_open(2) and mmap(2) call
//! the minimal skeleton makes is failed in turn (tests/faults/inject.c, an LD_PRELOAD
//! injector), with ENOMEM, EINTR and EPERM. Each run must end normally, report the stage
//! that failed, and leave no fd, mapping or link behind; EINTR is retried and succeeds.
//! Also: an unprivileged run gets an error that says it lacks privilege.

mod fault_support;

use fault_support::{ready, run_ok, unprivileged, Injected};
use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const BPF_LINK_CREATE: &str = "28";

/// Builds the injector and the driver in scratch directory `name` (one per test, as tests
/// run in parallel); returns (driver, injector).
fn build(name: &str) -> (PathBuf, PathBuf) {
    let dir = Path::new(ROOT).join("target/c-faults").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let obj = std::fs::read(Path::new(ROOT).join("examples/bpf/minimal.bpf.o")).unwrap();
    let header = skelgen::generate(
        &obj,
        "minimal.bpf.o",
        &skelgen::Options::for_lang(skelgen::Lang::C),
    )
    .unwrap();
    std::fs::write(dir.join("minimal.lskel.h"), header).unwrap();
    let faults = Path::new(ROOT).join("tests/faults");
    let (driver, inject) = (dir.join("driver"), dir.join("inject.so"));
    run_ok(
        Command::new("gcc")
            .args(["-shared", "-fPIC", "-O2", "-Wall", "-Werror", "-o"])
            .arg(&inject)
            .arg(faults.join("inject.c"))
            .arg("-ldl"),
    );
    run_ok(
        Command::new("gcc")
            .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-I"])
            .arg(&dir)
            .arg("-o")
            .arg(&driver)
            .arg(faults.join("driver.c")),
    );
    (driver, inject)
}

/// One run's report.
struct Report {
    stage: String,
    step: String,
    injected: bool,
    /// The failed call: a bpf(2) command number, `perf_event_open` or `mmap`.
    what: String,
    calls: u32,
    text: String,
}

fn run(driver: &Path, inject: &Path, call: Option<u32>, errno: i32) -> Report {
    let mut cmd = Command::new(driver);
    cmd.env("LD_PRELOAD", inject)
        .env("SKELGEN_FAULT_ERRNO", errno.to_string());
    if let Some(n) = call {
        cmd.env("SKELGEN_FAULT_CALL", n.to_string());
    }
    let out = run_ok(&mut cmd);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let field = |key: &str| -> String {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap_or_else(|| panic!("no {key:?} in {text}"))
            .to_string()
    };
    for key in ["fds_leaked ", "maps_leaked "] {
        assert_eq!(
            field(key),
            "0",
            "fault at call {call:?} errno {errno}: {text}"
        );
    }
    if text.contains("links_left") {
        assert_eq!(field("links_left "), "0", "{text}");
    }
    let stage_line = field("stage ");
    let mut words = stage_line.splitn(5, ' ');
    let stage = words.next().unwrap().to_string();
    let step = words.nth(3).unwrap_or("-").to_string();
    let counts = Injected::parse(&stderr);
    Report {
        stage,
        step,
        injected: counts.injected,
        what: counts.what,
        calls: counts.calls,
        text,
    }
}

#[test]
fn every_call_failing_leaks_nothing() {
    if !ready() {
        return;
    }
    let (driver, inject) = build("every");
    let clean = run(&driver, &inject, None, 0);
    assert_eq!(clean.stage, "done", "{}", clean.text);
    assert!(clean.calls >= 6, "too few calls counted: {}", clean.calls);
    for errno in [libc::ENOMEM, libc::EPERM, libc::EINTR] {
        for call in 1..=clean.calls {
            let r = run(&driver, &inject, Some(call), errno);
            assert!(r.injected, "call {call} of {} was not reached", clean.calls);
            if errno == libc::EINTR && r.stage != "done" {
                // Only bpf(2) is retried; an interrupted mmap or perf_event_open is an error.
                assert!(
                    r.what == "mmap" || r.what == "perf_event_open",
                    "call {call} (bpf command {}) was interrupted and not retried: {}",
                    r.what,
                    r.text
                );
            }
            // A failed BPF_LINK_CREATE of a perf event falls back to PERF_EVENT_IOC_SET_BPF,
            // as kernels before 5.15 need.
            if errno != libc::EINTR && r.what != BPF_LINK_CREATE {
                assert_ne!(
                    r.stage, "done",
                    "call {call} errno {errno}: the fault went unnoticed: {}",
                    r.text
                );
            }
            if r.stage == "load" {
                assert_ne!(r.step, "-", "a failed load says which step: {}", r.text);
            }
        }
    }
}

/// EINTR from bpf(2) is retried: the run completes.
#[test]
fn interrupted_bpf_calls_are_retried() {
    if !ready() {
        return;
    }
    let (driver, inject) = build("eintr");
    // The first call is the loader map's BPF_MAP_CREATE (open makes no syscall but mmap).
    let clean = run(&driver, &inject, None, 0);
    let mut retried = 0;
    for call in 1..=clean.calls {
        let r = run(&driver, &inject, Some(call), libc::EINTR);
        retried += u32::from(r.stage == "done");
    }
    assert!(retried > 0, "no interrupted call was retried");
}

/// Without privilege, the error says so.
#[test]
fn unprivileged_load_says_why() {
    if !ready() {
        return;
    }
    let (driver, _) = build("unprivileged");
    let Some(mut cmd) = unprivileged(&driver) else {
        return;
    };
    let out = run_ok(&mut cmd);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("stage load err -1 step"), "{text}");
    assert!(
        text.contains("not permitted (loading BPF needs root"),
        "{text}"
    );
    assert!(text.contains("fds_leaked 0"), "{text}");
}
