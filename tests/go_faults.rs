//! Faults at run time in the Go skeleton. The Go runtime makes raw system calls, which an
//! LD_PRELOAD injector cannot see, so tests/faults/ptrace.c fails them from outside: every
//! bpf(2), perf_event_open(2) and mmap(2) of an fd that the driver (tests/faults/go-driver)
//! makes is failed in turn, with ENOMEM, EPERM and EINTR, in three runs: minimal (load,
//! attach, a getpid(2) the program counts, a map lookup), hostile (an attach-all whose third
//! program fails, so the links of the first two must go), and buffers (the many object's
//! ring buffer and perf buffer readers). Each run must end normally, name the failing step
//! in its error, and leave no fd, no mapped map, no link and no view behind; an interrupted
//! bpf(2) is retried and the run ends as a clean one does. Also: an unprivileged run says
//! that it lacks privilege, and the injector counts the same with and without its seccomp
//! filter and passes the command's exit status through.

mod support;

use support::ROOT;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use support::env::output_ok;
use support::faults::{self, unprivileged, Report, ERRNOS};
use support::go::{go, go_cmd};

/// The bpf(2) commands whose failure a run may absorb: a perf event's BPF_LINK_CREATE falls
/// back to PERF_EVENT_IOC_SET_BPF (kernels before 5.15 need it), and the perf buffer's
/// Close empties its map slots with BPF_MAP_DELETE_ELEM, which closing the map also does.
const ABSORBED: [&str; 2] = ["28", "3"];

/// The go command, when root, gcc and go are all there; else why not, on stderr.
fn ready() -> Option<PathBuf> {
    if !(support::root() && support::have("gcc")) {
        return None;
    }
    go()
}

/// The injector and the driver, built once per test binary.
struct Tools {
    injector: PathBuf,
    driver: PathBuf,
}

fn tools(go: &Path) -> &'static Tools {
    static TOOLS: OnceLock<Tools> = OnceLock::new();
    TOOLS.get_or_init(|| build(go))
}

/// Builds the injector, and the driver with the minimal, hostile and many skeletons
/// generated into its package, in target/go-faults.
fn build(go: &Path) -> Tools {
    let dir = Path::new(ROOT).join("target/go-faults");
    let _ = std::fs::remove_dir_all(&dir);
    let src = dir.join("driver");
    std::fs::create_dir_all(&src).unwrap();
    let faults = Path::new(ROOT).join("tests/faults");
    for entry in std::fs::read_dir(faults.join("go-driver")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name == "go.mod" || (name.ends_with(".go") && !name.ends_with("_skel.go")) {
            std::fs::copy(&path, src.join(&name)).unwrap();
        }
    }
    let options = skelgen::Options {
        go_package: Some("main".into()),
        ..skelgen::Options::for_lang(skelgen::Lang::Go)
    };
    for object in ["minimal", "hostile", "many"] {
        let file = format!("{object}.bpf.o");
        let data = std::fs::read(Path::new(ROOT).join("examples/bpf").join(&file)).unwrap();
        let skeleton = skelgen::generate(&data, &file, &options).unwrap();
        std::fs::write(src.join(format!("{object}_skel.go")), skeleton).unwrap();
    }
    let injector = faults::build_ptrace_injector(&dir);
    let driver = dir.join("go-driver");
    for args in [&["vet", "."][..], &["build", "-o", "../go-driver", "."]] {
        output_ok(go_cmd(go, &src).args(args));
    }
    Tools { injector, driver }
}

/// Runs the driver on `object` under the injector, failing call `call` (none: a clean run)
/// with `errno`.
fn run(tools: &Tools, object: &str, call: Option<u32>, errno: i32, every_syscall: bool) -> Report {
    let mut cmd = Command::new(&tools.injector);
    if every_syscall {
        cmd.arg("--every-syscall");
    }
    cmd.arg(&tools.driver)
        .arg(object)
        .env("GODEBUG", "asyncpreemptoff=1")
        .env("SKELGEN_FAULT_ERRNO", errno.to_string())
        .env_remove("SKELGEN_FAULT_CALL");
    if let Some(n) = call {
        cmd.env("SKELGEN_FAULT_CALL", n.to_string());
    }
    Report::parse(&output_ok(&mut cmd))
}

/// Checks that the run left nothing behind, and that a failure says which step failed.
fn assert_tidy(r: &Report, context: &str) {
    let text = &r.text;
    for key in ["fds_leaked", "maps_leaked", "views_left"] {
        assert_eq!(r.number(key), 0, "{key}, {context}:\n{text}");
    }
    let closes = text.lines().filter(|l| *l == "close ok").count();
    assert_eq!(closes, 2, "Close, then Close again, {context}:\n{text}");
    match r.stage.as_str() {
        "load" => {
            assert_eq!(r.number("handles_left"), 0, "{context}:\n{text}");
            assert_eq!(r.number("maps_held"), 0, "{context}:\n{text}");
            assert!(text.contains("\nviews_writable\n"), "{context}:\n{text}");
        }
        "attach" => assert_eq!(r.number("links_left"), 0, "{context}:\n{text}"),
        _ => {}
    }
    if r.stage != "done" {
        assert_ne!(r.step, "-", "a failure names its step, {context}:\n{text}");
        let error = r.field("error").unwrap_or_default();
        assert!(
            error.contains(&r.step),
            "{context}: the error has the step:\n{text}"
        );
    }
}

/// Fails each call of a clean run of `object` in turn with each errno, and checks each run.
/// The clean run must end with `outcome` (stage, errno, step); each of `reached` must be
/// the stage, or part of the step, where some fault run stopped.
fn sweep(object: &str, outcome: (&str, i32, &str), reached: &[&str]) {
    let Some(go) = ready() else { return };
    let tools = tools(&go);
    let clean = run(tools, object, None, 0, false);
    assert_tidy(&clean, &format!("{object}, no fault"));
    assert_eq!(clean.outcome(), outcome, "{object}:\n{}", clean.text);
    let mut stops = Vec::new();
    for errno in ERRNOS {
        for call in 1..=clean.calls {
            let r = run(tools, object, Some(call), errno, false);
            let context = format!("{object}, call {call} (what {}) errno {errno}", r.what);
            assert!(r.injected, "{context}: not reached, of {}", clean.calls);
            assert_tidy(&r, &context);
            let bpf = r.what.parse::<u32>().is_ok();
            if errno == libc::EINTR && bpf {
                assert_eq!(
                    r.outcome(),
                    clean.outcome(),
                    "{context}: not retried:\n{}",
                    r.text
                );
            } else if !ABSORBED.contains(&r.what.as_str()) {
                assert_ne!(
                    r.outcome(),
                    clean.outcome(),
                    "{context}: unnoticed:\n{}",
                    r.text
                );
            }
            stops.push((r.stage, r.step));
        }
    }
    for place in reached {
        assert!(
            stops
                .iter()
                .any(|(stage, step)| stage == place || step.contains(place)),
            "{object}: no fault stopped the run at {place:?}"
        );
    }
}

#[test]
fn minimal_every_call_failing_leaks_nothing() {
    sweep("minimal", ("done", 0, "-"), &["load", "attach", "run"]);
}

/// Attach of every program: hostile's attaches two tracepoints, then fails on a raw
/// tracepoint that does not exist; a fault may stop it earlier, at the second program with
/// the first attached. No link may stay.
#[test]
fn failed_attach_all_leaves_no_link() {
    let last = ("attach", libc::ENOENT, "BPF_RAW_TRACEPOINT_OPEN");
    sweep("hostile", last, &["sys_enter_getppid"]);
}

#[test]
fn buffer_readers_every_call_failing_leak_nothing() {
    let reached = ["mmap of the consumer page", "mmap of the ring of CPU 0"];
    sweep("buffers", ("done", 0, "-"), &reached);
}

/// A loader run that ends with EAGAIN (a program load a signal cut short; the Go runtime
/// signals its own threads) is made again.
#[test]
fn a_loader_run_cut_short_by_a_signal_is_made_again() {
    let Some(go) = ready() else { return };
    let tools = tools(&go);
    let clean = run(tools, "minimal", None, 0, false);
    let r = faults::loader_eagain_is_retried(clean.calls, |call| {
        let mut cmd = Command::new(&tools.injector);
        cmd.arg(&tools.driver)
            .arg("minimal")
            .env("GODEBUG", "asyncpreemptoff=1")
            .env("SKELGEN_FAULT_ERRNO", libc::ENOMEM.to_string())
            .env("SKELGEN_FAULT_CALL", call.to_string())
            .env(faults::LOADER_EAGAIN, "1");
        Report::parse(&output_ok(&mut cmd))
    });
    assert_tidy(&r, "loader run ended with EAGAIN");
}

/// Without privilege, the error says so.
#[test]
fn unprivileged_load_says_why() {
    let Some(go) = ready() else { return };
    let tools = tools(&go);
    let Some(mut cmd) = unprivileged(&tools.driver) else {
        return;
    };
    let out = output_ok(cmd.arg("minimal").env("GODEBUG", "asyncpreemptoff=1"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("stage load err 1 step create the loader map (loading BPF needs root"),
        "{text}"
    );
    assert!(text.contains(": operation not permitted\n"), "{text}");
    assert!(text.contains("fds_leaked 0"), "{text}");
}

/// The seccomp filter stops the tracee at the counted calls only: counts and faults are
/// the same as when every system call stops.
#[test]
fn injector_filter_changes_no_count() {
    let Some(go) = ready() else { return };
    let tools = tools(&go);
    let filtered = run(tools, "minimal", None, 0, false);
    let every = run(tools, "minimal", None, 0, true);
    assert_eq!(filtered.calls, every.calls);
    for call in [1, filtered.calls / 2, filtered.calls] {
        let a = run(tools, "minimal", Some(call), libc::ENOMEM, false);
        let b = run(tools, "minimal", Some(call), libc::ENOMEM, true);
        assert_eq!(
            (a.outcome(), &a.what),
            (b.outcome(), &b.what),
            "call {call}"
        );
    }
}

/// The injector exits as the command did: with its code, or killed by its signal.
#[test]
fn injector_passes_the_exit_status_through() {
    let Some(go) = ready() else { return };
    let tools = tools(&go);
    let status = |script: &str| {
        let out = Command::new(&tools.injector)
            .args(["sh", "-c", script])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("fault: calls "), "{stderr}");
        out.status
    };
    assert_eq!(status("exit 3").code(), Some(3));
    assert_eq!(status("kill -TERM $$").signal(), Some(libc::SIGTERM));
}
