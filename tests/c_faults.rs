//! Faults at run time in the C skeleton: every bpf(2), perf_event_open(2) and mmap(2) call
//! the minimal skeleton makes is failed in turn (tests/faults/inject.c, an LD_PRELOAD
//! injector), with ENOMEM, EINTR and EPERM. Each run must end normally, report the stage
//! that failed, and leave no fd, mapping or link behind; EINTR is retried and succeeds.
//! Also: an unprivileged run gets an error that says it lacks privilege.

mod support;

use support::ROOT;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::env::output_ok;
use support::faults::{self, Report};

fn ready() -> bool {
    support::root() && support::have("gcc")
}

/// Builds the injector and the driver in scratch directory `name` (one per test, as tests
/// run in parallel); returns (driver, injector).
fn build(name: &str) -> (PathBuf, PathBuf) {
    let dir = Path::new(ROOT).join("target/c-faults").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let obj = support::examples::object("minimal");
    let header = skelgen::generate(
        &obj,
        "minimal.bpf.o",
        &skelgen::Options::for_lang(skelgen::Lang::C),
    )
    .unwrap();
    std::fs::write(dir.join("minimal.lskel.h"), header).unwrap();
    let inject = faults::build_injector(&dir);
    let driver = dir.join("driver");
    output_ok(
        Command::new("gcc")
            .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-I"])
            .arg(&dir)
            .arg("-o")
            .arg(&driver)
            .arg(Path::new(ROOT).join("tests/faults/driver.c")),
    );
    (driver, inject)
}

fn run(driver: &Path, inject: &Path, call: Option<u32>, errno: i32) -> Report {
    faults::run(Command::new(driver), inject, call, errno)
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
    let faults = faults::sweep(clean.calls, &[faults::BPF_LINK_CREATE], |call, errno| {
        run(&driver, &inject, Some(call), errno)
    });
    // After a failed load every data view can still be written, even when the views of the
    // maps mapped before the failing mmap (a frozen .rodata among them) had been replaced.
    let loads = faults.iter().filter(|f| f.report.stage == "load");
    for f in loads.clone() {
        assert!(
            f.report.text.contains("\nviews_writable\n"),
            "{}",
            f.report.text
        );
    }
    assert!(
        loads
            .clone()
            .any(|f| f.report.step.starts_with("mmap of the .bss")),
        "no fault failed the last view's mmap"
    );
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

/// A loader run that ends with EAGAIN (a program load a signal cut short) is made again.
#[test]
fn a_loader_run_cut_short_by_a_signal_is_made_again() {
    if !ready() {
        return;
    }
    let (driver, inject) = build("eagain");
    let clean = run(&driver, &inject, None, 0);
    faults::loader_eagain_is_retried(clean.calls, |call| {
        let mut cmd = Command::new(&driver);
        cmd.env(faults::LOADER_EAGAIN, "1");
        faults::run(cmd, &inject, Some(call), libc::ENOMEM)
    });
}

/// Without privilege, the error says so.
#[test]
fn unprivileged_load_says_why() {
    if !ready() {
        return;
    }
    let (driver, _) = build("unprivileged");
    let Some(mut cmd) = faults::unprivileged(&driver) else {
        return;
    };
    let out = output_ok(&mut cmd);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("stage load err -1 step"), "{text}");
    assert!(
        text.contains("not permitted (loading BPF needs root"),
        "{text}"
    );
    assert!(text.contains("fds_leaked 0"), "{text}");
}
