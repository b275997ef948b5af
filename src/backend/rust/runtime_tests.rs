//! The splicer against the crate `runtime/rust`: every part used, none missing, the
//! spliced module valid Rust for every feature set, and every number the runtime defines
//! equal to skelgen's own (`src/uapi.rs`, the loader context).

use super::*;
use crate::btf::BtfKind;
use crate::loader::{ctx, plan};
use crate::uapi::{self, AttachType, Cmd, MapType, ProgType};
use std::collections::BTreeMap;
use std::path::Path;

const FEATURES: [Feature; 4] = [
    Feature::Buffers,
    Feature::StructOps,
    Feature::Kconfig,
    Feature::Uprobe,
];

fn crate_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/runtime/rust"))
}

/// Every subset of the features, as a predicate.
fn feature_sets() -> impl Iterator<Item = impl Fn(Feature) -> bool> {
    (0..1u32 << FEATURES.len()).map(|bits| {
        move |f: Feature| bits & (1 << FEATURES.iter().position(|&g| g == f).unwrap()) != 0
    })
}

#[test]
fn parts_are_the_crates_files() {
    let mut files: Vec<String> = std::fs::read_dir(crate_dir().join("src/runtime"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|f| f.ends_with(".rs") && f != "mod.rs" && f != "fuzzing.rs")
        .collect();
    files.sort();
    let mut parts: Vec<String> = PARTS.iter().map(|p| p.file.to_string()).collect();
    parts.sort();
    assert_eq!(files, parts, "runtime/rust/src/runtime/ and PARTS differ");
    for p in PARTS {
        let on_disk = std::fs::read_to_string(crate_dir().join("src/runtime").join(p.file));
        assert_eq!(
            on_disk.unwrap(),
            p.text,
            "{} is stale in the binary",
            p.file
        );
    }
}

#[test]
fn features_are_the_crates() {
    let manifest = std::fs::read_to_string(crate_dir().join("Cargo.toml")).unwrap();
    let names: Vec<String> = FEATURES
        .iter()
        .map(|f| format!("\"{}\"", f.name()))
        .collect();
    assert!(
        manifest.contains(&format!("default = [{}]", names.join(", "))),
        "the crate's default features are not every optional part"
    );
    for f in FEATURES {
        assert!(
            manifest.contains(&format!("\n{} = []\n", f.name())),
            "{f:?}"
        );
        assert!(
            PARTS.iter().any(|p| p.feature == Some(f)),
            "{f:?} selects nothing"
        );
    }
}

#[test]
fn every_feature_set_splices_valid_rust() {
    for wanted in feature_sets() {
        let module = module(&wanted).unwrap();
        for p in PARTS {
            let first = p.text.lines().find(|l| !l.is_empty()).unwrap();
            let carried = module.contains(&format!("\n        {first}\n"));
            assert_eq!(carried, p.feature.is_none_or(&wanted), "{}", p.file);
        }
        for crate_only in ["include!", "#[cfg(feature", "mod tests", "mod fuzzing"] {
            assert!(
                !module.contains(crate_only),
                "{crate_only} reached a skeleton"
            );
        }
        assert!(module.starts_with("    mod runtime {\n        //! "));
        assert!(module.ends_with("\n        }\n    }\n"));
        assert!(!module.contains("\n\n\n"), "two blank lines in a row");
        let file = format!("pub mod skel {{\n{module}}}\n");
        syn::parse_file(&file).unwrap();
    }
}

#[test]
fn abi_version_is_the_loaders() {
    let consts = runtime_consts();
    assert_eq!(consts["ABI_VERSION"], u128::from(plan::LOADER_ABI_VERSION));
    let doc = format!("runtime for loader ABI {}:", plan::LOADER_ABI_VERSION);
    assert!(ROOT.contains(&doc), "the runtime's doc names another ABI");
}

/// The numbers the runtime may define, by the name it gives them.
fn kernel_numbers() -> BTreeMap<String, u128> {
    let mut known = BTreeMap::new();
    let mut add = |name: &str, value: u128| {
        known.insert(name.to_string(), value);
    };
    for raw in 0..64 {
        if let Some(c) = Cmd::from_raw(raw) {
            add(c.c_name(), c.raw().into());
        }
        if let Some(t) = MapType::from_raw(raw) {
            add(t.c_name(), t.raw().into());
        }
        if let Some(t) = ProgType::from_raw(raw) {
            add(t.c_name(), t.raw().into());
        }
        if let Some(t) = AttachType::from_raw(raw) {
            add(t.c_name(), t.raw().into());
        }
    }
    for (name, value) in [
        ("BPF_F_SLEEPABLE", uapi::BPF_F_SLEEPABLE.into()),
        ("BPF_ANY", uapi::BPF_ANY.into()),
        ("BPF_NOEXIST", uapi::BPF_NOEXIST.into()),
        ("BPF_EXIST", uapi::BPF_EXIST.into()),
        ("BPF_RINGBUF_BUSY_BIT", uapi::BPF_RINGBUF_BUSY_BIT.into()),
        (
            "BPF_RINGBUF_DISCARD_BIT",
            uapi::BPF_RINGBUF_DISCARD_BIT.into(),
        ),
        ("BPF_RINGBUF_HDR_SZ", uapi::BPF_RINGBUF_HDR_SZ.into()),
        ("BTF_MAGIC", uapi::BTF_MAGIC.into()),
        ("PERF_TYPE_SOFTWARE", uapi::PERF_TYPE_SOFTWARE.into()),
        ("PERF_TYPE_TRACEPOINT", uapi::PERF_TYPE_TRACEPOINT.into()),
        (
            "PERF_COUNT_SW_BPF_OUTPUT",
            uapi::PERF_COUNT_SW_BPF_OUTPUT.into(),
        ),
        ("PERF_SAMPLE_RAW", uapi::PERF_SAMPLE_RAW.into()),
        ("PERF_RECORD_LOST", uapi::PERF_RECORD_LOST.into()),
        ("PERF_RECORD_SAMPLE", uapi::PERF_RECORD_SAMPLE.into()),
        ("PERF_FLAG_FD_CLOEXEC", uapi::PERF_FLAG_FD_CLOEXEC.into()),
        ("PERF_EVENT_IOC_ENABLE", uapi::PERF_EVENT_IOC_ENABLE.into()),
        (
            "PERF_EVENT_IOC_SET_BPF",
            uapi::PERF_EVENT_IOC_SET_BPF.into(),
        ),
        ("CTX_HEADER", ctx::HEADER_SIZE.into()),
        ("MAP_DESC", ctx::MAP_DESC_SIZE.into()),
        ("PROG_DESC", ctx::PROG_DESC_SIZE.into()),
        ("ABI_VERSION", plan::LOADER_ABI_VERSION.into()),
    ] {
        add(name, value);
    }
    // One size serves both kinds of struct_ops descriptor in the runtime.
    assert_eq!(
        ctx::STRUCT_OPS_MAP_DESC_SIZE,
        ctx::STRUCT_OPS_PROG_DESC_SIZE
    );
    add("STRUCT_OPS_DESC", ctx::STRUCT_OPS_MAP_DESC_SIZE.into());
    for kind in (1..=u8::MAX).filter_map(BtfKind::from_u8) {
        let name = format!("{kind:?}");
        let mut upper = String::new();
        for (i, c) in name.chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                upper.push('_');
            }
            upper.push(c.to_ascii_uppercase());
        }
        add(&format!("BTF_KIND_{upper}"), u128::from(kind as u8));
    }
    known
}

/// The runtime's own constants, which are no kernel number: limits (the verifier log's
/// largest size among them) and RFC 1951 tables
/// (the crate's inflate tests decode streams that use every one of them), and the
/// architecture's ioctl encoding, from which the `PERF_EVENT_IOC_*` numbers are made.
const OWN: &[&str] = &[
    // The ELF format's (elf.h), checked by the symbol reader's own tests, and the
    // multiarch directory names.
    "ELF_SHDR_SIZE",
    "ELF_PHDR_SIZE",
    "ELF_SYM_SIZE",
    "SHT_SYMTAB",
    "SHT_NOBITS",
    "SHT_DYNSYM",
    "PT_LOAD",
    "STT_FUNC",
    "STT_GNU_IFUNC",
    "MULTIARCH",
    "INFLATE_MAX",
    "LEN_BASE",
    "LEN_EXTRA",
    "DIST_BASE",
    "DIST_EXTRA",
    "CODE_LENGTH_ORDER",
    "CRC32_TABLE",
    "BTF_MAX_DEPTH",
    "BTF_PTR_SIZE",
    "BTF_VMLINUX",
    "STRUCT_OPS_VALUE_MAX",
    "LOG_MAX",
    "LOG_START",
    "IOC",
];

#[test]
fn every_number_is_skelgens() {
    let known = kernel_numbers();
    let consts = runtime_consts();
    for (name, value) in &consts {
        if OWN.contains(&name.as_str()) {
            continue;
        }
        let Some(&expected) = known.get(name) else {
            panic!("the runtime's {name} is no number skelgen knows: add it to src/uapi.rs");
        };
        assert_eq!(*value, expected, "the runtime's {name}");
    }
    for name in OWN {
        let defined = PARTS
            .iter()
            .any(|p| p.text.contains(&format!("const {name}: ")));
        assert!(
            defined,
            "{name} is no longer in the runtime: drop it from OWN"
        );
    }
}

#[test]
fn perf_ioctls_on_every_architecture() {
    // The runtime's ioctl numbers with the other direction encoding (mips, powerpc,
    // sparc64: _IOC_NONE 1, _IOC_WRITE 4, shifted by 29) are the generic ones with their
    // direction bits (0 and 1 at bit 30) moved.
    let other = runtime_consts_for(true);
    let generic_dir = |v: u32| v >> 30;
    let moved = |v: u32| {
        let dir = match generic_dir(v) {
            0 => 1,
            1 => 4,
            d => panic!("direction {d}"),
        };
        (v & !(3 << 30)) | (dir << 29)
    };
    assert_eq!(
        other["PERF_EVENT_IOC_ENABLE"],
        u128::from(moved(uapi::PERF_EVENT_IOC_ENABLE))
    );
    assert_eq!(
        other["PERF_EVENT_IOC_SET_BPF"],
        u128::from(moved(uapi::PERF_EVENT_IOC_SET_BPF))
    );
}

/// Every integer constant of the runtime (for the generic architecture), by name; those of
/// an `impl` get `BPF_` before theirs (`Map::ANY` is `BPF_ANY`).
fn runtime_consts() -> BTreeMap<String, u128> {
    runtime_consts_for(false)
}

/// As [`runtime_consts`], with `if cfg!(...)` true when `other_arch` (the only `cfg!` the
/// runtime's constants test is for the architectures with another ioctl encoding).
fn runtime_consts_for(other_arch: bool) -> BTreeMap<String, u128> {
    let mut out = BTreeMap::new();
    for p in PARTS {
        let file = syn::parse_file(p.text).unwrap_or_else(|e| panic!("{}: {e}", p.file));
        let mut env: BTreeMap<String, Value> = BTreeMap::new();
        for item in &file.items {
            match item {
                syn::Item::Const(c) => {
                    if c.ident == "_" {
                        continue;
                    }
                    assert!(
                        c.attrs.iter().all(|a| !a.path().is_ident("cfg")),
                        "{}",
                        c.ident
                    );
                    let name = c.ident.to_string();
                    if let Some(v) = eval(&c.expr, &env, other_arch) {
                        if let Value::Int(n) = v {
                            out.insert(name.clone(), n);
                        }
                        env.insert(name, v);
                    } else if !OWN.contains(&name.as_str()) {
                        panic!("{}: cannot read the value of {name}", p.file);
                    }
                }
                syn::Item::Impl(imp) => {
                    for it in &imp.items {
                        if let syn::ImplItem::Const(c) = it {
                            let v = eval(&c.expr, &env, other_arch);
                            let Some(Value::Int(n)) = v else {
                                panic!("{}: cannot read {}", p.file, c.ident);
                            };
                            out.insert(format!("BPF_{}", c.ident), n);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// A constant's value, as far as the runtime's constants need.
#[derive(Debug, Clone)]
enum Value {
    Int(u128),
    Tuple(Vec<u128>),
}

fn eval(expr: &syn::Expr, env: &BTreeMap<String, Value>, other_arch: bool) -> Option<Value> {
    use syn::{BinOp, Expr, Lit};
    let int = |e: &Expr| match eval(e, env, other_arch)? {
        Value::Int(n) => Some(n),
        Value::Tuple(_) => None,
    };
    Some(Value::Int(match expr {
        Expr::Lit(l) => match &l.lit {
            Lit::Int(i) => i.base10_parse().ok()?,
            _ => return None,
        },
        Expr::Paren(p) => return eval(&p.expr, env, other_arch),
        Expr::Cast(c) => return eval(&c.expr, env, other_arch),
        Expr::If(i) => {
            let Expr::Macro(m) = &*i.cond else {
                return None;
            };
            assert!(m.mac.path.is_ident("cfg"), "only `if cfg!(...)`");
            let branch = match (&i.else_branch, other_arch) {
                (Some((_, e)), false) => e,
                _ => return block_value(&i.then_branch, env, other_arch),
            };
            return match &**branch {
                Expr::Block(b) => block_value(&b.block, env, other_arch),
                _ => None,
            };
        }
        Expr::Path(p) => return env.get(&p.path.get_ident()?.to_string()).cloned(),
        Expr::Tuple(t) => {
            return Some(Value::Tuple(
                t.elems.iter().map(int).collect::<Option<_>>()?,
            ));
        }
        Expr::Field(f) => {
            let Value::Tuple(items) = eval(&f.base, env, other_arch)? else {
                return None;
            };
            let syn::Member::Unnamed(i) = &f.member else {
                return None;
            };
            *items.get(i.index as usize)?
        }
        Expr::Binary(b) => {
            let (l, r) = (int(&b.left)?, int(&b.right)?);
            match b.op {
                BinOp::Shl(_) => l.checked_shl(u32::try_from(r).ok()?)?,
                BinOp::BitOr(_) => l | r,
                BinOp::BitAnd(_) => l & r,
                BinOp::Add(_) => l + r,
                BinOp::Mul(_) => l * r,
                _ => return None,
            }
        }
        _ => return None,
    }))
}

/// The value of a block that is one expression.
fn block_value(
    block: &syn::Block,
    env: &BTreeMap<String, Value>,
    other_arch: bool,
) -> Option<Value> {
    match block.stmts.as_slice() {
        [syn::Stmt::Expr(e, None)] => eval(e, env, other_arch),
        _ => None,
    }
}
