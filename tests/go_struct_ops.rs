//! struct_ops in the Go skeleton, what must fail at Load before the loader runs: a type or
//! a member the kernel lacks, a struct_ops program no structure names, no kernel BTF, and a
//! corrupt one. Each fails naming what is wrong, with the system's error number, and leaves
//! no fd. Then tcpca's whole life under the fault injector (tests/faults/ptrace.c): every
//! bpf(2) and mmap(2) failed in turn, and no fd, link or registered structure may stay.
//! (tcpca's run on the host is examples/go/tcpca, which tests/go_skeleton.rs runs.)
//!
//! The driver is tests/support/go-struct-ops-driver; the skeletons are generated into its
//! packages.

mod support;

use support::ROOT;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use support::faults::{self, Report};
use support::go::{go, go_cmd};
use support::tcpca::{patched_tcpca, tcpca_without_init};

/// The driver, built once (and vetted): the skeletons of tcpca and of its patched copies,
/// each in its package.
fn driver(go: &Path) -> &'static Path {
    static DRIVER_EXE: OnceLock<PathBuf> = OnceLock::new();
    DRIVER_EXE.get_or_init(|| {
        let dir = Path::new(ROOT).join("target/go-struct-ops");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("go.mod"), "module driver\n\ngo 1.21\n").unwrap();
        std::fs::copy(
            Path::new(ROOT).join("tests/support/go-struct-ops-driver/main.go"),
            dir.join("main.go"),
        )
        .unwrap();
        let objects = [
            (
                "opz",
                patched_tcpca("tcp_congestion_ops\0", "tcp_congestion_opz\0"),
            ),
            ("cwnx", patched_tcpca("undo_cwnd\0", "undo_cwnx\0")),
            ("noinit", tcpca_without_init()),
            ("tcpca", support::examples::object("tcpca")),
        ];
        for (package, object) in objects {
            let options = skelgen::Options {
                go_package: Some(package.into()),
                ..skelgen::Options::for_lang(skelgen::Lang::Go)
            };
            let skeleton = skelgen::generate(&object, "tcpca.bpf.o", &options).unwrap();
            std::fs::create_dir_all(dir.join(package)).unwrap();
            std::fs::write(dir.join(package).join("tcpca_skel.go"), skeleton).unwrap();
        }
        let exe = dir.join("driver");
        for args in [&["vet", "."][..], &["build", "-o", "driver", "."]] {
            let out = go_cmd(go, &dir).args(args).output().unwrap();
            assert!(
                out.status.success(),
                "go {args:?} of the driver: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        exe
    })
}

/// The go command, when root and go are both there; else why not, on stderr.
fn ready() -> Option<PathBuf> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipping: loading BPF programs needs root");
        return None;
    }
    go()
}

/// Runs `cmd` (the driver), which must exit 0, and checks that the load failed with
/// `error` and `errno`, with no fd handed out or left open.
fn expect_failure(cmd: &mut Command, error: &str, errno: i32) {
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?}:\n{text}");
    let load = format!("load {error}");
    let errno = format!("errno {errno}");
    for want in [&load, &errno, "fds_after_load 0", "fds_leaked 0"] {
        assert!(
            text.lines().any(|l| l == want),
            "missing {want:?} in:\n{text}"
        );
    }
}

/// A struct_ops type the kernel does not have, a member its struct lacks, and a struct_ops
/// program no structure names fail Load naming the type, member or program.
#[test]
fn struct_ops_mismatch_fails_by_name() {
    let Some(go) = ready() else { return };
    let exe = driver(&go);
    let cases = [
        (
            "opz",
            "tcpca: load: struct_ops map tcpca: this kernel has no struct_ops type struct \
             tcp_congestion_opz (no struct tcp_congestion_opz in /sys/kernel/btf/vmlinux; \
             struct_ops types of modules are not supported): no such file or directory",
            libc::ENOENT,
        ),
        (
            "cwnx",
            "tcpca: load: struct_ops map tcpca: struct tcp_congestion_ops of this kernel has no \
             member undo_cwnx, which the object sets: operation not supported",
            libc::EOPNOTSUPP,
        ),
        (
            "noinit",
            "tcpca: load: struct_ops program tcpca_init is the member of no struct_ops map, so \
             the kernel cannot load it (libbpf's load fails too): set its Autoload to false: \
             invalid argument",
            libc::EINVAL,
        ),
    ];
    for (which, error, errno) in cases {
        expect_failure(Command::new(exe).arg(which), error, errno);
    }
}

/// The driver run in a private mount namespace after `setup` (a shell command).
fn in_mount_namespace(exe: &Path, setup: &str) -> Command {
    let script = format!("{setup} && exec {} tcpca", exe.display());
    let mut cmd = Command::new("unshare");
    cmd.args(["-m", "sh", "-c", &script]);
    cmd
}

/// The driver, when root, go and unshare (util-linux) are all there; else why not, on
/// stderr.
fn namespace_driver() -> Option<&'static Path> {
    let go = ready()?;
    if !support::have("unshare") {
        return None;
    }
    Some(driver(&go))
}

/// Without the kernel's BTF (hidden by an empty tmpfs over /sys/kernel/btf), Load fails
/// saying struct_ops needs it.
#[test]
fn struct_ops_without_kernel_btf_fails_saying_so() {
    let Some(exe) = namespace_driver() else {
        return;
    };
    let error = "tcpca: load: struct_ops needs the kernel's BTF (CONFIG_DEBUG_INFO_BTF): open \
                 /sys/kernel/btf/vmlinux: no such file or directory";
    expect_failure(
        &mut in_mount_namespace(exe, "mount -t tmpfs none /sys/kernel/btf"),
        error,
        libc::ENOENT,
    );
}

/// With a truncated copy of the kernel's BTF in its place, Load fails saying the file is
/// malformed (examples/go/tcpca's internal tests corrupt it in many more ways).
#[test]
fn struct_ops_with_corrupt_kernel_btf_fails_saying_so() {
    let Some(exe) = namespace_driver() else {
        return;
    };
    let Ok(btf) = std::fs::read("/sys/kernel/btf/vmlinux") else {
        eprintln!("skipping: this kernel has no /sys/kernel/btf/vmlinux to corrupt");
        return;
    };
    let copy = exe.with_file_name("vmlinux.cut");
    std::fs::write(&copy, &btf[..btf.len() / 2]).unwrap();
    let setup = format!("mount --bind {} /sys/kernel/btf/vmlinux", copy.display());
    let error = format!(
        "tcpca: load: struct_ops needs the kernel's BTF (CONFIG_DEBUG_INFO_BTF): \
         /sys/kernel/btf/vmlinux: BTF header out of bounds of its {} bytes: invalid argument",
        btf.len() / 2
    );
    expect_failure(&mut in_mount_namespace(exe, &setup), &error, libc::EINVAL);
}

/// The fault injector, built once.
fn injector() -> &'static Path {
    static INJECTOR: OnceLock<PathBuf> = OnceLock::new();
    INJECTOR.get_or_init(|| {
        faults::build_ptrace_injector(&Path::new(ROOT).join("target/go-struct-ops-faults"))
    })
}

/// One run of tcpca's life under the injector, failing call `call` (none: a clean run)
/// with `errno`; it must leave no fd and no registered structure.
fn faulty_run(exe: &Path, call: Option<u32>, errno: i32) -> Report {
    let mut cmd = Command::new(injector());
    cmd.arg(exe)
        .arg("run")
        .env("SKELGEN_FAULT_ERRNO", errno.to_string())
        .env_remove("SKELGEN_FAULT_CALL");
    if let Some(n) = call {
        cmd.env("SKELGEN_FAULT_CALL", n.to_string());
    }
    let r = Report::parse(&support::env::output_ok(&mut cmd));
    let context = format!("fault at call {call:?} (what {}) errno {errno}", r.what);
    for key in ["fds_leaked", "registered_left"] {
        assert_eq!(r.number(key), 0, "{context}: {key}:\n{}", r.text);
    }
    if r.stage == "attach" {
        assert_eq!(r.number("links_left"), 0, "{context}:\n{}", r.text);
        assert_eq!(
            r.number("registered_after_attach"),
            0,
            "{context}:\n{}",
            r.text
        );
    }
    if r.stage != "done" {
        let error = r.field("error").unwrap_or_default();
        assert!(
            error.contains(&r.step),
            "{context}: the error has the step:\n{}",
            r.text
        );
    }
    r
}

/// Every bpf(2) and mmap(2) of tcpca's load, attach (both structures), detach and second
/// attach failed in turn: each failure stops the run where it happened, naming the step
/// (an interrupted call is made again and the run completes), and a failed Attach leaves
/// nothing registered: the structure it registered before the failure is unregistered.
#[test]
fn struct_ops_every_call_failing_leaves_nothing_registered() {
    let Some(go) = ready() else { return };
    if !support::have("gcc") {
        return;
    }
    let exe = driver(&go);
    let clean = faulty_run(exe, None, 0);
    assert_eq!(clean.outcome(), ("done", 0, "-"), "{}", clean.text);
    let runs = faults::sweep(clean.calls, &[], |call, errno| {
        faulty_run(exe, Some(call), errno)
    });
    for place in [
        "load",
        "BPF_MAP_UPDATE_ELEM",
        "BPF_LINK_CREATE",
        "detach",
        "reattach",
    ] {
        assert!(
            runs.iter()
                .any(|f| f.report.stage == place || f.report.step.contains(place)),
            "no fault stopped the run at {place:?}"
        );
    }
}
