//! The Go light skeleton: the skeletons committed in `examples/go` are what skelgen writes
//! today (regenerate them with `SKELGEN_BLESS=1 cargo test --test go_skeleton`), through
//! the library and through their `//go:generate` lines; they are gofmt-clean and vet-clean,
//! build for every little-endian Linux target and with the oldest Go that go.mod names,
//! embed exactly the loader blob `--emit blob` writes, and `go test` of the consumer module
//! runs them on the host kernel (as root).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::example_names as examples;
use support::examples::{generate_bytes, object};
use support::go::{go, go_cmd};
use support::{root, run_ok, ROOT};

/// The oldest Go the skeletons support: the `go` line of examples/go/go.mod (runtime.Pinner
/// came with Go 1.21), and the toolchain the test builds with.
const OLDEST_GO: &str = "go1.21.13";

fn generate(name: &str, options: &skelgen::Options) -> Vec<u8> {
    generate_bytes(&object(name), &format!("{name}.bpf.o"), options)
}

fn skeleton(name: &str) -> String {
    support::examples::skeleton(name, skelgen::Lang::Go)
}

fn committed_path(name: &str) -> PathBuf {
    Path::new(ROOT).join(format!("examples/go/{name}/{name}_skel.go"))
}

fn go_module() -> PathBuf {
    Path::new(ROOT).join("examples/go")
}

#[test]
fn committed_skeletons_are_current() {
    let bless = std::env::var_os("SKELGEN_BLESS").is_some();
    let mut stale = Vec::new();
    for name in examples() {
        let fresh = skeleton(&name);
        let path = committed_path(&name);
        if std::fs::read_to_string(&path).ok().as_deref() == Some(fresh.as_str()) {
            continue;
        }
        if bless {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &fresh).unwrap();
        } else {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale Go skeletons (regenerate with SKELGEN_BLESS=1 cargo test --test go_skeleton): {stale:?}"
    );
}

#[test]
fn output_is_deterministic() {
    for name in examples() {
        assert_eq!(skeleton(&name), skeleton(&name), "{name}");
    }
}

/// The `//go:generate` line of each example package, run by `go generate` with this
/// build's skelgen on PATH, writes what the library writes (and what is committed, which
/// `committed_skeletons_are_current` checks).
#[test]
fn go_generate_writes_the_committed_skeletons() {
    let Some(go) = go() else { return };
    let dir = scratch("generate");
    let exe = Path::new(env!("CARGO_BIN_EXE_skelgen"));
    let path = format!(
        "{}:{}",
        exe.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    std::fs::create_dir_all(dir.join("go")).unwrap();
    std::fs::copy(go_module().join("go.mod"), dir.join("go/go.mod")).unwrap();
    // The generate lines name ../../bpf/NAME.bpf.o.
    std::fs::create_dir_all(dir.join("bpf")).unwrap();
    for name in examples() {
        let pkg = dir.join("go").join(&name);
        std::fs::create_dir_all(&pkg).unwrap();
        let gen = go_module().join(&name).join("gen.go");
        std::fs::copy(&gen, pkg.join("gen.go")).unwrap();
        std::fs::copy(
            support::examples::object_path(&name),
            dir.join(format!("bpf/{name}.bpf.o")),
        )
        .unwrap();
        run_ok(go_cmd(&go, &pkg).args(["generate", "."]).env("PATH", &path));
        let written = std::fs::read_to_string(pkg.join(format!("{name}_skel.go"))).unwrap();
        let committed = std::fs::read_to_string(committed_path(&name)).unwrap();
        assert!(
            written == committed,
            "go generate of {name} differs from the committed skeleton"
        );
    }
}

#[test]
fn module_is_gofmt_clean_and_vet_clean() {
    let Some(go) = go() else { return };
    let gofmt = go.with_file_name("gofmt");
    let out = run_ok(Command::new(&gofmt).arg("-l").arg(go_module()));
    assert!(out.trim().is_empty(), "files gofmt would change:\n{out}");
    run_ok(go_cmd(&go, &go_module()).args(["vet", "./..."]));
}

/// Every skeleton builds for every target its build constraint names (the compile-time
/// layout checks included): the 32-bit ones lay 8-byte fields out differently.
#[test]
fn skeletons_build_for_every_little_endian_target() {
    let Some(go) = go() else { return };
    for arch in [
        "386", "arm", "arm64", "loong64", "mips64le", "mipsle", "ppc64le", "riscv64",
    ] {
        let out = go_cmd(&go, &go_module())
            .args(["build", "./..."])
            .env("GOARCH", arch)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "GOARCH={arch}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// go.mod names the oldest Go the skeletons support; this builds and vets the module with
/// that toolchain, fetched through the Go module proxy when it is missing.
#[test]
fn module_builds_with_the_oldest_supported_go() {
    let Some(go) = go() else { return };
    let gomod = std::fs::read_to_string(go_module().join("go.mod")).unwrap();
    let line = OLDEST_GO
        .trim_start_matches("go")
        .rsplit_once('.')
        .unwrap()
        .0;
    assert!(
        gomod.lines().any(|l| l == format!("go {line}")),
        "go.mod does not name go {line}:\n{gomod}"
    );
    let probe = Command::new(&go)
        .current_dir(go_module())
        .args(["version"])
        .env("GOTOOLCHAIN", OLDEST_GO)
        .output()
        .unwrap();
    let version = String::from_utf8_lossy(&probe.stdout);
    if !probe.status.success() || !version.contains(OLDEST_GO) {
        eprintln!(
            "skipping: {OLDEST_GO} cannot be fetched (GOTOOLCHAIN={OLDEST_GO} go version: {}{})",
            version.trim(),
            String::from_utf8_lossy(&probe.stderr).trim()
        );
        return;
    }
    run_ok(
        Command::new(&go)
            .current_dir(go_module())
            .args(["vet", "./..."])
            .env("GOTOOLCHAIN", OLDEST_GO)
            .env("CGO_ENABLED", "0"),
    );
}

/// The string constant `name` of a generated file, decoded.
fn go_string_const(text: &str, name: &str) -> Vec<u8> {
    let start = format!("const {name} = \"\" +");
    let mut lines = text.lines().skip_while(|l| *l != start).skip(1);
    let mut out = Vec::new();
    for line in lines.by_ref() {
        let body = line.trim().trim_end_matches(" +");
        let body = body.strip_prefix('"').and_then(|b| b.strip_suffix('"'));
        let body = body.unwrap_or_else(|| panic!("{name}: unexpected line {line:?}"));
        for hex in body.split("\\x").skip(1) {
            out.push(u8::from_str_radix(hex, 16).unwrap());
        }
        if !line.ends_with(" +") {
            break;
        }
    }
    assert!(!out.is_empty(), "no constant {name}");
    out
}

#[test]
fn skeletons_embed_the_blob_emit_blob_writes() {
    for name in examples() {
        let blob = generate(
            &name,
            &skelgen::Options {
                emit: skelgen::Emit::Blob,
                ..Default::default()
            },
        );
        let text = std::fs::read_to_string(committed_path(&name)).unwrap();
        let prefix = text
            .lines()
            .find_map(|l| {
                l.strip_prefix("const ")?
                    .strip_suffix("LoaderData = \"\" +")
            })
            .unwrap_or_else(|| panic!("{name}: no loader data"));
        assert!(
            go_string_const(&text, &format!("{prefix}LoaderData")) == blob,
            "{name}: the embedded loader data is not the blob --emit blob writes"
        );
    }
}

/// Several skeletons can share one package (`--go-package`): every package-level name
/// starts with the object's.
#[test]
fn skeletons_share_a_package() {
    let Some(go) = go() else { return };
    let dir = scratch("shared");
    std::fs::write(dir.join("go.mod"), "module shared\n\ngo 1.21\n").unwrap();
    let exe = Path::new(env!("CARGO_BIN_EXE_skelgen"));
    for name in ["minimal", "probes", "many", "ksyms"] {
        run_ok(
            Command::new(exe)
                .args(["--lang", "go", "--go-package", "main"])
                .arg(support::examples::object_path(name))
                .arg("-o")
                .arg(dir.join(format!("{name}_skel.go"))),
        );
    }
    std::fs::write(
        dir.join("main.go"),
        "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tm, err := OpenMinimal()\n\
         \tif err == nil {\n\t\tdefer m.Close()\n\t}\n\tp, err := OpenProbes()\n\
         \tif err == nil {\n\t\tdefer p.Close()\n\t}\n\tfmt.Println(m != nil, p != nil)\n}\n",
    )
    .unwrap();
    run_ok(go_cmd(&go, &dir).args(["vet", "."]));
    run_ok(go_cmd(&go, &dir).args(["build", "-o", "shared", "."]));
}

#[test]
fn bad_go_package_is_refused_and_nothing_is_written() {
    let exe = Path::new(env!("CARGO_BIN_EXE_skelgen"));
    let dir = scratch("bad-package");
    let out_file = dir.join("x.go");
    let out = Command::new(exe)
        .args(["--lang", "go", "--go-package", "type"])
        .arg(support::minimal())
        .arg("-o")
        .arg(&out_file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--go-package") && err.contains("\"type\"") && err.contains("keyword"),
        "{err}"
    );
    assert!(!out_file.exists());
    let options = skelgen::Options {
        lang: vec![skelgen::Lang::Go.into()],
        go_package: Some("skel".into()),
        ..Default::default()
    };
    assert_eq!(
        options.to_args(),
        ["--emit", "summary", "--lang", "go", "--go-package", "skel"]
    );
    let text = String::from_utf8(generate("minimal", &options)).unwrap();
    assert!(text.contains("\npackage skel\n"));
}

/// `go test` of the consumer module: every example's scenarios on the host kernel.
#[test]
fn go_test_runs_the_examples_on_the_host_kernel() {
    let Some(go) = go() else { return };
    if !root() {
        return;
    }
    let out = run_ok(go_cmd(&go, &go_module()).args(["test", "-count=1", "-v", "./..."]));
    for pkg in [
        "core",
        "hooks",
        "iterators",
        "ksyms",
        "ksymvar",
        "many",
        "mapinmap",
        "minimal",
        "net",
        "probes",
        "subprogs",
        "tcpca",
    ] {
        assert!(
            out.lines()
                .any(|l| l.starts_with("ok") && l.contains(&format!("examples/go/{pkg}"))),
            "no passing {pkg}:\n{out}"
        );
    }
    for skip in out.lines().filter(|l| l.contains("--- SKIP")) {
        eprintln!("{skip}");
    }
}

/// The VM part's scripts (run by tests/vm/run.sh in one boot of Linux 6.1) parse.
#[test]
fn vm_part_scripts_parse() {
    for script in ["stage.sh", "guest.sh"] {
        run_ok(
            Command::new("bash")
                .arg("-n")
                .arg(Path::new(ROOT).join("tests/vm/parts/go").join(script)),
        );
    }
}

/// Directory `target/go-skeleton-tests/<what>`, emptied first.
fn scratch(what: &str) -> PathBuf {
    support::env::fresh_scratch("go-skeleton-tests", what)
}
