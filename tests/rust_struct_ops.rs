//! struct_ops in the Rust skeleton: what must fail at load before the loader runs, on the
//! host kernel. A struct_ops type the kernel does not have, a member its struct lacks, and a
//! struct_ops program no structure names (tcpca.bpf.o patched in place, as the C tests do)
//! fail the load naming the type, member or program, with no fd handed out or left open.
//! The scenario that registers tcpca's structures, and loads without the kernel's BTF or with
//! a corrupt one, are tests of the consumer crate (examples/rust/tests/tcpca.rs), which
//! tests/rust_skeleton.rs runs.

mod common;
mod rust_support;

use common::tcpca::{patched_tcpca, tcpca_without_init};
use rust_support::{cargo, run_ok, rust_module, scratch, scratch_crate};
use std::process::Command;

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

fn fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("opz") => load!(tcpca_opz::OpenTcpcaOpz),
        Some("cwnx") => load!(tcpca_cwnx::OpenTcpcaCwnx),
        Some("noinit") => load!(tcpca_noinit::OpenTcpcaNoinit),
        other => panic!("no case {other:?}"),
    }
}
"#;

fn root() -> bool {
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    if euid != 0 {
        eprintln!("skipping: loading BPF programs needs root (euid {euid})");
    }
    euid == 0
}

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
            patched_tcpca("tcp_congestion_ops\0", "tcp_congestion_opz\0"),
            libc::ENOENT,
            "struct_ops map tcpca: this kernel has no struct_ops type struct tcp_congestion_opz \
             (no struct tcp_congestion_opz in /sys/kernel/btf/vmlinux; struct_ops types of \
             modules are not supported)",
        ),
        (
            "cwnx",
            patched_tcpca("undo_cwnd\0", "undo_cwnx\0"),
            libc::EOPNOTSUPP,
            "struct_ops map tcpca: struct tcp_congestion_ops of this kernel has no member \
             undo_cwnx, which the object sets",
        ),
        (
            "noinit",
            tcpca_without_init(),
            libc::EINVAL,
            "struct_ops program tcpca_init is the member of no struct_ops map, so the kernel \
             cannot load it (libbpf's load fails too): set its autoload to false",
        ),
    ];
    let dir = scratch_crate("struct-ops-driver", "2021");
    let mut main = String::from("#![deny(warnings)]\n");
    for (case, object, _, _) in &cases {
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
    let exe = target.join("debug/struct-ops-driver");
    for (case, _, errno, what) in cases {
        let out = run_ok(Command::new(&exe).arg(case));
        for want in [
            format!("errno {errno}"),
            format!("what {what}"),
            "plan_step None".to_string(),
            "fds_leaked 0".to_string(),
        ] {
            assert!(
                out.lines().any(|l| l == want),
                "{case}: missing {want:?} in:\n{out}"
            );
        }
    }
}
