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

fn header_named(object: &str, name: &str) -> String {
    let path = Path::new(ROOT).join(format!("examples/bpf/{object}.bpf.o"));
    let data = std::fs::read(&path).unwrap();
    let options = skelgen::Options {
        lang: Some(skelgen::Lang::C),
        name: Some(name.into()),
        ..Default::default()
    };
    let out = skelgen::generate(&data, "x.bpf.o", &options).unwrap();
    String::from_utf8(out).unwrap()
}

/// Several skeletons in one translation unit share the runtime and the types they have in
/// common (two copies of minimal define struct sample once); a user's own definition of a
/// type replaces the header's and is checked by its assertions.
#[test]
fn headers_share_a_unit_and_user_types() {
    if !have("gcc") || !have("g++") {
        return;
    }
    let dir = scratch("two");
    for (object, name) in [
        ("minimal", "first"),
        ("minimal", "second"),
        ("ksyms", "ksyms"),
    ] {
        std::fs::write(
            dir.join(format!("{name}.lskel.h")),
            header_named(object, name),
        )
        .unwrap();
    }
    let two = dir.join("two.c");
    std::fs::write(
        &two,
        "#include \"first.lskel.h\"\n#include \"second.lskel.h\"\n#include \"ksyms.lskel.h\"\n\
         int main(void)\n{\n\tstruct first *a = first__open();\n\tstruct second *b = second__open();\n\n\
         \tif (a && b)\n\t\tb->data->init_sample = a->data->init_sample;\n\
         \tfirst__destroy(a);\n\tsecond__destroy(b);\n\tksyms__destroy(ksyms__open());\n\treturn 0;\n}\n",
    )
    .unwrap();
    let own = dir.join("own.c");
    std::fs::write(
        &own,
        "#include <linux/types.h>\n\
         struct sample {\n\t__u8 kind;\n\t__u32 flags : 3;\n\t__u32 level : 5;\n\
         \tunion {\n\t\t__u64 as_u64;\n\t\tstruct {\n\t\t\t__u32 lo;\n\t\t\t__u32 hi;\n\t\t};\n\
         \t\t__u8 bytes[8];\n\t};\n\t__u16 tail;\n};\n\
         #define SKELGEN_DEFINED_struct_sample\n#include \"first.lskel.h\"\n\
         int main(void)\n{\n\tstruct sample s;\n\tstruct first *a = first__open();\n\n\tmemset(&s, 0, sizeof(s));\n\
         \tif (a)\n\t\ta->data->init_sample = s;\n\tfirst__destroy(a);\n\treturn 0;\n}\n",
    )
    .unwrap();
    // Scalar typedefs are not defined, so a user's differing ones do not clash.
    let foreign = dir.join("foreign.c");
    std::fs::write(
        &foreign,
        "#include <stdint.h>\ntypedef unsigned long __u64;\ntypedef uint64_t u64;\n\
         #include \"first.lskel.h\"\nint main(void)\n{\n\tfirst__destroy(first__open());\n\treturn 0;\n}\n",
    )
    .unwrap();
    for src in [&two, &own, &foreign] {
        for (cc, args) in &STRICT_BUILDS[..2] {
            run_ok(Command::new(cc).args(*args).arg("-fsyntax-only").arg(src));
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
    let dir = scratch(dir);
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

fn release() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .unwrap()
        .trim()
        .to_string()
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
    for name in ["probes", "minimal", "iterators", "ksyms"] {
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
             echo \"== iterators\"; ./iterators\necho \"== ksyms\"; ./ksyms nokfuncs\n",
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
    for name in ["probes_kernel", "minimal", "iterators"] {
        expect_lines(&out, name, &[]);
    }
    // .kconfig in the VM comes from /boot/config-$(uname -r).
    let release = kernel
        .file_name()
        .unwrap()
        .to_string_lossy()
        .replace("vmlinuz-", "");
    let config = std::fs::read_to_string(format!("/boot/config-{release}")).unwrap_or_default();
    let hz = config.lines().find_map(|l| l.strip_prefix("CONFIG_HZ="));
    let vars = [
        ("hz", hz.unwrap_or("?").to_string()),
        ("version", version_code(&release).to_string()),
    ];
    expect_lines(&out, "ksyms_nokfuncs", &vars);
    assert!(
        !out.contains("check failed") && !out.contains("_ok 0"),
        "{out}"
    );
    assert_eq!(out.lines().filter(|l| *l == "ok").count(), 4, "{out}");
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
        lang: Some(skelgen::Lang::C),
        ..Default::default()
    };
    assert_eq!(options.effective_emit(), skelgen::Emit::Skeleton);
    assert_eq!(options.to_args(), ["--emit", "summary", "--lang", "c"]);
}
