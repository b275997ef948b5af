//! The kernel-module skeleton on the host: a snapshot of the minimal example's header,
//! determinism, the embedded bytes against `--emit blob` and the C header, and kbuild
//! builds (W=1, no warning) of every example's header against Debian's 6.1 headers.
//! Loading the modules needs Linux 6.1 and module support: `tests/vm/parts/kernel`, run
//! by `scripts/test.sh vm`.
//!
//! Bless the snapshot after a deliberate change with
//! `INSTA_UPDATE=always cargo test --test kernel_skeleton` and read the diff.

mod support;

use std::collections::BTreeSet;

use support::ROOT;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::cmd::assert_struct_ops_refused;
use support::example_names;
use support::examples::{has_struct_ops, object};

/// Every example object, with the name its kernel skeleton gets: `net` is renamed, since
/// `struct net` is the kernel's.
fn examples() -> Vec<(String, String)> {
    let names: Vec<(String, String)> = example_names()
        .into_iter()
        .filter(|obj| !has_struct_ops(obj))
        .map(|obj| {
            let name = if obj == "net" {
                "netskel".into()
            } else {
                obj.clone()
            };
            (obj, name)
        })
        .collect();
    assert!(names.len() >= 10, "examples missing: {names:?}");
    names
}

/// Objects with struct_ops maps are refused: the module runtime does not look up struct_ops
/// types in the kernel yet.
#[test]
fn struct_ops_is_refused_and_nothing_is_written() {
    assert_struct_ops_refused("kernel");
}

fn generate(obj: &str, name: &str, lang: skelgen::Lang) -> Result<String, skelgen::Error> {
    let data = object(obj);
    let options = skelgen::Options {
        name: Some(name.to_string()),
        lang: vec![lang.into()],
        ..Default::default()
    };
    skelgen::generate(&data, &format!("{obj}.bpf.o"), &options)
        .map(|out| String::from_utf8(out).unwrap())
}

fn header(obj: &str, name: &str) -> String {
    generate(obj, name, skelgen::Lang::Kernel).unwrap_or_else(|e| panic!("{obj}: {e}"))
}

/// Directory `target/kernel-skeleton-tests/<what>`, emptied first.
fn scratch(what: &str) -> PathBuf {
    support::env::fresh_scratch("kernel-skeleton-tests", what)
}

/// The build directory of Debian's 6.1 headers, or `None` (with the reason printed).
fn kdir() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/src")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().is_some_and(|n| {
                let n = n.to_string_lossy();
                n.starts_with("linux-headers-6.1") && n.ends_with("-amd64")
            })
        })
        .collect();
    dirs.sort();
    let dir = dirs.pop();
    if dir.is_none() {
        eprintln!(
            "skipping: no /usr/src/linux-headers-6.1*-amd64 (scripts/install-deps.sh installs \
             linux-headers-amd64)"
        );
    }
    dir
}

/// Builds the modules `sources` (file name, text) with kbuild in `dir`, W=1; returns
/// kbuild's output, which must hold no warning.
fn kbuild(dir: &Path, kdir: &Path, sources: &[(String, String)]) -> String {
    let mut objs = Vec::new();
    for (file, text) in sources {
        std::fs::write(dir.join(file), text).unwrap();
        if let Some(stem) = file.strip_suffix(".c") {
            objs.push(format!("{stem}.o"));
        }
    }
    std::fs::write(dir.join("Kbuild"), format!("obj-m := {}\n", objs.join(" "))).unwrap();
    let out = Command::new("make")
        .arg("-C")
        .arg(kdir)
        .arg(format!("M={}", dir.display()))
        .args(["W=1", "modules"])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "kbuild failed:\n{text}");
    assert!(!text.contains("warning:"), "kbuild warned:\n{text}");
    text
}

/// A module source that includes `header` twice and calls every function it declares.
fn module_using(name: &str, header: &str) -> String {
    let targeted: Vec<String> = header
        .lines()
        .filter_map(|l| l.strip_prefix("static inline int "))
        .filter_map(|l| l.split_once('(').map(|(f, _)| f.to_string()))
        .filter(|f| f.contains("__attach_"))
        .collect();
    let mut calls = String::new();
    for f in &targeted {
        let args = if f.ends_with("_xdp") {
            ", 1, 0"
        } else if f.ends_with("_raw_tp") {
            ", \"sys_enter\""
        } else {
            panic!("no arguments known for {f}")
        };
        calls.push_str(&format!("\t\terr = err ?: {f}(skel{args});\n"));
    }
    format!(
        "// SPDX-License-Identifier: GPL-2.0-only OR MIT\n\
         #include <linux/module.h>\n\
         #include \"{name}.kern.lskel.h\"\n\
         #include \"{name}.kern.lskel.h\"\n\n\
         static int __init use_init(void)\n{{\n\
         \tstruct {name} *skel = {name}__open();\n\
         \tint err = -ENOMEM;\n\n\
         \tif (skel) {{\n\
         \t\terr = {name}__load(skel);\n\
         \t\terr = err ?: {name}__attach(skel);\n\
         {calls}\
         \t\t{name}__detach(skel);\n\
         \t\terr = err ?: {name}__close_fds(skel);\n\
         \t}}\n\
         \t{name}__destroy(skel);\n\
         \t{name}__destroy({name}__open_and_load());\n\
         \treturn err;\n}}\n\n\
         static void __exit use_exit(void)\n{{\n}}\n\n\
         module_init(use_init);\nmodule_exit(use_exit);\nMODULE_LICENSE(\"Dual MIT/GPL\");\n"
    )
}

#[test]
fn minimal_header_snapshot() {
    let s = support::snapshot_settings();
    let text = without_loader_bytes(&header("minimal", "minimal"));
    s.bind(|| insta::assert_snapshot!("minimal.kern.lskel.h", text));
}

/// The header with the loader's two byte arrays replaced by a count: the loader compiler
/// has its own snapshots.
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
    for (obj, name) in examples() {
        assert_eq!(header(&obj, &name), header(&obj, &name), "{obj}");
    }
}

/// The bytes of the array `static const u8 <array>[N] ...` in `text`.
fn embedded(text: &str, array: &str) -> Vec<u8> {
    let decl = text
        .lines()
        .find(|l| l.starts_with("\tstatic const ") && l.contains(&format!(" {array}[")))
        .unwrap_or_else(|| panic!("no array {array}"));
    let body = &text[text.find(decl).unwrap()..];
    let body = &body[body.find('{').unwrap() + 1..body.find("};").unwrap()];
    body.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| u8::from_str_radix(t.trim_start_matches("0x"), 16).unwrap())
        .collect()
}

/// The kernel header embeds the blob `--emit blob` writes, and the same loader program and
/// blob as the C header.
#[test]
fn embedded_bytes_are_the_blob() {
    let exe = Path::new(env!("CARGO_BIN_EXE_skelgen"));
    for (obj, name) in examples() {
        let kernel = header(&obj, &name);
        let blob = Command::new(exe)
            .args(["--emit", "blob", "--name", &name])
            .arg(support::examples::object_path(&obj))
            .output()
            .unwrap();
        assert!(blob.status.success(), "{obj}");
        assert_eq!(embedded(&kernel, "data"), blob.stdout, "{obj}: data");
        let c = generate(&obj, &name, skelgen::Lang::C).unwrap();
        assert_eq!(
            embedded(&kernel, "insns"),
            embedded(&c, "insns"),
            "{obj}: insns"
        );
        assert_eq!(
            embedded(&kernel, "data"),
            embedded(&c, "data"),
            "{obj}: data"
        );
    }
}

/// Every example's header, included twice in a module that calls every function it has,
/// and all of them in one module, build with kbuild and W=1 without a warning.
#[test]
fn every_header_builds_with_kbuild_w1() {
    let Some(kdir) = kdir() else { return };
    let dir = scratch("kbuild");
    let mut sources = Vec::new();
    let mut all = String::from(
        "// SPDX-License-Identifier: GPL-2.0-only OR MIT\n#include <linux/module.h>\n",
    );
    for (obj, name) in examples() {
        let h = header(&obj, &name);
        sources.push((format!("use_{name}.c"), module_using(&name, &h)));
        sources.push((format!("{name}.kern.lskel.h"), h));
        all.push_str(&format!("#include \"{name}.kern.lskel.h\"\n"));
    }
    all.push_str("MODULE_LICENSE(\"Dual MIT/GPL\");\n");
    sources.push(("all_headers.c".into(), all));
    kbuild(&dir, &kdir, &sources);
    for (_, name) in examples() {
        assert!(dir.join(format!("use_{name}.ko")).exists(), "{name}");
    }
}

/// The names the kernel header escapes or refuses are what the kernel headers say they
/// are: each listed macro is a macro where the skeleton is included (kbuild), each listed
/// struct tag is defined by a kernel header (where the skeleton's includes only declare
/// it, defining it would complete the kernel's type with the skeleton's layout).
#[test]
fn reserved_names_match_the_kernel_headers() {
    let Some(kdir) = kdir() else { return };
    let dir = scratch("names");
    let mut text = String::from(
        "// SPDX-License-Identifier: GPL-2.0-only OR MIT\n#include <linux/module.h>\n\
         #include \"minimal.kern.lskel.h\"\n",
    );
    for m in skelgen::backend::c::names::KERNEL_MACROS {
        text.push_str(&format!("#ifndef {m}\n#error {m} is not a macro\n#endif\n"));
    }
    text.push_str("MODULE_LICENSE(\"Dual MIT/GPL\");\n");
    kbuild(
        &dir,
        &kdir,
        &[
            ("minimal.kern.lskel.h".into(), header("minimal", "minimal")),
            ("names.c".into(), text),
        ],
    );
}

/// The list of tags an object name must not take (`KERNEL_TAGS`) is what Debian's 6.1
/// headers say: every tag a module including the skeleton sees (kbuild's preprocessor output,
/// less the tags the skeleton defines itself) and every tag defined at the start of a line in
/// `include/linux/*.h`. `SKELGEN_BLESS=1` writes the list.
#[test]
fn kernel_tags_match_the_kernel_headers() {
    let Some(kdir) = kdir() else { return };
    let dir = scratch("tags");
    let skel = header("minimal", "minimal");
    std::fs::write(dir.join("minimal.kern.lskel.h"), &skel).unwrap();
    let module = "// SPDX-License-Identifier: GPL-2.0-only OR MIT\n#include <linux/module.h>\n\
                  #include \"minimal.kern.lskel.h\"\nMODULE_LICENSE(\"Dual MIT/GPL\");\n";
    std::fs::write(dir.join("tags.c"), module).unwrap();
    std::fs::write(dir.join("Kbuild"), "obj-m := tags.o\n").unwrap();
    support::run_ok(
        Command::new("make")
            .arg("-C")
            .arg(&kdir)
            .arg(format!("M={}", dir.display()))
            .arg("tags.i"),
    );
    let seen = std::fs::read_to_string(dir.join("tags.i")).unwrap();
    let own: BTreeSet<String> = tags(&skel).filter(|t| t.1).map(|t| t.0).collect();
    let mut want: BTreeSet<String> = tags(&seen).map(|t| t.0).collect();
    want.retain(|t| !own.contains(t));
    let common = PathBuf::from(kdir.to_string_lossy().replace("-amd64", "-common"));
    for entry in std::fs::read_dir(common.join("include/linux")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "h") {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let starts = |l: &&str| {
                ["struct ", "union ", "enum "]
                    .iter()
                    .any(|k| l.starts_with(k))
            };
            for line in text.lines().filter(starts) {
                want.extend(tags(line).take(1).filter(|t| t.1).map(|t| t.0));
            }
        }
    }
    assert!(
        want.contains("kprobe") && want.contains("net"),
        "{} tags",
        want.len()
    );
    let list: String = want.iter().map(|t| format!("{t}\n")).collect();
    let path = Path::new(ROOT).join("src/backend/kernel/tags.txt");
    if std::env::var_os("SKELGEN_BLESS").is_some() {
        // The list is compiled in: the next build checks what this run wrote.
        std::fs::write(&path, &list).unwrap();
        return;
    }
    let have = skelgen::backend::kernel::names::KERNEL_TAGS;
    let missing: Vec<&String> = want
        .iter()
        .filter(|t| !have.lines().any(|l| l == *t))
        .take(20)
        .collect();
    let extra: Vec<&str> = have
        .lines()
        .filter(|l| !want.contains(*l))
        .take(20)
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "src/backend/kernel/tags.txt is stale (SKELGEN_BLESS=1 cargo test --test \
         kernel_skeleton kernel_tags): missing {missing:?}, not in the headers {extra:?}"
    );
}

/// Each `struct|union|enum NAME` in C `text`, with whether `{` follows (a definition).
fn tags(text: &str) -> impl Iterator<Item = (String, bool)> + '_ {
    let words: Vec<(usize, &str)> = text
        .match_indices(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .scan(0, |start, (at, sep)| {
            let word = (*start, &text[*start..at]);
            *start = at + sep.len();
            Some(word)
        })
        .filter(|(_, w)| !w.is_empty())
        .collect();
    let pairs: Vec<(String, bool)> = words
        .windows(2)
        .filter(|w| matches!(w[0].1, "struct" | "union" | "enum"))
        .filter(|w| !w[1].1.starts_with(|c: char| c.is_ascii_digit()))
        .filter(|w| !w[1].1.starts_with("__attribute"))
        .filter(|w| {
            text[w[0].0..w[1].0]
                .trim_start_matches(w[0].1)
                .trim()
                .is_empty()
        })
        .map(|w| {
            let after = text[w[1].0 + w[1].1.len()..].trim_start();
            (w[1].1.to_string(), after.starts_with('{'))
        })
        .collect();
    pairs.into_iter()
}

#[test]
fn cli_lang_kernel_writes_the_header() {
    let exe = Path::new(env!("CARGO_BIN_EXE_skelgen"));
    let obj = support::minimal();
    let out = Command::new(exe)
        .args(["--lang", "kernel"])
        .arg(&obj)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        header("minimal", "minimal")
    );
    assert_eq!(
        skelgen::Lang::Kernel.file_name("minimal"),
        "minimal.kern.lskel.h"
    );
}

/// An object named like a kernel struct is refused with an error that says what to do,
/// and nothing is written.
#[test]
fn kernel_struct_names_are_refused() {
    let exe = Path::new(env!("CARGO_BIN_EXE_skelgen"));
    let dir = scratch("refused");
    let target = dir.join("net.kern.lskel.h");
    let out = Command::new(exe)
        .args(["--lang", "kernel", "-o"])
        .arg(&target)
        .arg(Path::new(ROOT).join("examples/bpf/net.bpf.o"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("net.bpf.o") && err.contains("struct net") && err.contains("--name"),
        "{err}"
    );
    assert!(!target.exists());
    // <linux/kprobes.h>, which a module may include next to the skeleton, defines
    // struct kprobe.
    let out = Command::new(exe)
        .args(["--lang", "kernel", "--name", "kprobe"])
        .arg(support::minimal())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("struct kprobe;"),
        "{err}"
    );
}
