//! Type printing on a hand-built type table with every shape C must reproduce, checked by
//! compiling the definitions (their static assertions compare C's layout with the IR's).

use super::types::TypePrinter;
use crate::backend::test_types::*;
use crate::ir::types::{TypeDef, TypeKind};
use crate::ir::{TypeId, TypeTable};
use std::process::Command;

fn int(name: &str, size: u32, signed: bool) -> TypeDef {
    let kind = TypeKind::Int {
        signed,
        is_bool: name == "_Bool",
        is_char: name == "char",
    };
    TypeDef::new(Some(name.into()), size, size.min(16), kind)
}

/// Types 0..=24; 24 is the section.
fn table() -> TypeTable {
    let mut types = common_shapes(int, ["new", "delete", "this", "c"]);
    types.extend([
        aggregate(
            Some(".bss"),
            &[],
            160,
            16,
            false,
            vec![
                field(0, 4, Some("class"), 0),
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
                field(92, 8, Some("v_new"), 16),
                field(100, 8, Some("v_union"), 17),
                field(108, 12, Some("v_outer"), 19),
                field(120, 8, Some("v_bits"), 21),
                field(128, 16, Some("v_aligned"), 22),
                field(144, 16, Some("v_i128"), 23),
            ],
        ), // 24
    ]);
    TypeTable { types }
}

fn render() -> String {
    let table = table();
    let mut p = TypePrinter::new(&table, "t");
    p.define_as(TypeId(24), "t__bss", &|n| n != "dropped.static")
        .unwrap();
    let mut out = String::from(
        "#include <stddef.h>\n#include <stdint.h>\n#ifdef __cplusplus\n\
         #define SKELGEN_STATIC_ASSERT(c, m) static_assert(c, m)\n#define SKELGEN_BOOL bool\n\
         #else\n#define SKELGEN_STATIC_ASSERT(c, m) _Static_assert(c, m)\n#define SKELGEN_BOOL _Bool\n#endif\n",
    );
    for def in &p.defs {
        for l in &def.lines {
            out.push_str(l);
            out.push('\n');
        }
        for a in &def.asserts {
            out.push_str(&format!(
                "SKELGEN_STATIC_ASSERT({}, \"{}\");\n",
                a.cond, a.msg
            ));
        }
    }
    out
}

#[test]
fn every_shape_is_printed() {
    let text = render();
    for want in [
        "struct __attribute__((__packed__)) packed_s {",
        "struct new_ {",
        "\tint delete_;",
        "\tunsigned char this_;",
        "struct t__outer__inner {",
        "\tstruct t__outer__inner inner;",
        "\tunion {",
        "\tunsigned int : 2;",
        "\t__extension__ unsigned char e : 4;",
        "struct __attribute__((__aligned__(16))) aligned16 {",
        "\t__extension__ __int128 v_i128;",
        "\tuint8_t v_tiny;",
        "\tuint32_t v_color;",
        "\tuint64_t v_ptr;",
        "typedef int triple_t[3];",
        "\tint v_grid[2][3];",
        "\tint class_;",
        "\tSKELGEN_BOOL v_bool;",
        "sizeof(struct t__bss) == 160",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
    assert!(!text.contains("dropped"), "{text}");
}

#[test]
fn printed_layouts_match_the_ir_in_c_and_cpp() {
    let ok = |c: &str| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !ok("gcc") || !ok("g++") {
        eprintln!("skipping: gcc and g++ are needed");
        return;
    }
    let dir = std::env::temp_dir().join(format!("skelgen-c-types-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("types.c");
    std::fs::write(&src, render()).unwrap();
    for (cc, args) in [
        (
            "gcc",
            &["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic"][..],
        ),
        (
            "g++",
            &["-std=c++17", "-Wall", "-Wextra", "-Werror", "-x", "c++"][..],
        ),
    ] {
        let out = Command::new(cc)
            .args(args)
            .args(["-fsyntax-only"])
            .arg(&src)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{cc}: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            render()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The C runtime's structs and constants are written out in runtime/c/skelgen_runtime.h;
/// this fails when the loader ABI they follow changes, so the runtime is updated with it.
#[test]
fn runtime_follows_the_loader_abi() {
    use crate::loader::{compile, ctx, plan};
    assert_eq!(
        plan::LOADER_ABI_VERSION,
        2,
        "update the C runtime to the new loader ABI"
    );
    assert_eq!(ctx::HEADER_SIZE, 48);
    let header = [
        (ctx::SZ, 0),
        (ctx::ABI_VERSION, 4),
        (ctx::FLAGS, 8),
        (ctx::NR_MAPS, 12),
        (ctx::NR_PROGS, 16),
        (ctx::LOG_LEVEL, 20),
        (ctx::LOG_SIZE, 24),
        (ctx::LOG_BUF, 32),
        (ctx::FAILED_STEP, 40),
        (ctx::ERROR, 44),
    ];
    for (have, want) in header {
        assert_eq!(have, want);
    }
    assert_eq!(
        (ctx::MAP_DESC_SIZE, ctx::MAP_FD, ctx::MAP_MAX_ENTRIES),
        (24, 0, 4)
    );
    assert_eq!((ctx::MAP_VALUE_SIZE, ctx::MAP_INITIAL_VALUE), (8, 16));
    assert_eq!(ctx::MAP_BTF_VMLINUX_VALUE_TYPE_ID, 12);
    assert_eq!(
        (ctx::STRUCT_OPS_MAP_DESC_SIZE, ctx::STRUCT_OPS_AUTOCREATE),
        (8, 0)
    );
    assert_eq!(
        (
            ctx::STRUCT_OPS_PROG_DESC_SIZE,
            ctx::STRUCT_OPS_ATTACH_BTF_ID,
            ctx::STRUCT_OPS_MEMBER_INDEX
        ),
        (8, 0, 4)
    );
    assert_eq!(
        (ctx::PROG_DESC_SIZE, ctx::PROG_FD, ctx::PROG_AUTOLOAD),
        (8, 0, 4)
    );
    assert_eq!(ctx::NO_STEP, 0xffff_ffff);
    assert_eq!(compile::LOADER_LICENSE, "Dual BSD/GPL");
    assert_eq!(compile::LOADER_PROG_FLAGS, 16);
}

#[test]
fn unusual_floats_become_bytes() {
    let mut t = table();
    t.types
        .push(TypeDef::new(Some("_Float16".into()), 2, 2, TypeKind::Float));
    let bss = TypeId(24);
    if let TypeKind::Struct { members } = &mut t.types[24].kind {
        members[8] = field(28, 2, Some("half"), 25);
        members.insert(9, pad(30, 2));
    }
    let mut p = TypePrinter::new(&t, "t");
    p.define_as(bss, "t__bss", &|_| true).unwrap();
    let text: Vec<&String> = p.defs.iter().flat_map(|d| &d.lines).collect();
    assert!(
        text.iter()
            .any(|l| l.as_str() == "\tunsigned char half[2];"),
        "{text:?}"
    );
}
