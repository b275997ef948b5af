//! The runtime files against the list that splices them, the prefix rewrite against every
//! placeholder in them, and their constants against the generator's UAPI numbers.

use super::super::prefix::{self, Kind, Segment, EXPORTED, UNEXPORTED};
use super::*;
use crate::btf::BtfKind;
use crate::uapi::{self, AttachType, Cmd, MapType, ProgType};
use std::collections::BTreeSet;
use std::path::Path;

fn dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/runtime/go"))
}

/// Every Go file of the package that is not a test: the spliced ones and the stand-in.
fn package_files() -> BTreeSet<String> {
    std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|f| f.ends_with(".go") && !f.ends_with("_test.go"))
        .collect()
}

#[test]
fn every_file_is_spliced_or_stands_in() {
    let mut listed: BTreeSet<String> = SOURCES.iter().map(|s| s.file.to_string()).collect();
    assert_eq!(listed.len(), SOURCES.len(), "a file is listed twice");
    assert!(
        listed.insert(STAND_IN.to_string()),
        "the stand-in is spliced"
    );
    assert_eq!(listed, package_files());
    for s in SOURCES {
        let on_disk = std::fs::read_to_string(dir().join(s.file)).unwrap();
        assert_eq!(on_disk, s.text, "{}: rebuild", s.file);
    }
}

#[test]
fn every_file_splits_and_rewrites() {
    let all = prepared().unwrap();
    for (p, s) in all.iter().zip(SOURCES) {
        let mut back = String::new();
        prefix::rewrite(p.body, &p.segments, EXPORTED, UNEXPORTED, &mut back);
        assert_eq!(back, p.body, "{}: the identity rewrite changes it", s.file);
        assert!(
            p.body.starts_with("\n// "),
            "{}: body starts {:?}",
            s.file,
            &p.body[..20]
        );
        let mut sorted = p.imports.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, p.imports, "{}: imports not sorted", s.file);
    }
}

/// The names the top level of `src` declares: after `func` (not a method), `type`, `var`
/// and `const`, and each line's first names in their groups.
fn top_level_names(src: &str) -> Vec<String> {
    // Comments and blanks dropped; newlines kept, since a group declares one line at a time.
    let toks: Vec<(Kind, &str)> = prefix::tokens(src)
        .into_iter()
        .map(|t| (t.kind, &src[t.start..t.end]))
        .filter(|(k, t)| *k == Kind::Newline || (*k != Kind::Comment && !t.trim().is_empty()))
        .collect();
    let text = |i: usize| toks.get(i).map_or("", |t| t.1);
    let (mut depth, mut group, mut out) = (0i32, false, Vec::new());
    for (i, &(kind, t)) in toks.iter().enumerate() {
        let line_start = i == 0 || toks[i - 1].0 == Kind::Newline;
        match t {
            "(" | "{" | "[" => depth += 1,
            ")" | "}" | "]" => {
                depth -= 1;
                group = group && depth > 0;
            }
            "func" | "type" | "var" | "const" if depth == 0 => {
                if text(i + 1) == "(" {
                    group = t != "func";
                } else {
                    out.push(text(i + 1).to_string());
                }
            }
            _ if group && depth == 1 && line_start && kind == Kind::Ident => {
                out.push(t.to_string());
                // `a, b = ...` declares b too.
                let mut j = i + 1;
                while text(j) == "," {
                    out.push(text(j + 1).to_string());
                    j += 2;
                }
            }
            _ => {}
        }
    }
    out
}

#[test]
fn every_package_level_name_carries_the_placeholder() {
    for file in package_files() {
        let src = std::fs::read_to_string(dir().join(&file)).unwrap();
        let names = top_level_names(&src);
        assert!(!names.is_empty(), "{file}: no declarations found");
        for n in names {
            assert!(
                n == "_" || n.starts_with(EXPORTED) || n.starts_with(UNEXPORTED),
                "{file}: package-level {n} lacks the prefix {UNEXPORTED}/{EXPORTED}"
            );
        }
    }
}

#[test]
fn top_level_names_are_found() {
    let src = "package p\n\nconst (\n\tskelgenRtA = iota // a\n\tskelgenRtB\n)\n\n\
               func (x *T) m() {}\n\nfunc f() {\n\tvar local int\n}\n\n\
               type T struct {\n\tfield int\n}\n\nvar (\n\t_ = 1\n\ta, b = 1, 2\n)\n";
    assert_eq!(
        top_level_names(src),
        ["skelgenRtA", "skelgenRtB", "f", "T", "_", "a", "b"]
    );
}

#[test]
fn the_rewrite_renames_identifiers_and_comment_words() {
    let src = "// SkelgenRtMap is a map; skelgenRtLoad loads.\nfunc skelgenRtLoad(m *SkelgenRtMap) { x.skelgenRtY = 1 }\n";
    let segments = prefix::segments(src).unwrap();
    let mut out = String::new();
    prefix::rewrite(src, &segments, "Minimal", "minimal", &mut out);
    assert_eq!(
        out,
        "// MinimalMap is a map; minimalLoad loads.\nfunc minimalLoad(m *MinimalMap) { x.minimalY = 1 }\n"
    );
    assert!(segments.iter().any(|s| matches!(s, Segment::Text(..))));
}

#[test]
fn the_rewrite_refuses_placeholders_it_cannot_rename() {
    for (src, what) in [
        ("x := \"skelgenRtLoad\"\n", "a literal"),
        ("x := `SkelgenRt`\n", "a literal"),
        ("x := 'skelgenRt'\n", "a literal"),
        ("var fooSkelgenRtBar int\n", "an identifier"),
        ("var skelgenRtskelgenRt int\n", "an identifier"),
        ("// see xskelgenRtLoad\n", "a comment word"),
        ("/* a\nb_SkelgenRtMap */\n", "a comment word"),
    ] {
        let err = prefix::segments(src).unwrap_err();
        assert_eq!(err.what, what, "{src}");
        assert!(err.to_string().contains("placeholder"), "{err}");
    }
    // A literal only looks like one when the tokens are read right: an escaped quote
    // does not end a string, and a comment marker inside a string starts no comment.
    assert!(prefix::segments("x := \"\\\" skelgenRt\"\n").is_err());
    assert!(prefix::segments("x := \"// skelgenRt\"\n").is_err());
    assert!(prefix::segments("x := \"a\" + skelgenRtB\n").is_ok());
}

/// The last path element of every package the runtime can import.
fn package_names() -> Vec<(&'static str, &'static str)> {
    let all = Features {
        bitfields: true,
        kconfig: true,
        buffers: true,
        struct_ops: true,
        uprobe: true,
    };
    let mut out: Vec<_> = prepared()
        .unwrap()
        .iter()
        .filter(|p| p.need.met_by(&all))
        .flat_map(|p| p.imports.iter().copied())
        .map(|i| (i.rsplit('/').next().unwrap(), i))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The per-object templates use only packages that the core of the runtime imports, so the
/// runtime's import list is the skeleton's.
#[test]
fn templates_use_only_what_the_core_imports() {
    let core = imports(&Features::default()).unwrap();
    for (file, text) in super::super::TEMPLATES {
        let toks = prefix::tokens(text);
        for w in toks.windows(2) {
            let (word, next) = (&text[w[0].start..w[0].end], &text[w[1].start..w[1].end]);
            if w[0].kind != Kind::Ident || next != "." {
                continue;
            }
            if let Some((_, path)) = package_names().into_iter().find(|(n, _)| *n == word) {
                assert!(core.iter().any(|c| c == path), "{file} uses {path}");
            }
        }
    }
}

#[test]
fn imports_follow_the_features() {
    let core = imports(&Features::default()).unwrap();
    assert!(core.contains(&"syscall".to_string()) && !core.contains(&"time".to_string()));
    let buffers = imports(&Features {
        buffers: true,
        ..Features::default()
    })
    .unwrap();
    assert!(buffers.contains(&"sync/atomic".to_string()));
    let kconfig = imports(&Features {
        kconfig: true,
        ..Features::default()
    })
    .unwrap();
    assert!(kconfig.contains(&"compress/gzip".to_string()));
}

/// A constant of the runtime and its value, as written.
fn constants(src: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut in_group = false;
    let mut last = String::new();
    let mut index = 0;
    for line in src.lines() {
        let code = line.split("//").next().unwrap().trim();
        if line == "const (" {
            (in_group, last, index) = (true, String::new(), 0);
            continue;
        }
        if in_group && line == ")" {
            in_group = false;
            continue;
        }
        let decl = if in_group && line.starts_with('\t') && !line.starts_with("\t\t") {
            code
        } else if let Some(d) = line.strip_prefix("const ") {
            d.trim()
        } else {
            continue;
        };
        if decl.is_empty() {
            continue;
        }
        let (name, value) = match decl.split_once('=') {
            Some((n, v)) => {
                last = v.trim().to_string();
                (n.trim(), last.clone())
            }
            None => (decl, last.clone()),
        };
        out.push((name.to_string(), value.replace("iota", &index.to_string())));
        index += 1;
    }
    out
}

/// The value of a constant expression of the runtime: a number, `a + b`, or `a << b`.
fn eval(expr: &str) -> Option<u64> {
    if let Some((a, b)) = expr.split_once(" + ") {
        return Some(eval(a)? + eval(b)?);
    }
    if let Some((a, b)) = expr.split_once(" << ") {
        return Some(eval(a)? << eval(b)?);
    }
    match expr.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => expr.parse().ok(),
    }
}

/// Every UAPI number the generator knows, named as the runtime names them after its
/// prefix (`CmdMapCreate`, `MapTypeArray`, `AttachPerfEvent`, `BTFKindInt`).
fn uapi_numbers() -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for r in 0..=64u32 {
        let v = u64::from(r);
        out.extend(Cmd::from_raw(r).map(|c| (format!("Cmd{c:?}"), v)));
        out.extend(MapType::from_raw(r).map(|c| (format!("MapType{c:?}"), v)));
        out.extend(AttachType::from_raw(r).map(|c| (format!("Attach{c:?}"), v)));
        out.extend(
            u8::try_from(r)
                .ok()
                .and_then(BtfKind::from_u8)
                .map(|k| (format!("BTFKind{k:?}"), v)),
        );
    }
    out.extend(
        [
            ("ProgTypeSyscall", u64::from(ProgType::Syscall.raw())),
            ("FSleepable", u64::from(uapi::BPF_F_SLEEPABLE)),
            ("BTFMagic", u64::from(uapi::BTF_MAGIC)),
            ("RingBusy", u64::from(uapi::BPF_RINGBUF_BUSY_BIT)),
            ("RingDiscard", u64::from(uapi::BPF_RINGBUF_DISCARD_BIT)),
            ("RingHeader", u64::from(uapi::BPF_RINGBUF_HDR_SZ)),
            ("PerfRecordLost", u64::from(uapi::PERF_RECORD_LOST)),
            ("PerfRecordSample", u64::from(uapi::PERF_RECORD_SAMPLE)),
        ]
        .map(|(n, v)| (n.to_string(), v)),
    );
    out
}

/// What the generator says the runtime's constant `name` is.
fn uapi_value(name: &str) -> Option<u64> {
    let rest = name.strip_prefix(UNEXPORTED)?;
    uapi_numbers()
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(rest))
        .map(|(_, v)| v)
}

/// Constants that are skelgen's own choices or kernel facts outside the UAPI headers.
const NOT_UAPI: &[&str] = &[
    "BTFMaxDepth",       // libbpf's limit on typedef and modifier chains
    "BTFPtrSize",        // the loader supports 64-bit kernels only
    "BTFVmlinux",        // where the kernel publishes its BTF
    "StructOpsPrefix",   // the kernel's name for a struct_ops value type
    "StructOpsMaxValue", // a bound on a corrupt file's sizes
];

#[test]
fn every_constant_is_the_generators_number() {
    let mut checked = 0;
    for s in SOURCES {
        for (name, value) in constants(s.text) {
            let rest = name.strip_prefix(UNEXPORTED).unwrap_or(&name);
            // ELF numbers are the ELF format's (elf.h), checked by the reader's own tests.
            if NOT_UAPI.contains(&rest) || rest.starts_with("Kconfig") || rest.starts_with("ELF") {
                // Kconfig kinds are named by the generator (`kind_name`), so their numbers
                // are the runtime's own.
                continue;
            }
            let want = uapi_value(&name)
                .unwrap_or_else(|| panic!("{}: {name} is neither a UAPI number the generator knows nor listed as skelgen's own", s.file));
            assert_eq!(eval(&value), Some(want), "{}: {name} = {value}", s.file);
            checked += 1;
        }
    }
    assert!(checked >= 40, "only {checked} constants found");
}
