//! struct_ops in the Rust skeleton: what must fail at load before the loader runs, on the
//! host kernel. A struct_ops type the kernel does not have, a member its struct lacks, and a
//! struct_ops program no structure names (tcpca.bpf.o patched in place, as the C tests do)
//! fail the load naming the type, member or program, with no fd handed out or left open.
//! The scenario that registers tcpca's structures, and loads without the kernel's BTF or with
//! a corrupt one, are tests of the consumer crate (examples/rust/tests/tcpca.rs), which
//! tests/rust_skeleton.rs runs.

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use support::rust::{cargo, rust_module, scratch, scratch_crate};
use support::tcpca::{patched_tcpca, tcpca_without_init};
use support::{root, run_ok};

/// The driver: loads the skeleton of the case named by its argument and prints how the load
/// went (`errno`, `what`, `plan_step`, `fds_leaked`).
const DRIVER: &str = r#"
macro_rules! load {
    ($open:ty) => {{
        let before = fds();
        match <$open>::open().and_then(|open| open.load()) {
            Ok(_) => println!("load ok"),
            Err(err) => {
                println!("errno {}", err.errno());
                println!("what {}", err.what());
                println!("plan_step {:?}", err.plan_step());
            }
        }
        println!("fds_leaked {}", fds() as i64 - before as i64);
    }};
}

/// Loads, then attaches every structure: how the attach went, and whether `name` is
/// registered after it.
macro_rules! attach {
    ($open:ty, $name:expr) => {{
        let before = fds();
        let mut skel = <$open>::open().and_then(|open| open.load()).unwrap();
        if let Err(err) = skel.attach() {
            println!("attach_errno {}", err.errno());
            println!("attach_what {}", err.what());
        }
        println!("available_after_attach {}", available($name));
        // A .struct_ops map is registered once: this one was, by the failed attach.
        let again = skel.attach_tcpca().map_err(|err| err.errno());
        println!("attach_tcpca_again {again:?}");
        drop(skel);
        println!("fds_leaked {}", fds() as i64 - before as i64);
    }};
}

fn fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn available(name: &str) -> bool {
    std::fs::read_to_string("/proc/sys/net/ipv4/tcp_available_congestion_control")
        .unwrap()
        .split_whitespace()
        .any(|w| w == name)
}

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("opz") => load!(tcpca_opz::OpenTcpcaOpz),
        Some("cwnx") => load!(tcpca_cwnx::OpenTcpcaCwnx),
        Some("noinit") => load!(tcpca_noinit::OpenTcpcaNoinit),
        Some("samename") => attach!(tcpca_samename::OpenTcpcaSamename, "skg_tcpca"),
        other => panic!("no case {other:?}"),
    }
}
"#;

/// A struct_ops type the kernel does not have, a member its struct lacks, and a struct_ops
/// program no structure names (which libbpf cannot load either) fail the load before the
/// loader runs, naming the type, member or program, with no fd left open.
#[test]
fn struct_ops_mismatch_fails_by_name() {
    if !root() {
        return;
    }
    let cases = [
        (
            "opz",
            libc::ENOENT,
            "struct_ops map tcpca: this kernel has no struct_ops type struct tcp_congestion_opz \
             (no struct tcp_congestion_opz in /sys/kernel/btf/vmlinux; struct_ops types of \
             modules are not supported)",
        ),
        (
            "cwnx",
            libc::EOPNOTSUPP,
            "struct_ops map tcpca: struct tcp_congestion_ops of this kernel has no member \
             undo_cwnx, which the object sets",
        ),
        (
            "noinit",
            libc::EINVAL,
            "struct_ops program tcpca_init is the member of no struct_ops map, so the kernel \
             cannot load it (libbpf's load fails too): set its autoload to false",
        ),
    ];
    let exe = driver();
    for (case, errno, what) in cases {
        let out = run_ok(Command::new(&exe).arg(case));
        let want = [
            format!("errno {errno}"),
            format!("what {what}"),
            "plan_step None".to_string(),
            "fds_leaked 0".to_string(),
        ];
        expect_lines(case, &out, &want);
    }
}

/// When `attach()` fails on the second structure (tcpca_link, here named like tcpca, which
/// the kernel refuses as a second congestion control of that name), it unregisters the
/// first, which it had registered (so that one cannot be registered again): nothing stays
/// registered, and nothing open.
#[test]
fn a_failed_attach_unregisters_what_it_registered() {
    if !root() {
        return;
    }
    let out = run_ok(Command::new(driver()).arg("samename"));
    let want = [
        format!("attach_errno {}", libc::EEXIST),
        "attach_what struct_ops map tcpca_link: the kernel refuses its struct \
         tcp_congestion_ops (BPF_LINK_CREATE)"
            .to_string(),
        "available_after_attach false".to_string(),
        format!("attach_tcpca_again Err({})", libc::EBUSY),
        "fds_leaked 0".to_string(),
    ];
    expect_lines("samename", &out, &want);
}

fn expect_lines(case: &str, out: &str, want: &[String]) {
    for want in want {
        assert!(
            out.lines().any(|l| l == want),
            "{case}: missing {want:?} in:\n{out}"
        );
    }
}

/// The driver, built once, with the skeletons of tcpca.bpf.o patched for each case.
fn driver() -> PathBuf {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| {
        let objects = [
            (
                "opz",
                patched_tcpca("tcp_congestion_ops\0", "tcp_congestion_opz\0"),
            ),
            ("cwnx", patched_tcpca("undo_cwnd\0", "undo_cwnx\0")),
            ("noinit", tcpca_without_init()),
            // The structures' names are data: the second one's is cut short with a NUL.
            (
                "samename",
                patched_tcpca("skg_tcpca_link", "skg_tcpca\0link"),
            ),
        ];
        let dir = scratch_crate("struct-ops-driver", "2021");
        let mut main = String::from("#![deny(warnings)]\n");
        for (case, object) in &objects {
            let name = format!("tcpca_{case}");
            let module = rust_module(object, &format!("{name}.bpf.o"));
            std::fs::write(dir.join(format!("src/{name}.skel.rs")), module).unwrap();
            main.push_str(&format!("include!(\"{name}.skel.rs\");\n"));
        }
        main.push_str(DRIVER);
        std::fs::write(dir.join("src/main.rs"), main).unwrap();
        let target = scratch("struct-ops-driver-target");
        run_ok(
            cargo()
                .arg("build")
                .arg("--manifest-path")
                .arg(dir.join("Cargo.toml"))
                .arg("--target-dir")
                .arg(&target),
        );
        target.join("debug/struct-ops-driver")
    })
    .clone()
}
