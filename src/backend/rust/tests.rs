//! Type printing on a hand-built type table with every shape Rust must reproduce, compiled
//! with rustc and run (the layout assertions compare Rust's layout with the IR's, the
//! program checks the accessors); names refused or colliding, reported by owner; the
//! struct_ops tables of tcpca.

use super::types::TypePrinter;
use crate::backend::test_types::*;
use crate::ir::types::{TypeDef, TypeKind};
use crate::ir::{TypeId, TypeTable};
use std::path::Path;
use std::process::Command;

fn int(name: &str, size: u32, signed: bool) -> TypeDef {
    let kind = TypeKind::Int {
        signed,
        is_bool: name == "_Bool",
        is_char: false,
    };
    TypeDef::new(Some(name.into()), size, size.min(16), kind)
}

/// Types 0..=31; 30 is the section.
fn table() -> TypeTable {
    let mut types = common_shapes(int, ["type", "self", "match", "fn"]);
    types.extend([
        named("unused", 0, 1, TypeKind::Void), // 24
        aggregate(
            Some("same"),
            &[],
            4,
            4,
            false,
            vec![field(0, 4, Some("v"), 0)],
        ), // 25
        typedef("same", 25, 4, 4),             // 26
        typedef("alias_t", 25, 4, 4),          // 27
        aggregate(
            Some("sbits"),
            &[],
            4,
            4,
            false,
            vec![bits(0, 1, &[("s", 0, 0, 4)]), pad(1, 3)],
        ), // 28
        named("_Float16", 2, 2, TypeKind::Float), // 29
        aggregate(
            Some(".bss"),
            &[],
            190,
            16,
            false,
            vec![
                field(0, 4, Some("yield"), 0),
                field(4, 1, Some("v_bool"), 4),
                field(5, 1, Some("v_tiny"), 8),
                field(6, 3, Some("v_chars"), 10),
                pad(9, 3),
                field(12, 4, Some("v_color"), 9),
                field(16, 8, Some("v_ptr"), 7),
                field(24, 4, Some("v_float"), 5),
                field(28, 4, Some("dropped.static"), 0),
                field(32, 8, Some("v_double"), 6),
                field(40, 8, Some("v_ll"), 3),
                field(48, 24, Some("v_grid"), 12),
                field(72, 12, Some("v_triple"), 14),
                field(84, 5, Some("v_packed"), 15),
                pad(89, 3),
                field(92, 8, Some("v_type"), 16),
                field(100, 8, Some("v_union"), 17),
                field(108, 12, Some("v_outer"), 19),
                field(120, 8, Some("v_bits"), 21),
                field(128, 16, Some("v_aligned"), 22),
                field(144, 16, Some("v_i128"), 23),
                field(160, 4, Some("v_same"), 26),
                field(164, 4, Some("v_alias"), 27),
                field(168, 4, Some("v_sbits"), 28),
                field(172, 2, Some("v_half"), 29),
                pad(174, 2),
                field(176, 12, Some("v_packed4"), 31),
                pad(188, 2),
            ],
        ), // 30
        aggregate(
            Some("packed4"),
            &[],
            12,
            4,
            false,
            vec![field(0, 4, Some("a"), 2), field(4, 8, Some("b"), 3)],
        ), // 31
    ]);
    TypeTable { types }
}

fn printer(table: &TypeTable) -> TypePrinter<'_> {
    let mut p = TypePrinter::new(table);
    p.reserve("section .bss", "Bss").unwrap();
    p.define_section(TypeId(30), "Bss", ".bss", &|n| n != "dropped.static")
        .unwrap();
    p
}

fn render() -> String {
    let table = table();
    let p = printer(&table);
    super::render_types(&p.defs, &p.aliases).unwrap()
}

#[test]
fn every_shape_is_printed() {
    let text = render();
    for want in [
        "#[repr(C, packed)]\n        #[derive(Clone, Copy)]\n        pub struct packed_s {",
        "pub struct r#type {",
        "pub self_: i32,",
        "pub r#match: u8,",
        "pub union u {",
        "pub fn r#fn(&self) -> [u8; 3] {",
        "pub fn set_fn(&mut self, value: [u8; 3]) {",
        "pub struct outer__inner {",
        "pub union outer__anon1 {",
        "pub fn y(&self) -> i32 {",
        "#[repr(C, align(16))]",
        "#[repr(C, packed(4))]",
        "pub type triple_t = [i32; 3];",
        "pub type alias_t = same;",
        "pub r#yield: i32,",
        "pub v_bool: u8,",
        "pub v_tiny: u8,",
        "pub v_chars: [u8; 3],",
        "pub v_color: u32,",
        "pub v_ptr: u64,",
        "pub v_grid: [[i32; 3]; 2],",
        "pub v_i128: i128,",
        "pub v_same: same,",
        "pub v_half: [u8; 2],",
        "::core::mem::size_of::<Bss>() == 192",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
    assert!(!text.contains("dropped"), "{text}");
    assert!(!text.contains("pub type same"), "{text}");
}

/// A program with the printed types and the runtime's plain-data part, checking the
/// accessors; compiled with every warning an error, so the layout assertions and the
/// generated code's cleanliness are checked too.
const CHECKS: &str = r#"
fn main() {
    use types::*;
    let mut b = bits::default();
    b.set_a(5);
    b.set_b(9);
    b.set_d(0xf_ffff);
    b.set_e(3);
    assert_eq!((b.a(), b.b(), b.d(), b.e()), (5, 9, 0xf_ffff, 3));
    assert_eq!(b.__bf0, [0x25, 0x01]);
    b.set_a(0xff);
    assert_eq!(b.a(), 7, "a setter keeps to its width");
    assert_eq!(b.b(), 9, "and leaves its neighbours alone");
    let mut s = sbits::default();
    s.set_s(-3);
    assert_eq!(s.s(), -3);
    let mut u = u::default();
    u.set_x(0x0102_0304);
    assert_eq!(u.r#fn(), [4, 3, 2]);
    let mut o = outer::default();
    o.set_y(-7);
    assert_eq!(o.y(), -7);
    o.set_f(1.5);
    assert_eq!(o.f(), 1.5);
    o.inner.q = 3;
    assert_eq!(o.inner.q, 3);
    let mut bss = Bss::default();
    bss.r#yield = 1;
    bss.v_type.self_ = 2;
    bss.v_packed.b = 0x0a0b_0c0d;
    let b = bss.v_packed.b;
    assert_eq!(b, 0x0a0b_0c0d);
    assert_eq!(::core::mem::align_of::<Bss>(), 16);
    println!("types ok");
}
"#;

#[test]
fn printed_layouts_match_the_ir_and_accessors_work() {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    if !Command::new(&rustc)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        eprintln!("skipping: rustc is not available");
        return;
    }
    let dir = std::env::temp_dir().join(format!("skelgen-rust-types-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let runtime = include_str!("../../../runtime/rust/src/runtime/plain.rs");
    let src = format!(
        "#![deny(warnings)]\n#![allow(dead_code, non_camel_case_types, non_snake_case)]\n\
         pub use runtime::Plain;\nmod runtime {{\n{runtime}}}\n{}\n{CHECKS}",
        render()
    );
    let file = dir.join("types.rs");
    std::fs::write(&file, &src).unwrap();
    let exe = dir.join("types");
    for edition in ["2021", "2024"] {
        let out = Command::new(&rustc)
            .args(["--edition", edition, "-o"])
            .arg(&exe)
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "rustc --edition {edition}: {}\n{src}",
            String::from_utf8_lossy(&out.stderr)
        );
        let run = Command::new(&exe).output().unwrap();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&run.stdout), "types ok\n");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// examples/bpf/`name`.bpf.o and its loader.
fn example(name: &str) -> (crate::ObjectSpec, crate::loader::Blob) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("examples/bpf/{name}.bpf.o"));
    let spec = crate::parse_object(&std::fs::read(path).unwrap(), name).unwrap();
    let blob = crate::loader::compile(&spec).unwrap();
    (spec, blob)
}

fn minimal() -> (crate::ObjectSpec, crate::loader::Blob) {
    example("minimal")
}

fn render_err(spec: &crate::ObjectSpec, blob: &crate::loader::Blob) -> String {
    crate::backend::render(crate::Lang::Rust, spec, blob)
        .unwrap_err()
        .to_string()
}

#[test]
fn names_that_cannot_be_identifiers_are_refused_by_owner() {
    let (spec, blob) = minimal();
    let mut bad = spec.clone();
    bad.maps[0].name = "bad-name".into();
    assert!(render_err(&bad, &blob).starts_with("map \"bad-name\""));
    let mut bad = spec.clone();
    bad.programs[0].name = "9lives".into();
    assert!(render_err(&bad, &blob).starts_with("program \"9lives\""));
    let mut bad = spec.clone();
    let bss = bad.maps.iter_mut().find(|m| m.name == ".bss").unwrap();
    bss.data.as_mut().unwrap().variables[0].name = "a.b".into();
    assert!(render_err(&bad, &blob).starts_with("variable in .bss \"a.b\""));
    for name in ["my-prog", "type", "self"] {
        let mut bad = spec.clone();
        bad.name = name.into();
        assert!(render_err(&bad, &blob).contains("--name"), "{name}");
    }
}

#[test]
fn keywords_are_escaped_in_the_whole_module() {
    let (mut spec, blob) = minimal();
    spec.maps[0].name = "type".into();
    spec.programs[0].name = "self".into();
    let text = crate::backend::render(crate::Lang::Rust, &spec, &blob).unwrap();
    assert!(text.contains("pub r#type: Map,"), "{text}");
    assert!(text.contains("pub self_: Prog,"), "{text}");
    assert!(text.contains("pub fn attach_self(&self)"), "{text}");
}

#[test]
fn collisions_are_reported_with_both_owners() {
    let (spec, blob) = minimal();
    // A map named like a section's field.
    let mut bad = spec.clone();
    bad.maps[0].name = "data_custom".into();
    let err = render_err(&bad, &blob);
    assert!(
        err.contains("map data_custom") && err.contains("map .data.custom"),
        "{err}"
    );
    // An object whose type would be one of the runtime's.
    let mut bad = spec.clone();
    bad.name = "error".into();
    let err = render_err(&bad, &blob);
    assert!(err.contains("\"Error\""), "{err}");
    // A program that needs a target is attached by `attach_<prog>` too: the parameters say
    // what the target is, the name does not repeat its kind (`handle_getpid` made an XDP
    // program, beside a program named `handle_getpid_xdp`).
    let mut xdp = spec;
    let mut other = xdp.programs[0].clone();
    other.name = "handle_getpid_xdp".into();
    crate::lower::programs::set_section(&mut xdp.programs[0], "xdp");
    xdp.programs.push(other);
    let text = crate::backend::render(crate::Lang::Rust, &xdp, &blob).unwrap();
    assert!(text.contains("pub fn attach_handle_getpid(\n"), "{text}");
    assert!(
        text.contains("pub fn attach_handle_getpid_xdp(&self)"),
        "{text}"
    );
}

#[test]
fn struct_ops_tables_follow_the_object() {
    let (spec, blob) = example("tcpca");
    let view = super::view::build(&spec, &blob).unwrap();
    let so = view.struct_ops.unwrap();
    assert_eq!((so.maps.len(), so.progs.len()), (2, 4));
    let link = &so.maps[1];
    assert!(link.link && link.autocreate);
    assert_eq!((link.map_index, link.local.as_str()), (2, "so1"));
    assert_eq!(
        (link.attach.as_str(), link.detach.as_str()),
        ("attach_tcpca_link", "detach_tcpca_link")
    );
    let slots: Vec<&str> = link.members.iter().map(|m| m.slot.as_str()).collect();
    assert_eq!(slots, ["None", "Some(3)", "Some(0)", "Some(2)", "Some(1)"]);
    assert!(!link.members[0].zero);
    let maps: Vec<(&str, bool)> = view.maps.iter().map(|m| (m.ty, m.required)).collect();
    assert_eq!(
        maps,
        [
            ("Map", true),
            ("Option<Map>", false),
            ("Option<Map>", false)
        ]
    );
}

#[test]
fn a_program_whose_attach_method_is_a_struct_ops_maps_is_refused() {
    let (mut spec, _) = example("tcpca");
    // A program named tcpca_link would have attach_tcpca_link, had it an attach method:
    // give one a raw tracepoint section.
    let p = &mut spec.programs[0];
    p.name = "tcpca_link".into();
    crate::lower::programs::set_section(p, "raw_tp/sys_enter");
    let blob = crate::loader::compile(&spec).unwrap();
    match super::render(&spec, &blob) {
        Err(crate::backend::BackendError::NameCollision { ident, .. }) => {
            assert_eq!(ident, "attach_tcpca_link")
        }
        other => panic!("{other:?}"),
    }
}
