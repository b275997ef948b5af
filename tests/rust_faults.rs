//! Faults at run time in the Rust skeleton: the driver crate tests/faults/rust-driver runs
//! the skeletons of minimal.bpf.o, iterators.bpf.o and many.bpf.o under the `LD_PRELOAD`
//! injector (tests/faults/inject.c), which fails, one run at a time, each bpf(2),
//! perf_event_open(2) and mmap(2) call the skeleton makes, with ENOMEM, EPERM and EINTR.
//! Each run must end normally, report the stage and step that failed with the injected
//! errno, and leave no fd, mapping or link behind, nor any of the object's programs or
//! links in the kernel; an interrupted bpf(2) is retried and the run completes. Also: the
//! calls counted are exactly the skeleton's, a failed attach-all leaves no link of the
//! programs it had attached, a load the loader refuses leaves nothing in the kernel, a load
//! with a log succeeds and one refused at a map has an empty log, the counts do see a leak, an
//! unprivileged run is told it lacks privilege, and `RLIMIT_MEMLOCK` 0 does not matter to a
//! kernel that charges BPF memory to the memory cgroup (5.11 and later).

mod support;

use support::ROOT;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use support::faults::{self, Report};

/// The five calls of a load, as the injector names them (bpf(2) command numbers): the
/// loader map's create, update and freeze, the loader program's load and test run.
const LOAD: [&str; 5] = ["0", "2", "22", "5", "10"];

/// The calls of a clean run of minimal, in order: an mmap for each of its five data views
/// at open, the load, an mmap of each view onto its map; the tracepoint's event and
/// `BPF_LINK_CREATE`; the trigger's `BPF_MAP_LOOKUP_ELEM`.
fn minimal_calls() -> Vec<&'static str> {
    let mut calls = vec!["mmap"; 5];
    calls.extend(LOAD);
    calls.extend(["mmap"; 5]);
    calls.extend(["perf_event_open", "28", "1"]);
    calls
}

/// iterators: two views, two iterator links, and the trigger's `BPF_ITER_CREATE`.
fn iterators_calls() -> Vec<&'static str> {
    let mut calls = vec!["mmap"; 2];
    calls.extend(LOAD);
    calls.extend(["mmap", "mmap", "28", "28", "33"]);
    calls
}

/// many: two views, attach-all's 14 links, the ring buffer's two mappings, the perf
/// buffer's event, ring and map entry per CPU, and at its drop the map entries deleted.
fn many_calls() -> Vec<&'static str> {
    let mut calls = vec!["mmap"; 2];
    calls.extend(LOAD);
    calls.extend(["mmap"; 2]);
    // 7 tracepoints: an event and a link each.
    for _ in 0..7 {
        calls.extend(["perf_event_open", "28"]);
    }
    // 3 raw tracepoints and 2 BTF tracepoints (BPF_RAW_TRACEPOINT_OPEN), 2 iterators.
    calls.extend(["17", "17", "17", "17", "17", "28", "28", "mmap", "mmap"]);
    let cpus = possible_cpus();
    for _ in 0..cpus {
        calls.extend(["perf_event_open", "mmap", "2"]);
    }
    calls.extend(std::iter::repeat_n("3", cpus));
    calls
}

/// The number of possible CPUs: the perf buffer opens one event per CPU.
fn possible_cpus() -> usize {
    let text = std::fs::read_to_string("/sys/devices/system/cpu/possible").unwrap();
    text.trim()
        .split(',')
        .map(|range| {
            let (a, b) = range.split_once('-').unwrap_or((range, range));
            b.parse::<usize>().unwrap() - a.parse::<usize>().unwrap() + 1
        })
        .sum()
}

/// `cargo` as the test runs under, so the same toolchain builds the driver.
fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn ready() -> bool {
    support::root() && support::have(&cargo()) && support::have("gcc")
}

/// `cargo <what>` of the driver crate, in the examples crate's target directory (the same
/// skelgen build-dependency).
fn cargo_driver(what: &str) -> Command {
    let mut cmd = Command::new(cargo());
    cmd.arg(what)
        .arg("--manifest-path")
        .arg(Path::new(ROOT).join("tests/faults/rust-driver/Cargo.toml"))
        .arg("--target-dir")
        .arg(target());
    cmd
}

fn target() -> PathBuf {
    Path::new(ROOT).join("target/rust-examples")
}

/// The driver and the injector, built once for every test.
fn built() -> &'static (PathBuf, PathBuf) {
    static BUILT: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    BUILT.get_or_init(|| {
        let inject = faults::build_injector(&Path::new(ROOT).join("target/rust-faults"));
        support::env::output_ok(&mut cargo_driver("build"));
        (target().join("debug/skelgen-rust-faults-driver"), inject)
    })
}

fn driver(args: &[&str]) -> Command {
    let mut cmd = Command::new(&built().0);
    cmd.args(args);
    cmd
}

fn run(args: &[&str], call: Option<u32>, errno: i32) -> Report {
    faults::run(driver(args), &built().1, call, errno)
}

/// The errno a failed stage reports, as the driver prints it.
fn errno_name(errno: i32) -> String {
    std::io::Error::from_raw_os_error(errno).to_string()
}

/// Fails every call of `object`'s run in turn with ENOMEM, EPERM and EINTR, each of which
/// must be the call `calls` expects there.
fn sweep(object: &str, calls: &[&str]) {
    let clean = run(&[object], None, 0);
    assert_eq!(clean.stage, "done", "{}", clean.text);
    // The injector sees every call the skeleton makes and nothing else: not std's own
    // `syscall(SYS_futex)` and mappings (the driver runs a thread first), nor the driver's
    // census of the kernel's objects (it calls libc.so.6's own `syscall`).
    assert_eq!(
        clean.calls as usize,
        calls.len(),
        "{object}: {}",
        clean.text
    );
    // A failed BPF_LINK_CREATE of a perf event falls back to PERF_EVENT_IOC_SET_BPF; the
    // perf buffer deletes its map entries when dropped, where no error can be returned.
    let unnoticed = [faults::BPF_LINK_CREATE, "3"];
    let faults = faults::sweep(clean.calls, &unnoticed, |call, errno| {
        run(&[object], Some(call), errno)
    });
    for f in &faults {
        let r = &f.report;
        let context = format!("{object}: call {} errno {}: {}", f.call, f.errno, r.text);
        assert_eq!(r.what, calls[f.call as usize - 1], "{context}");
        if r.stage != "done" {
            assert_eq!(r.err, f.errno, "{context}");
            assert_ne!(r.step, "-", "{context}");
            let error = r.field("error").unwrap_or_default();
            assert!(error.contains(&r.step), "{context}");
            assert!(error.contains(&errno_name(f.errno)), "{context}");
        }
    }
    eprintln!(
        "{object}: {} calls, {} runs under faults, none left anything behind",
        clean.calls,
        faults.len()
    );
}

#[test]
fn every_call_failing_leaks_nothing() {
    if !ready() {
        return;
    }
    sweep("minimal", &minimal_calls());
    sweep("iterators", &iterators_calls());
}

/// many: 52 programs, 80 maps, 14 links, a ring buffer and a perf buffer.
#[test]
fn every_call_of_a_large_object_failing_leaks_nothing() {
    if !ready() {
        return;
    }
    sweep("many", &many_calls());
}

/// Attach-all links both iterators; when the second link fails, the first is gone too.
/// A loader run that ends with EAGAIN (a program load a signal cut short) is made again.
#[test]
fn a_loader_run_cut_short_by_a_signal_is_made_again() {
    if !ready() {
        return;
    }
    let clean = run(&["minimal"], None, 0);
    faults::loader_eagain_is_retried(clean.calls, |call| {
        let mut cmd = driver(&["minimal"]);
        cmd.env(faults::LOADER_EAGAIN, "1");
        faults::run(cmd, &built().1, Some(call), libc::ENOMEM)
    });
}

#[test]
fn a_failed_attach_all_leaves_no_link_of_the_others() {
    if !ready() {
        return;
    }
    let second = iterators_calls().iter().rposition(|&c| c == "28").unwrap() as u32 + 1;
    for errno in [libc::ENOMEM, libc::EPERM] {
        let r = run(&["iterators"], Some(second), errno);
        assert_eq!(r.stage, "attach", "{}", r.text);
        assert_eq!(r.step, "attach dump_bpf_prog", "{}", r.text);
        assert_eq!(r.field("links_left"), Some("0"), "{}", r.text);
        assert_eq!(r.field("kernel_links_leaked"), Some("0"), "{}", r.text);
    }
}

/// A load that the loader program refuses at one of its steps closes, in the kernel, what
/// the steps before it made; the skeleton dropped after it leaves nothing either.
#[test]
fn a_refused_load_leaves_nothing_in_the_kernel() {
    if !ready() {
        return;
    }
    let r = run(&["minimal", "--refuse"], None, 0);
    assert_eq!(r.stage, "load", "{}", r.text);
    assert_eq!(r.err, libc::EINVAL, "{}", r.text);
    assert_eq!(r.step, "MAP_CREATE .rodata", "{}", r.text);
    assert!(r.field("plan_step").is_some_and(|s| s != "0"), "{}", r.text);
    for kind in ["progs", "links"] {
        assert_eq!(
            r.field(&format!("kernel_{kind}_leaked")),
            Some("0"),
            "{}",
            r.text
        );
    }
}

/// `load_with_log` of a good load succeeds, and a load refused at a map create (a step that
/// writes no log) has an empty log, not the log of an earlier load that succeeded.
#[test]
fn load_with_log_succeeds_and_a_map_failure_has_an_empty_log() {
    if !ready() {
        return;
    }
    let r = run(&["minimal", "--log"], None, 0);
    assert_eq!(r.stage, "done", "{}", r.text);
    let r = run(&["minimal", "--log", "--refuse"], None, 0);
    assert_eq!(r.stage, "load", "{}", r.text);
    assert_eq!(r.err, libc::EINVAL, "{}", r.text);
    assert_eq!(r.field("log_len"), Some("0"), "{}", r.text);
}

/// The counts are not blind: a skeleton forgotten instead of dropped shows in every one.
#[test]
fn the_counts_see_a_leak() {
    if !ready() {
        return;
    }
    // The fds of the maps, programs and links, the views' mappings, the programs and
    // links in the kernel (many's buffers are dropped).
    for (object, fds, mappings, progs, links) in [
        ("minimal", 6 + 1 + 1, 5, 1, 1),
        ("iterators", 3 + 2 + 2, 2, 2, 2),
        ("many", 80 + 52 + 14, 2, 52, 14),
    ] {
        let r = faults::run_raw(driver(&[object, "--forget"]), &built().1, None, 0);
        assert_eq!(r.stage, "done", "{}", r.text);
        let count = |key: &str| -> i64 { r.field(key).unwrap().parse().unwrap() };
        assert_eq!(count("fds_leaked"), fds, "{object}: {}", r.text);
        assert_eq!(count("maps_leaked"), mappings, "{object}: {}", r.text);
        assert_eq!(count("kernel_progs_leaked"), progs, "{object}: {}", r.text);
        assert_eq!(count("kernel_links_leaked"), links, "{object}: {}", r.text);
    }
}

/// Without privilege, the error says so, and nothing is left behind.
#[test]
fn unprivileged_load_says_why() {
    if !ready() {
        return;
    }
    let Some(mut cmd) = faults::unprivileged(&built().0) else {
        return;
    };
    cmd.arg("minimal");
    let out = support::env::output_ok(&mut cmd);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("stage load err 1 step create the loader map (loading BPF needs root"),
        "{text}"
    );
    assert!(text.contains("Operation not permitted"), "{text}");
    assert!(text.contains("fds_leaked 0\nmaps_leaked 0\n"), "{text}");
    // Nobody cannot list the kernel's objects either.
    assert!(text.contains("kernel unavailable"), "{text}");
}

/// `RLIMIT_MEMLOCK` at 0 before the open: since Linux 5.11 BPF memory is charged to the
/// memory cgroup and the limit is not consulted, so the run completes.
#[test]
fn memlock_limit_zero_does_not_matter() {
    if !ready() {
        return;
    }
    for object in ["minimal", "iterators", "many"] {
        let r = run(&[object, "--memlock0"], None, 0);
        assert!(r.text.starts_with("memlock 0\n"), "{}", r.text);
        assert_eq!(r.stage, "done", "{object}: {}", r.text);
    }
}

/// The driver is held to the standards of the code it tests.
#[test]
fn the_driver_is_clippy_clean() {
    if !support::have(&cargo()) {
        return;
    }
    if !Command::new(cargo())
        .args(["clippy", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        eprintln!("skipping: cargo clippy is not installed");
        return;
    }
    support::env::output_ok(cargo_driver("clippy").args(["--", "-D", "warnings"]));
}
