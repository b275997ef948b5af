//! The C light skeleton: a snapshot of the minimal example's header, strict gcc and g++
//! builds of every example's header, and end-to-end runs of the C examples on the host
//! kernel (as root). The C checks that need Linux 6.1 (kprobes, BPF trampolines, LSM) run
//! in the VM: `tests/vm/parts/c`, run by `scripts/test.sh vm`.
//!
//! Bless the snapshot after a deliberate change with
//! `INSTA_UPDATE=always cargo test --test c_skeleton` and read the diff.

mod support;

use std::path::Path;
use std::process::Command;
use support::c::*;
use support::example_names as examples;
use support::{have, root, run_ok};

#[test]
fn minimal_header_snapshot() {
    let s = support::snapshot_settings();
    let text = without_loader_bytes(&header("minimal"));
    s.bind(|| insta::assert_snapshot!("minimal.lskel.h", text));
}

/// The header with the embedded loader's bytes (the two arrays in `__load`) replaced by a
/// count: the loader compiler has its own snapshots, this one is about the C around them.
fn without_loader_bytes(text: &str) -> String {
    let mut out = String::new();
    let mut run = 0;
    for line in text.lines() {
        if line.starts_with("\t\t0x") {
            run += 1;
            continue;
        }
        if run > 0 {
            out.push_str(&format!("\t\t/* {run} lines of loader bytes */\n"));
            run = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
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
    let builds: Vec<_> = STRICT_BUILDS
        .iter()
        .filter(|(cc, _)| cc.starts_with('g') || have(cc))
        .collect();
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
        for (i, (cc, args)) in builds.iter().enumerate() {
            run_ok(
                Command::new(cc)
                    .args(*args)
                    .arg("-c")
                    .arg("-o")
                    .arg(dir.join(format!("{name}.{i}.o")))
                    .arg(&main),
            );
        }
    }
}

#[test]
fn minimal_end_to_end() {
    if !root() || !have("gcc") {
        return;
    }
    let out = build_and_run("minimal");
    expect_lines(&out, "minimal", &[]);
}

/// Keyword-named maps, programs, globals and fields, and section names that try to break
/// out of strings and comments.
#[test]
fn hostile_end_to_end() {
    if !root() || !have("gcc") {
        return;
    }
    let out = build_and_run("hostile");
    expect_lines(&out, "hostile", &[]);
}

/// xdp and tcx on the host end of a veth pair, with UDP datagrams sent from the other end
/// in a network namespace of its own.
#[test]
fn net_end_to_end() {
    let have_ip = Command::new("ip")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_ip {
        eprintln!(
            "skipping net_end_to_end: needs ip (iproute2; scripts/install-deps.sh installs it)"
        );
    }
    if !root() || !have("gcc") || !have_ip {
        return;
    }
    let exe = build("net", "net");
    let ns = format!("skelgen-net-{}", std::process::id());
    let veth = format!("sgv{}", std::process::id() % 100_000);
    let peer = format!("{veth}p");
    let ip = |args: &str| {
        let ok = Command::new("ip")
            .args(args.split_whitespace())
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "ip {args}");
    };
    ip(&format!("netns add {ns}"));
    let cleanup = Cleanup(format!("ip netns del {ns}; ip link del {veth}"));
    ip(&format!(
        "link add {veth} type veth peer name {peer} netns {ns}"
    ));
    ip(&format!("addr add 10.231.0.1/24 dev {veth}"));
    ip(&format!("link set {veth} up"));
    ip(&format!("-n {ns} addr add 10.231.0.2/24 dev {peer}"));
    ip(&format!("-n {ns} link set {peer} up"));
    ip(&format!("-n {ns} link set lo up"));
    let out = run_ok(Command::new(exe).args([veth.as_str(), ns.as_str(), "10.231.0.1"]));
    drop(cleanup);
    expect_lines(&out, "net", &[]);
}

/// Runs a shell command when dropped, so a failed assertion still tears down what a test
/// set up.
struct Cleanup(String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = Command::new("sh")
            .args(["-c", &format!("{{ {}; }} 2>/dev/null", self.0)])
            .status();
    }
}

#[test]
fn iterators_end_to_end() {
    if !root() || !have("gcc") {
        return;
    }
    let out = build_and_run("iterators");
    expect_lines(&out, "iterators", &[]);
}

#[test]
fn many_attach_kinds_end_to_end() {
    if !root() || !have("gcc") {
        return;
    }
    let out = build_and_run("many");
    expect_lines(&out, "many", &[]);
}

#[test]
fn uprobes_end_to_end() {
    if !root() || !have("gcc") {
        return;
    }
    let out = build_and_run("probes");
    expect_lines(&out, "probes", &[]);
}

/// ksyscall programs: attached by `__attach` where the kernel has kprobes (the VM's
/// `hooks_kernel.expected`); on the host, which has none, `__attach` fails naming the first
/// one instead of returning 0 with nothing attached, and leaves no link behind.
#[test]
fn ksyscall_attach_all_attaches_or_names_the_program() {
    if !root() || !have("gcc") {
        return;
    }
    let out = build_and_run("hooks");
    let kprobes = Path::new("/sys/bus/event_source/devices/kprobe/type").exists();
    let expected = if kprobes { "hooks_kernel" } else { "hooks" };
    expect_lines(&out, expected, &[]);
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
    version_code(&release())
}

/// `KERNEL_VERSION(a, b, c)` of a release string (`6.1.0-56-amd64`).
fn version_code(release: &str) -> u32 {
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
    let vars = [("hz", hz), ("version", kernel_version().to_string())];
    expect_lines(&out, "ksyms", &vars);
}

/// Without a readable kernel configuration, a strong kconfig extern fails the load with
/// ESRCH and names itself; weak ones stay 0.
#[test]
fn missing_kconfig_fails_the_load_by_name() {
    if !root() || !have("gcc") || !have("unshare") {
        return;
    }
    if Path::new(&format!("/boot/config-{}", release())).exists() {
        eprintln!("skipping: /boot holds the configuration, hiding /proc/config.gz is not enough");
        return;
    }
    let exe = build("ksyms", "ksyms-noconfig");
    // A private mount namespace where /proc/config.gz reads as empty.
    let script = format!(
        "mount --bind /dev/null /proc/config.gz && exec {}",
        exe.display()
    );
    let out = Command::new("unshare")
        .args(["-m", "sh", "-c", &script])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    for line in [
        "open_hz 0",
        "open_bpf_syscall 0",
        "load -3",
        "load_error kconfig: CONFIG_HZ needs /boot/config-$(uname -r) or /proc/config.gz, and neither can be read",
    ] {
        assert!(has_line(&text, line), "missing {line:?} in:\n{text}");
    }
}

/// A driver for many.lskel.h: the perf event array's `max_entries` after `__open`, then
/// (optionally overridden) what the kernel created.
const PERF_SIZE_DRIVER: &str = r#"#include "many.lskel.h"

struct map_info { uint32_t type, id, key_size, value_size, max_entries, map_flags; };

int main(int argc, char **argv)
{
	struct many *skel = many__open();
	struct map_info info;
	struct { uint32_t fd, len; uint64_t info; } attr;

	if (!skel)
		return 1;
	printf("open %u\n", skel->maps.events.max_entries);
	if (argc > 1)
		skel->maps.events.max_entries = (uint32_t)atoi(argv[1]);
	if (many__load(skel)) {
		printf("load failed: %s\n", skel->err_step);
		return 1;
	}
	memset(&info, 0, sizeof(info));
	memset(&attr, 0, sizeof(attr));
	attr.fd = (uint32_t)skel->maps.events.map_fd;
	attr.len = sizeof(info);
	attr.info = skelgen_ptr(&info);
	if (syscall(__NR_bpf, 15 /* BPF_OBJ_GET_INFO_BY_FD */, &attr, sizeof(attr)))
		return 1;
	printf("kernel %u\n", info.max_entries);
	many__destroy(skel);
	return 0;
}
"#;

/// A perf event array compiled with `max_entries` 0 gets the number of possible CPUs at
/// `__open`, where the user can still change it before `__load`.
#[test]
fn perf_event_array_is_sized_at_open() {
    if !root() || !have("gcc") {
        return;
    }
    let text = std::fs::read_to_string("/sys/devices/system/cpu/possible").unwrap();
    let cpus: u32 = text
        .trim()
        .split(',')
        .map(|r| match r.split_once('-') {
            Some((a, b)) => b.parse::<u32>().unwrap() - a.parse::<u32>().unwrap() + 1,
            None => 1,
        })
        .sum();
    let dir = scratch("perf-size");
    std::fs::write(dir.join("many.lskel.h"), header("many")).unwrap();
    let exe = build_driver(&dir, "perf_size", PERF_SIZE_DRIVER);
    let out = run_ok(&mut Command::new(&exe));
    assert!(has_line(&out, &format!("open {cpus}")), "{out}");
    assert!(has_line(&out, &format!("kernel {cpus}")), "{out}");
    let out = run_ok(Command::new(&exe).arg("3"));
    assert!(has_line(&out, "kernel 3"), "{out}");
}

fn release() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn cli_lang_c_writes_the_header() {
    let exe = Path::new(env!("CARGO_BIN_EXE_skelgen"));
    let obj = support::minimal();
    let out = Command::new(exe)
        .args(["--lang", "c"])
        .arg(&obj)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), header("minimal"));
    let out = Command::new(exe)
        .args(["--emit", "skeleton"])
        .arg(&obj)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--lang"));
    let options = skelgen::Options {
        lang: vec![skelgen::Lang::C.into()],
        ..Default::default()
    };
    assert_eq!(options.effective_emit(), skelgen::Emit::Skeleton);
    assert_eq!(options.to_args(), ["--emit", "summary", "--lang", "c"]);
}
