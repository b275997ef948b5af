//! The Rust light skeleton: a snapshot of the minimal example's module, the embedded loader
//! checked against `--emit blob`, determinism, every example's module compiled under
//! `#![deny(warnings)]` in edition 2024 (the read-only `.rodata` of a loaded skeleton
//! checked by a build that must fail), and the consumer crate examples/rust: its tests
//! (end to end on the host kernel, as root) and `cargo clippy -D warnings`.
//!
//! Bless the snapshot after a deliberate change with
//! `INSTA_UPDATE=always cargo test --test rust_skeleton` and read the diff.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::example_names as examples;
use support::examples::object;
use support::rust::{cargo, have_cargo_tool, rust_module, scratch, scratch_crate};
use support::{run, run_ok, ROOT};

fn emit(name: &str, options: &skelgen::Options) -> Vec<u8> {
    skelgen::generate(&object(name), &format!("{name}.bpf.o"), options)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn module(name: &str) -> String {
    rust_module(&object(name), &format!("{name}.bpf.o"))
}

/// The module with its embedded bytes (the byte strings of the loader and of the data
/// images) cut to `b"..."` with a count of their lines: the loader compiler has its own
/// snapshots, this one is about the Rust around them.
fn without_loader_bytes(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(at) = line.find("b\"\\x") else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        let mut n = 1;
        let mut last = line;
        while last.ends_with('\\') {
            last = lines.next().unwrap_or("");
            n += 1;
        }
        let rest = &last[last.rfind('"').map_or(last.len(), |q| q + 1)..];
        out.push_str(&format!("{}b\"...\"{rest} /* {n} lines */\n", &line[..at]));
    }
    out
}

/// The modules of minimal (the common parts) and tcpca (struct_ops).
#[test]
fn module_snapshots() {
    let s = support::snapshot_settings();
    for name in ["minimal", "tcpca"] {
        let text = without_loader_bytes(&module(name));
        s.bind(|| insta::assert_snapshot!(format!("{name}.skel.rs"), text));
    }
}

#[test]
fn output_is_deterministic() {
    for name in examples() {
        assert_eq!(module(&name), module(&name), "{name}");
    }
}

/// The first comment names the skelgen and loader ABI versions.
#[test]
fn the_first_comment_names_the_versions() {
    let text = module("minimal");
    let first = text.lines().next().unwrap();
    assert!(first.starts_with("// "), "{first}");
    assert!(
        first.contains(&format!("skelgen {}", env!("CARGO_PKG_VERSION"))),
        "{first}"
    );
    let abi = skelgen::loader::plan::LOADER_ABI_VERSION;
    assert!(first.contains(&format!("loader ABI {abi}")), "{first}");
}

/// A byte string field of the `LOADER` static of a module.
fn loader_field(file: &syn::File, field: &str) -> Vec<u8> {
    let syn::Item::Mod(m) = &file.items[0] else {
        panic!("the file is not one module");
    };
    let items = &m.content.as_ref().expect("an inline module").1;
    let loader = items
        .iter()
        .find_map(|i| match i {
            syn::Item::Static(s) if s.ident == "LOADER" => Some(s),
            _ => None,
        })
        .expect("a LOADER static");
    let syn::Expr::Struct(init) = &*loader.expr else {
        panic!("LOADER is not a struct literal");
    };
    let value = init
        .fields
        .iter()
        .find(|f| matches!(&f.member, syn::Member::Named(n) if n == field))
        .unwrap_or_else(|| panic!("no field {field}"));
    match &value.expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::ByteStr(b),
            ..
        }) => b.value(),
        _ => panic!("{field} is not a byte string"),
    }
}

#[test]
fn every_module_embeds_exactly_the_emitted_blob() {
    for name in examples() {
        let file = syn::parse_file(&module(&name)).unwrap();
        let blob = emit(
            &name,
            &skelgen::Options {
                emit: skelgen::Emit::Blob,
                ..Default::default()
            },
        );
        assert_eq!(loader_field(&file, "data"), blob, "{name}: data");
        let spec = skelgen::parse_object(&object(&name), &name).unwrap();
        let compiled = skelgen::loader::compile(&spec).unwrap();
        assert_eq!(
            loader_field(&file, "insns"),
            compiled.insns,
            "{name}: insns"
        );
    }
}

#[test]
fn cli_lang_rust_writes_the_module() {
    let exe = Path::new(env!("CARGO_BIN_EXE_skelgen"));
    let obj = support::minimal();
    let (ok, _) = run(Command::new(exe).args(["--lang", "rust"]).arg(&obj));
    assert!(ok);
    let out = Command::new(exe)
        .args(["--lang", "rust"])
        .arg(&obj)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), module("minimal"));
}

/// A crate of edition 2024 (whose lints are the strictest) holding every example's module,
/// with `lib.rs` made of `lib`; checked with clippy (rustc alone where clippy is missing),
/// returns whether it compiled and the messages.
fn check_in_edition_2024(lib: &str) -> (bool, String) {
    let dir = scratch_crate("skeletons-2024", "2024");
    for name in examples() {
        std::fs::write(dir.join(format!("src/{name}.skel.rs")), module(&name)).unwrap();
    }
    for (name, text) in degenerate_modules() {
        std::fs::write(dir.join(format!("src/{name}.skel.rs")), text).unwrap();
    }
    std::fs::write(dir.join("src/lib.rs"), lib).unwrap();
    let tool = if have_cargo_tool("clippy") {
        "clippy"
    } else {
        "check"
    };
    run(cargo()
        .arg(tool)
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(scratch("edition2024-target")))
}

/// Modules of minimal.bpf.o without its maps, without its programs, or without either, and
/// of tcpca.bpf.o without its struct_ops maps (programs with no structure): empty structs,
/// arrays and patterns must still compile cleanly.
fn degenerate_modules() -> Vec<(&'static str, String)> {
    let mut tcpca = skelgen::parse_object(&object("tcpca"), "sopsprogs.bpf.o").unwrap();
    tcpca.maps.retain(|m| m.struct_ops.is_none());
    let blob = skelgen::loader::compile(&tcpca).unwrap();
    let sopsprogs = skelgen::backend::render(skelgen::Lang::Rust, &tcpca, &blob).unwrap();
    let spec = skelgen::parse_object(&object("minimal"), "minimal.bpf.o").unwrap();
    [
        ("nomaps", false, true),
        ("noprogs", true, false),
        ("empty", false, false),
    ]
    .into_iter()
    .map(|(name, maps, progs)| {
        let mut s = spec.clone();
        s.name = name.into();
        if !maps {
            s.maps.clear();
            for p in &mut s.programs {
                p.relocations.clear();
            }
        }
        if !progs {
            s.programs.clear();
        }
        let blob = skelgen::loader::compile(&s).unwrap();
        let text = skelgen::backend::render(skelgen::Lang::Rust, &s, &blob).unwrap();
        (name, text)
    })
    .chain([("sopsprogs", sopsprogs)])
    .collect()
}

fn includes() -> String {
    let mut names = examples();
    names.extend(["nomaps", "noprogs", "empty", "sopsprogs"].map(String::from));
    names
        .iter()
        .map(|n| format!("include!(\"{n}.skel.rs\");\n"))
        .collect()
}

#[test]
fn every_module_compiles_under_deny_warnings_and_rodata_is_read_only_after_load() {
    let (ok, text) = check_in_edition_2024(&format!("#![deny(warnings)]\n{}", includes()));
    assert!(ok, "{text}");
    // The loaded skeleton has no writable view of .rodata; the open one has.
    let lib = format!(
        "#![deny(warnings)]\n{}\npub fn before(open: &mut minimal::OpenMinimal) {{\n\
         \topen.rodata_mut().count_step = 2;\n}}\n\
         pub fn after(skel: &mut minimal::Minimal) {{\n\tskel.rodata_mut().count_step = 2;\n}}\n",
        includes()
    );
    let (ok, text) = check_in_edition_2024(&lib);
    assert!(!ok, "writing .rodata after load compiled:\n{text}");
    let errors: Vec<&str> = text.lines().filter(|l| l.starts_with("error")).collect();
    assert!(
        errors[0].contains("no method named `rodata_mut` found"),
        "{text}"
    );
    assert_eq!(
        errors.len(),
        2,
        "only the write after load may fail:\n{text}"
    );
}

/// The consumer crate's own target directory, under target/.
fn examples_target() -> PathBuf {
    Path::new(ROOT).join("target/rust-examples")
}

fn examples_manifest() -> PathBuf {
    Path::new(ROOT).join("examples/rust/Cargo.toml")
}

#[test]
fn examples_crate_tests_pass() {
    let text = run_ok(
        cargo()
            .arg("test")
            .arg("--manifest-path")
            .arg(examples_manifest())
            .arg("--target-dir")
            .arg(examples_target()),
    );
    let passed: usize = text
        .lines()
        .filter_map(|l| l.strip_prefix("test result: ok. "))
        .filter_map(|l| l.split(' ').next()?.parse::<usize>().ok())
        .sum();
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        assert!(passed >= 10, "only {passed} example tests ran:\n{text}");
    } else {
        eprintln!("the example tests skipped their kernel runs (not root)");
    }
}

#[test]
fn examples_crate_is_clippy_clean() {
    if !have_cargo_tool("clippy") {
        return;
    }
    run_ok(
        cargo()
            .arg("clippy")
            .arg("--manifest-path")
            .arg(examples_manifest())
            .arg("--target-dir")
            .arg(examples_target())
            .args(["--all-targets", "--", "-D", "warnings"]),
    );
}

/// The runtime is spliced into the module as the crate runtime/rust has it, eight columns
/// in: the crate is formatted by rustfmt for 92 columns, so the runtime of every example's
/// module (whichever parts it has: buffers, .kconfig, struct_ops) reads as rustfmt would
/// write it.
#[test]
fn runtimes_are_rustfmt_formatted() {
    if !Command::new("rustfmt")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        eprintln!("skipping: rustfmt is not installed");
        return;
    }
    for name in examples() {
        let text = module(&name);
        let rust: String = text
            .lines()
            .skip_while(|l| *l != "    mod runtime {")
            .skip(1)
            .take_while(|l| *l != "    }")
            .map(|l| format!("{}\n", l.strip_prefix("        ").unwrap_or(l)))
            .collect();
        assert!(rust.lines().count() > 100, "{name}: no runtime module");
        let mut child = Command::new("rustfmt")
            .args([
                "--edition",
                "2021",
                "--config",
                "max_width=92",
                "--emit",
                "stdout",
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write as _;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(rust.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{name}: the runtime is not valid Rust"
        );
        let formatted = String::from_utf8(out.stdout).unwrap();
        if let Some((i, (want, got))) = formatted
            .lines()
            .zip(rust.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b)
        {
            panic!(
                "{name}: the runtime is not rustfmt-formatted (max_width 92), line {}:\n\
                 rustfmt: {want}\nmodule:  {got}",
                i + 1
            );
        }
        assert_eq!(formatted.trim_end(), rust.trim_end(), "{name}");
    }
}
