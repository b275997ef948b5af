//! The C light skeleton: a snapshot of the minimal example's header, strict gcc and g++
//! builds of every example's header, and end-to-end runs of the C examples on the host
//! kernel (as root). The C checks that need Linux 6.1 (kprobes, BPF trampolines, LSM) run
//! in the VM: `tests/vm/parts/c`, run by `scripts/test.sh vm`.
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
        lang: vec![skelgen::Lang::C.into()],
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

/// The strict builds every header must pass: C11 and C++17, with gcc and (when installed)
/// clang, and C11 with gcc's conversion and prototype warnings.
const STRICT_BUILDS: &[(&str, &[&str])] = &[
    (
        "gcc",
        &["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic"],
    ),
    (
        "g++",
        &["-std=c++17", "-Wall", "-Wextra", "-Werror", "-x", "c++"],
    ),
    (
        "clang-19",
        &["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic"],
    ),
    (
        "clang-19",
        &["-std=c++17", "-Wall", "-Wextra", "-Werror", "-x", "c++"],
    ),
];

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
    run_ok(&mut Command::new(build(name, name)))
}

/// Generates the header of `name`, builds examples/c/`name`.c against it in scratch
/// directory `dir`; returns the executable.
fn build(name: &str, dir: &str) -> PathBuf {
    build_with(&scratch(dir), name, &header(name))
}

/// Builds examples/c/`name`.c in `dir` against `header` (written as `name`.lskel.h).
fn build_with(dir: &Path, name: &str, header: &str) -> PathBuf {
    std::fs::write(dir.join(format!("{name}.lskel.h")), header).unwrap();
    let exe = dir.join(name);
    run_ok(
        Command::new("gcc")
            .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-I"])
            .arg(dir)
            .arg("-o")
            .arg(&exe)
            .arg(Path::new(ROOT).join(format!("examples/c/{name}.c"))),
    );
    exe
}

fn has_line(out: &str, line: &str) -> bool {
    out.lines().any(|l| l == line)
}

/// Checks that `out` has every line of examples/c/`name`.expected, with each `{key}`
/// replaced by its value from `vars`.
fn expect_lines(out: &str, name: &str, vars: &[(&str, String)]) {
    let path = Path::new(ROOT).join(format!("examples/c/{name}.expected"));
    let expected = std::fs::read_to_string(&path).unwrap();
    for line in expected.lines() {
        let mut line = line.to_string();
        for (key, value) in vars {
            line = line.replace(&format!("{{{key}}}"), value);
        }
        assert!(has_line(out, &line), "missing {line:?} in:\n{out}");
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
    std::fs::write(dir.join("perf_size.c"), PERF_SIZE_DRIVER).unwrap();
    let exe = dir.join("perf_size");
    run_ok(
        Command::new("gcc")
            .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-I"])
            .arg(&dir)
            .arg("-o")
            .arg(&exe)
            .arg(dir.join("perf_size.c")),
    );
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
    let obj = Path::new(ROOT).join("examples/bpf/minimal.bpf.o");
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

/// tcpca.bpf.o with every occurrence of `from` replaced by `to` (same length).
fn patched_tcpca(from: &str, to: &str) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let mut data = std::fs::read(Path::new(ROOT).join("examples/bpf/tcpca.bpf.o")).unwrap();
    let mut found = 0;
    let mut i = 0;
    while i + from.len() <= data.len() {
        if &data[i..i + from.len()] == from.as_bytes() {
            data[i..i + from.len()].copy_from_slice(to.as_bytes());
            found += 1;
        }
        i += 1;
    }
    assert!(found > 0, "{from} not in tcpca.bpf.o");
    data
}

/// tcpca.bpf.o with the relocations that set member `init` (offset 24) moved to
/// `ssthresh` (offset 40), which a later relocation sets to tcpca_ssthresh: no structure
/// names tcpca_init any more.
fn tcpca_without_init() -> Vec<u8> {
    let mut data = std::fs::read(Path::new(ROOT).join("examples/bpf/tcpca.bpf.o")).unwrap();
    let elf = skelgen::elf::ElfFile::parse(&data).unwrap();
    let rels: Vec<(usize, usize)> = elf
        .sections()
        .iter()
        .filter(|s| s.name.starts_with(".rel.struct_ops"))
        .map(|s| (s.file_offset as usize, s.size as usize))
        .collect();
    drop(elf);
    let mut moved = 0;
    for (start, size) in rels {
        for at in (start..start + size).step_by(16) {
            if data[at..at + 8] == 24u64.to_le_bytes() {
                data[at..at + 8].copy_from_slice(&40u64.to_le_bytes());
                moved += 1;
            }
        }
    }
    assert_eq!(moved, 2, "the init relocations of both maps");
    data
}

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
        let options = skelgen::Options {
            lang: vec![skelgen::Lang::C.into()],
            ..Default::default()
        };
        let header = skelgen::generate(&data, "tcpca.bpf.o", &options).unwrap();
        let dir = scratch(&format!("tcpca-{to}"));
        std::fs::write(dir.join("tcpca.lskel.h"), header).unwrap();
        std::fs::copy(
            Path::new(ROOT).join("examples/c/check.h"),
            dir.join("check.h"),
        )
        .unwrap();
        std::fs::write(dir.join("driver.c"), STRUCT_OPS_FAIL_DRIVER).unwrap();
        let exe = dir.join("driver");
        run_ok(
            Command::new("gcc")
                .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-I"])
                .arg(&dir)
                .arg("-o")
                .arg(&exe)
                .arg(dir.join("driver.c")),
        );
        let out = run_ok(&mut Command::new(&exe));
        for want in [load, step, "step_index -1", "no_fds 1", "fds_leaked 0"] {
            assert!(has_line(&out, want), "{to}: missing {want:?} in:\n{out}");
        }
    }
}
