//! The C light skeleton: a snapshot of the minimal example's header, strict gcc and g++
//! builds of every example's header, and end-to-end runs of the C examples on the host
//! kernel (as root).
//!
//! Bless the snapshot after a deliberate change with
//! `INSTA_UPDATE=always cargo test --test c_skeleton` and read the diff.

use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn examples() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(Path::new(ROOT).join("examples/bpf"))
        .expect("examples/bpf exists")
        .map(|e| {
            e.expect("readable directory")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter_map(|f| f.strip_suffix(".bpf.o").map(str::to_string))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no example objects");
    names
}

fn header(name: &str) -> String {
    let path = Path::new(ROOT).join(format!("examples/bpf/{name}.bpf.o"));
    let data = std::fs::read(&path).unwrap();
    let options = skelgen::Options {
        lang: Some(skelgen::Lang::C),
        ..Default::default()
    };
    let out = skelgen::generate(&data, &format!("{name}.bpf.o"), &options)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    String::from_utf8(out).unwrap()
}

/// A scratch directory of this test binary under target/.
fn scratch(what: &str) -> PathBuf {
    let dir = Path::new(ROOT).join("target/c-skeleton-tests").join(what);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn have(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipping: {tool} is not installed");
    }
    ok
}

fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

#[test]
fn minimal_header_snapshot() {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../snapshots");
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    s.bind(|| insta::assert_snapshot!("minimal.lskel.h", header("minimal")));
}

#[test]
fn output_is_deterministic() {
    for name in examples() {
        assert_eq!(header(&name), header(&name), "{name}");
    }
}

#[test]
fn every_header_compiles_as_strict_c_and_cpp() {
    if !have("gcc") || !have("g++") {
        return;
    }
    let dir = scratch("compile");
    for name in examples() {
        std::fs::write(dir.join(format!("{name}.lskel.h")), header(&name)).unwrap();
        let main = dir.join(format!("use_{name}.c"));
        std::fs::write(
            &main,
            format!(
                "#include <stdio.h>\n#include \"{name}.lskel.h\"\n#include \"{name}.lskel.h\"\n\
                 int main(void)\n{{\n\tstruct {name} *skel = {name}__open();\n\n\
                 \t{name}__destroy(skel);\n\treturn 0;\n}}\n"
            ),
        )
        .unwrap();
        run_ok(
            Command::new("gcc")
                .args([
                    "-std=c11",
                    "-Wall",
                    "-Wextra",
                    "-Werror",
                    "-pedantic",
                    "-c",
                    "-o",
                ])
                .arg(dir.join(format!("{name}.o")))
                .arg(&main),
        );
        run_ok(
            Command::new("g++")
                .args([
                    "-std=c++17",
                    "-Wall",
                    "-Wextra",
                    "-Werror",
                    "-x",
                    "c++",
                    "-c",
                    "-o",
                ])
                .arg(dir.join(format!("{name}.cpp.o")))
                .arg(&main),
        );
    }
}

/// Two skeletons in one translation unit share the runtime.
#[test]
fn two_headers_in_one_unit() {
    if !have("gcc") {
        return;
    }
    let dir = scratch("two");
    for name in ["minimal", "ksyms"] {
        std::fs::write(dir.join(format!("{name}.lskel.h")), header(name)).unwrap();
    }
    let main = dir.join("two.c");
    std::fs::write(
        &main,
        "#include \"minimal.lskel.h\"\n#include \"ksyms.lskel.h\"\n\
         int main(void)\n{\n\tminimal__destroy(minimal__open());\n\tksyms__destroy(ksyms__open());\n\treturn 0;\n}\n",
    )
    .unwrap();
    run_ok(
        Command::new("gcc")
            .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-o"])
            .arg(dir.join("two"))
            .arg(&main),
    );
}

fn root() -> bool {
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    if euid != 0 {
        eprintln!("skipping: loading BPF programs needs root (euid {euid})");
    }
    euid == 0
}

/// Generates the header of `name`, builds examples/c/`name`.c against it and runs it.
fn build_and_run(name: &str) -> String {
    let dir = scratch(name);
    std::fs::write(dir.join(format!("{name}.lskel.h")), header(name)).unwrap();
    let exe = dir.join(name);
    run_ok(
        Command::new("gcc")
            .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-I"])
            .arg(&dir)
            .arg("-o")
            .arg(&exe)
            .arg(Path::new(ROOT).join(format!("examples/c/{name}.c"))),
    );
    run_ok(&mut Command::new(&exe))
}

fn has_line(out: &str, line: &str) -> bool {
    out.lines().any(|l| l == line)
}

#[test]
fn minimal_end_to_end() {
    if !root() || !have("gcc") {
        return;
    }
    let out = build_and_run("minimal");
    for line in [
        "failed_load -22",
        "failed_step MAP_CREATE .rodata",
        "failed_step_index_valid 1",
        "fds_after_failure 0",
        "initial_int 42",
        "initial_tag skel",
        "initial_level 9",
        "load 0",
        "attach 0",
        "linked 1",
        "lookup 0",
        "count 15",
        "counter 5",
        "last_pid_matches 1",
        "sample_kind 2",
        "sample_flags 5",
        "sample_level 9",
        "sample_lo_matches 1",
        "sample_tail 68",
        "data_int 47",
        "custom_val 12",
        "sample_tail_after_write 1019",
        "counter_after 10",
        "detached 1",
        "counter_detached 10",
        "fds_leaked 0",
        "ok",
    ] {
        assert!(has_line(&out, line), "missing {line:?} in:\n{out}");
    }
}

#[test]
fn iterators_end_to_end() {
    if !root() || !have("gcc") {
        return;
    }
    let out = build_and_run("iterators");
    for line in [
        "load 0",
        "attach 0",
        "map_lines_ok 1",
        "lists_own_bss 1",
        "prog_lines_ok 1",
        "lists_itself 1",
        "maps_listed_ok 1",
        "progs_listed_ok 1",
        "ok",
    ] {
        assert!(has_line(&out, line), "missing {line:?} in:\n{out}");
    }
}

#[test]
fn many_attach_kinds_end_to_end() {
    if !root() || !have("gcc") {
        return;
    }
    let out = build_and_run("many");
    for line in [
        "open_and_load 1",
        "failing_attach -22",
        "links_after_failing_attach 0",
        "attach 0",
        "auto_links 14",
        "raw_tp_by_name 0",
        "xdp 0",
        "tcx_ingress 0",
        "tcx_egress 0",
        "cgroup_skb 0",
        "cgroup_sock 0",
        "cgroup_sock_addr 0",
        "cgroup_sockopt 0",
        "cgroup_sysctl 0",
        "cgroup_dev 0",
        "sock_ops 0",
        "sk_lookup 0",
        "flow_dissector 0",
        "perf_event 0",
        "twice -16",
        "links 14",
        "iter_read_ok 1",
        "links_after_detach 0",
        "fds_leaked 0",
        "ok",
    ] {
        assert!(has_line(&out, line), "missing {line:?} in:\n{out}");
    }
}

#[test]
fn uprobes_end_to_end() {
    if !root() || !have("gcc") {
        return;
    }
    let out = build_and_run("probes");
    for line in [
        "load 0",
        "skipped_not_loaded 1",
        "attach 0",
        "fentry_not_attached 1",
        "uprobe 0",
        "uretprobe 0",
        "result 83",
        "uprobe_hits 1",
        "uprobe_last_arg 41",
        "uretprobe_hits 1",
        "uretprobe_last_ret 83",
        "ok",
    ] {
        assert!(has_line(&out, line), "missing {line:?} in:\n{out}");
    }
}

/// `CONFIG_HZ` of the running kernel, as `zcat /proc/config.gz` shows it.
fn config_hz() -> Option<String> {
    let out = Command::new("sh")
        .args([
            "-c",
            "zcat /proc/config.gz 2>/dev/null || cat /boot/config-$(uname -r)",
        ])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines()
        .find_map(|l| l.strip_prefix("CONFIG_HZ="))
        .map(str::to_string)
}

/// `KERNEL_VERSION(a, b, c)` of the running kernel.
fn kernel_version() -> u32 {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    let nums: Vec<u32> = release
        .split(|c: char| !c.is_ascii_digit())
        .take(3)
        .map(|n| n.parse().unwrap_or(0))
        .collect();
    (nums[0] << 16) | (nums[1] << 8) | nums[2].min(255)
}

#[test]
fn kconfig_and_ksyms_end_to_end() {
    if !root() || !have("gcc") {
        return;
    }
    let Some(hz) = config_hz() else {
        eprintln!("skipping: the kernel configuration is not readable here");
        return;
    };
    let out = build_and_run("ksyms");
    let version = kernel_version();
    for line in [
        format!("open_hz {hz}"),
        format!("open_kernel_version {version}"),
        "open_bpf_syscall 1".into(),
        "open_absent_option 0".into(),
        "load 0".into(),
        "attach 0".into(),
        "hz 1234".into(),
        format!("kernel_version {version}"),
        "has_bpf_syscall 1".into(),
        "has_absent_option 0".into(),
        "vfs_read_found 1".into(),
        "absent_ksym_addr 0".into(),
        "iter_sum 10".into(),
        "kfunc_ran 1".into(),
        "ok".into(),
    ] {
        assert!(has_line(&out, &line), "missing {line:?} in:\n{out}");
    }
}

/// The directory holding the real `vng` (its virtualenv's bin/, where `virtme-run` lives).
fn vng_dir() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let vng = std::env::split_paths(&path)
        .map(|d| d.join("vng"))
        .find(|p| p.exists())?;
    std::fs::canonicalize(vng)
        .ok()?
        .parent()
        .map(Path::to_path_buf)
}

/// The newest kernel image in /boot.
fn vm_kernel() -> Option<PathBuf> {
    let mut images: Vec<PathBuf> = std::fs::read_dir("/boot")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("vmlinuz-"))
        })
        .collect();
    images.sort();
    images.pop()
}

/// In one VM boot of the Debian kernel: kprobe, kretprobe, fentry, fexit, fmod_ret and LSM
/// attach (the host refuses them), the tracepoint and iterator examples, and `.kconfig`
/// from /boot/config-$(uname -r).
#[test]
fn vm_kernel_probes_end_to_end() {
    if !root() || !have("gcc") {
        return;
    }
    let (Some(vng), Some(kernel)) = (vng_dir(), vm_kernel()) else {
        eprintln!("skipping: needs vng and a kernel image in /boot");
        return;
    };
    let dir = scratch("vm");
    for name in ["probes", "minimal", "iterators"] {
        std::fs::write(dir.join(format!("{name}.lskel.h")), header(name)).unwrap();
        run_ok(
            Command::new("gcc")
                .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-I"])
                .arg(&dir)
                .arg("-o")
                .arg(dir.join(name))
                .arg(Path::new(ROOT).join(format!("examples/c/{name}.c"))),
        );
    }
    let script = dir.join("run.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nmountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing\n\
             cd {}\necho \"== probes\"; ./probes kernel\necho \"== minimal\"; ./minimal\n\
             echo \"== iterators\"; ./iterators\n",
            dir.display()
        ),
    )
    .unwrap();
    run_ok(Command::new("chmod").arg("+x").arg(&script));
    let path = format!(
        "{}:{}",
        vng.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = run_ok(
        Command::new("timeout")
            .arg("600")
            .arg(vng.join("vng"))
            .arg("--run")
            .arg(&kernel)
            .args(["--disable-kvm", "--user", "root", "--"])
            .arg(&script)
            .env("PATH", path),
    );
    for line in [
        "kprobe_hits_ok 1",
        "kretprobe_hits_ok 1",
        "kretprobe_last_ret 0",
        "fentry_hits_ok 1",
        "fexit_hits_ok 1",
        "fexit_last_ret 0",
        "fmod_ret_hits_ok 1",
        "uprobe_hits 1",
        "uretprobe_last_ret 83",
        "count 15",
        "fds_leaked 0",
        "lists_itself 1",
    ] {
        assert!(has_line(&out, line), "missing {line:?} in:\n{out}");
    }
    assert!(
        !out.contains("check failed") && !out.contains("_ok 0"),
        "{out}"
    );
    assert_eq!(out.lines().filter(|l| *l == "ok").count(), 3, "{out}");
}
