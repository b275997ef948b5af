//! struct_ops in the C skeleton: tcpca's two congestion controls registered on the host
//! kernel and listed by bpftool, and what must fail before the loader runs (no kernel BTF,
//! a type or a member the kernel lacks, a program no structure names), naming it and
//! leaving no fd.
//! Linux 6.1 runs `tcpca plain` in the VM (`tests/vm/parts/c`).

mod support;

use std::path::Path;
use std::process::Command;
use support::c::*;
use support::tcpca::{patched_tcpca, tcpca_without_init};
use support::{have, root, run_ok, ROOT};

/// struct_ops on the host: both structures of tcpca register and carry a loopback TCP
/// connection each; while they are registered, bpftool lists both maps and the
/// .struct_ops.link map's link.
#[test]
fn struct_ops_end_to_end() {
    use std::io::{BufRead, BufReader, Write};
    if !root() || !have("gcc") || !have("bpftool") {
        return;
    }
    let exe = build("tcpca", "tcpca");
    let mut child = Command::new(&exe)
        .arg("hold")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = String::new();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let mut ids = None;
    while reader.read_line(&mut line).unwrap() > 0 {
        out.push_str(&line);
        if let Some(rest) = line.trim().strip_prefix("hold ") {
            let v: Vec<u32> = rest.split(' ').map(|n| n.parse().unwrap()).collect();
            ids = Some((v[0], v[1]));
            break;
        }
        line.clear();
    }
    let (link_id, map_id) = ids.unwrap_or_else(|| panic!("no hold line in:\n{out}"));
    let link =
        run_ok(Command::new("bpftool").args(["-j", "link", "show", "id", &link_id.to_string()]));
    let maps = run_ok(Command::new("bpftool").args(["-j", "struct_ops", "list"]));
    child.stdin.take().unwrap().write_all(b"\n").unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut reader, &mut rest).unwrap();
    out.push_str(&rest);
    assert!(child.wait().unwrap().success(), "{out}");
    expect_lines(&out, "tcpca", &[]);
    let link: serde_json::Value = serde_json::from_str(&link).unwrap();
    assert_eq!(link["type"], "struct_ops", "{link}");
    let maps: serde_json::Value = serde_json::from_str(&maps).unwrap();
    let listed = |name: &str| {
        maps.as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == name && m["kernel_struct_ops"] == "tcp_congestion_ops")
    };
    assert!(listed("tcpca") && listed("tcpca_link"), "{maps}");
    assert!(
        maps.as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == map_id && m["name"] == "tcpca_link"),
        "map {map_id} in {maps}"
    );
}

/// A driver that loads a (patched) tcpca header and reports how the load failed.
const STRUCT_OPS_FAIL_DRIVER: &str = r#"#include "tcpca.lskel.h"
#include "check.h"

int main(void)
{
	int before = open_fds();
	struct tcpca *skel = tcpca__open();
	int err;

	if (!skel)
		return 1;
	err = tcpca__load(skel);
	printf("load %d\n", err);
	printf("step %s\n", skel->err_step ? skel->err_step : "(none)");
	printf("step_index %d\n", skel->err_step_index);
	printf("no_fds %d\n", skel->maps.tcpca.map_fd == 0 && skel->progs.tcpca_init.prog_fd == 0);
	tcpca__destroy(skel);
	printf("fds_leaked %d\n", open_fds() - before);
	return failures;
}
"#;

/// A struct_ops type the kernel does not have, a member its struct lacks, and a struct_ops
/// program no structure names (which libbpf cannot load either) fail __load before the
/// loader runs, naming the type, member or program, with no fd left open.
#[test]
fn struct_ops_mismatch_fails_by_name() {
    if !root() || !have("gcc") {
        return;
    }
    let cases = [
        (
            "tcp_congestion_ops\0",
            "tcp_congestion_opz\0",
            "load -2",
            "step struct_ops map tcpca: this kernel has no struct_ops type struct tcp_congestion_opz (no struct tcp_congestion_opz in /sys/kernel/btf/vmlinux; struct_ops types of modules are not supported)",
        ),
        (
            "undo_cwnd\0",
            "undo_cwnx\0",
            "load -95",
            "step struct_ops map tcpca: struct tcp_congestion_ops of this kernel has no member undo_cwnx, which the object sets",
        ),
    ];
    let unnamed = (
        "load -22",
        "step struct_ops program tcpca_init is the member of no struct_ops map, so the kernel \
         cannot load it (libbpf's load fails too): set its autoload to 0",
    );
    let objects = cases
        .iter()
        .map(|(from, to, load, step)| {
            (
                patched_tcpca(from, to),
                to.trim_end_matches('\0'),
                *load,
                *step,
            )
        })
        .chain([(tcpca_without_init(), "noinit", unnamed.0, unnamed.1)]);
    for (data, to, load, step) in objects {
        let exe = fail_driver(&data, &format!("tcpca-{to}"));
        let out = run_ok(&mut Command::new(&exe));
        expect_failure(&out, to, load, step);
    }
}

/// The failing-load driver built against the C header of `object` in scratch `dir`.
fn fail_driver(object: &[u8], dir: &str) -> std::path::PathBuf {
    let options = skelgen::Options {
        lang: vec![skelgen::Lang::C.into()],
        ..Default::default()
    };
    let header = skelgen::generate(object, "tcpca.bpf.o", &options).unwrap();
    let dir = scratch(dir);
    std::fs::write(dir.join("tcpca.lskel.h"), header).unwrap();
    std::fs::copy(
        Path::new(ROOT).join("examples/c/check.h"),
        dir.join("check.h"),
    )
    .unwrap();
    build_driver(&dir, "driver", STRUCT_OPS_FAIL_DRIVER)
}

/// The driver's output says the load failed with `load` for `step`, before the loader ran,
/// with no fd handed out or left open.
fn expect_failure(out: &str, what: &str, load: &str, step: &str) {
    for want in [load, step, "step_index -1", "no_fds 1", "fds_leaked 0"] {
        assert!(has_line(out, want), "{what}: missing {want:?} in:\n{out}");
    }
}

/// Without the kernel's BTF (hidden here by an empty tmpfs over /sys/kernel/btf in a
/// private mount namespace), __load fails saying struct_ops needs it.
#[test]
fn struct_ops_without_kernel_btf_fails_saying_so() {
    if !root() || !have("gcc") || !have("unshare") {
        return;
    }
    let data = support::examples::object("tcpca");
    let exe = fail_driver(&data, "tcpca-nobtf");
    let script = format!(
        "mount -t tmpfs none /sys/kernel/btf && exec {}",
        exe.display()
    );
    let out = run_ok(Command::new("unshare").args(["-m", "sh", "-c", &script]));
    let step = "step struct_ops needs the kernel's BTF (CONFIG_DEBUG_INFO_BTF): \
                /sys/kernel/btf/vmlinux: No such file or directory";
    expect_failure(&out, "no BTF", "load -2", step);
}
