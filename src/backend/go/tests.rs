//! Go skeletons of hand-built objects: a type table with every shape Go must reproduce
//! (checked by compiling it: the skeleton's layout checks compare Go's layout with the
//! IR's, and a Go test drives the bitfield accessors), names that collide, and objects
//! without maps or programs.

use crate::backend::test_types::*;
use crate::ir::types::{EnumValue, Member, MemberKind, TypeDef, TypeKind};
use crate::ir::{HexBytes, ObjectSpec, TypeId, TypeTable, VariableSpec};
use std::path::{Path, PathBuf};
use std::process::Command;

pub(super) fn example(name: &str) -> ObjectSpec {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("examples/bpf/{name}.bpf.o"));
    let data = std::fs::read(path).unwrap();
    crate::parse_object(&data, &format!("{name}.bpf.o")).unwrap()
}

fn render(spec: &ObjectSpec) -> Result<String, crate::backend::BackendError> {
    // The loader of the unmodified example: these tests compile the Go, they do not load.
    let blob = crate::loader::compile(&example("minimal")).unwrap();
    super::render(spec, &blob, None)
}

fn int(name: &str, size: u32, signed: bool) -> TypeDef {
    let kind = TypeKind::Int {
        signed,
        is_bool: name == "_Bool",
        is_char: false,
    };
    TypeDef::new(Some(name.into()), size, size.min(16), kind)
}

fn aggregate(name: Option<&str>, hint: &[&str], size: u32, align: u32, union: bool) -> TypeDef {
    let kind = if union {
        TypeKind::Union { members: vec![] }
    } else {
        TypeKind::Struct { members: vec![] }
    };
    let mut t = TypeDef::new(name.map(str::to_string), size, align, kind);
    t.name_hint = hint.iter().map(|h| h.to_string()).collect();
    t
}

fn with(mut t: TypeDef, members: Vec<Member>) -> TypeDef {
    match &mut t.kind {
        TypeKind::Struct { members: m } | TypeKind::Union { members: m } => *m = members,
        _ => unreachable!(),
    }
    t
}

fn array(elem: u32, len: u32, size: u32, align: u32) -> TypeDef {
    let elem = TypeId(elem);
    TypeDef::new(None, size, align, TypeKind::Array { elem, len })
}

/// The section (type 26) and every type it holds.
fn table() -> TypeTable {
    let enumeration = |name: &str, size: u32, signed: bool| {
        let values = vec![EnumValue {
            name: "FIRST".into(),
            value: 1,
        }];
        TypeDef::new(
            Some(name.into()),
            size,
            size,
            TypeKind::Enum { signed, values },
        )
    };
    let types = vec![
        int("int", 4, true),                                                // 0
        int("unsigned char", 1, false),                                     // 1
        int("unsigned int", 4, false),                                      // 2
        int("long long", 8, true),                                          // 3
        int("_Bool", 1, false),                                             // 4
        TypeDef::new(Some("float".into()), 4, 4, TypeKind::Float),          // 5
        TypeDef::new(Some("double".into()), 8, 8, TypeKind::Float),         // 6
        TypeDef::new(None, 8, 8, TypeKind::Pointer { pointee: TypeId(0) }), // 7
        enumeration("tiny", 1, false),                                      // 8
        enumeration("color", 4, true),                                      // 9
        array(11, 3, 3, 1),                                                 // 10: char[3]
        int("char", 1, true),                                               // 11
        array(13, 2, 24, 4),                                                // 12: int[2][3]
        array(0, 3, 12, 4),                                                 // 13: int[3]
        TypeDef::new(
            Some("triple_t".into()),
            12,
            4,
            TypeKind::Typedef { target: TypeId(13) },
        ), // 14
        with(
            aggregate(Some("packed_s"), &[], 5, 1, false),
            vec![field(0, 1, Some("a"), 1), field(1, 4, Some("b"), 2)],
        ), // 15: b at an odd offset
        with(
            aggregate(Some("type"), &[], 8, 4, false),
            vec![
                field(0, 4, Some("func"), 0),
                field(4, 1, Some("range"), 1),
                pad(5, 3),
            ],
        ), // 16: keywords everywhere
        with(
            aggregate(Some("u"), &[], 8, 4, true),
            vec![
                field(0, 4, Some("x"), 0),
                field(0, 3, Some("c"), 10),
                pad(0, 8),
            ],
        ), // 17
        with(
            aggregate(None, &["outer", "inner"], 8, 4, false),
            vec![field(0, 4, Some("p"), 0), field(4, 4, Some("q"), 0)],
        ), // 18
        with(
            aggregate(Some("outer"), &[], 12, 4, false),
            vec![field(0, 8, Some("inner"), 18), field(8, 4, None, 20)],
        ), // 19
        with(
            aggregate(None, &["outer", "anon1"], 4, 4, true),
            vec![field(0, 4, Some("y"), 0), field(0, 4, Some("f"), 5)],
        ), // 20
        with(
            aggregate(Some("bits"), &[], 8, 4, false),
            vec![
                bits(0, 2, &[("a", 2, 0, 3), ("b", 2, 5, 4)]),
                field(2, 1, Some("c"), 1),
                pad(3, 1),
                bits(4, 3, &[("d", 0, 0, 20), ("e", 4, 20, 1), ("g", 9, 21, 3)]),
                pad(7, 1),
            ],
        ), // 21: d signed, e a bool, g a signed enum
        with(
            aggregate(Some("aligned16"), &[], 16, 16, false),
            vec![field(0, 4, Some("x"), 0), pad(4, 12)],
        ), // 22
        int("__int128", 16, true),                                          // 23
        TypeDef::new(Some("_Float16".into()), 2, 2, TypeKind::Float),       // 24
        with(
            aggregate(Some("tight"), &[], 12, 4, false),
            vec![field(0, 8, Some("wide"), 3), field(8, 4, Some("narrow"), 2)],
        ), // 25: packed and aligned(4): Go would round 12 up to 16
        with(
            aggregate(Some(".bss"), &[], 188, 16, false),
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
                field(92, 8, Some("v_type"), 16),
                field(100, 8, Some("v_union"), 17),
                field(108, 12, Some("v_outer"), 19),
                field(120, 8, Some("v_bits"), 21),
                field(128, 16, Some("v_aligned"), 22),
                field(144, 16, Some("v_i128"), 23),
                field(160, 2, Some("v_half"), 24),
                pad(162, 2),
                field(164, 12, Some("v_tight"), 25),
                field(176, 4, Some("v_empty"), 0),
                field(180, 0, Some("v_flex"), 13),
                pad(180, 8),
            ],
        ), // 26
    ];
    TypeTable { types }
}

/// The minimal example with its `.bss` replaced by the table's section.
fn spec() -> ObjectSpec {
    let mut spec = example("minimal");
    spec.name = "t".into();
    spec.types = table();
    let bss = spec.maps.iter_mut().find(|m| m.name == ".bss").unwrap();
    bss.value_size = 188;
    let data = bss.data.as_mut().unwrap();
    data.layout = TypeId(26);
    data.initial = HexBytes(vec![0; 188]);
    let TypeKind::Struct { members } = &spec.types.types[26].kind else {
        unreachable!()
    };
    data.variables = members
        .iter()
        .filter_map(|m| match &m.kind {
            MemberKind::Field { name: Some(n), ty } => Some(VariableSpec {
                name: n.clone(),
                offset: m.offset,
                size: m.size,
                ty: *ty,
                global: n != "dropped.static",
            }),
            _ => None,
        })
        .collect();
    // The other sections keep the example's types, which this table does not have.
    for m in &mut spec.maps {
        if let Some(d) = m.data.as_mut().filter(|_| m.name != ".bss") {
            d.mmapable = false;
        }
        m.key_type = None;
        m.value_type = None;
    }
    spec
}

#[test]
fn every_shape_is_printed() {
    let text = render(&spec()).unwrap();
    for want in [
        "type TPackedS struct {\n\tA uint8\n\t// Kept as bytes: Go would not place a uint32 at offset 1 of a 5-byte struct.\n\tB [4]byte\n}",
        "type TType struct {\n\tFunc  int32\n\tRange uint8\n\t_     [3]byte\n}",
        "// TU is union u, from BTF.\n// Go has no unions: it holds the first member, padded to the union's size.\n// The other members share its bytes: c.\ntype TU struct {\n\tX int32\n\t_ [4]byte\n}",
        "// TOuterInner is the anonymous struct at outer.inner, from BTF.",
        "\tInner TOuterInner\n\t// An anonymous union of 4 bytes: Go holds its first member only; the others are f.\n\tY int32\n",
        "func (s *TBits) A() uint32 {\n\treturn uint32(tBits(unsafe.Pointer(s), 0, 3))\n}",
        "func (s *TBits) D() int32 {\n\treturn int32(tSignedBits(unsafe.Pointer(s), 32, 20))\n}",
        "func (s *TBits) E() bool {\n\treturn tBits(unsafe.Pointer(s), 52, 1) != 0\n}",
        "func (s *TBits) SetE(v bool) {\n\ttSetBits(unsafe.Pointer(s), 52, 1, tBoolBits(v))\n}",
        "func (s *TBits) G() int32 {",
        "\t// Kept as bytes: Go would not place a int64 at offset 0 of a 12-byte struct.\n\tWide   [8]byte\n\tNarrow uint32\n",
        "\tClass    int32\n\tVBool    bool\n\tVTiny    uint8\n\tVChars   [3]byte\n",
        "\tVColor   int32\n\tVPtr     uint64\n\tVFloat   float32\n\t_        [4]byte\n",
        "\tVGrid    [2][3]int32\n\tVTriple  [3]int32\n\tVPacked  TPackedS\n",
        "\tVI128    [16]byte\n\tVHalf    [2]byte\n",
        "\tVEmpty   int32\n\t// v_flex: a flexible array, not a field.\n\t_ [8]byte\n}",
        "_ = [8]struct{}{}[unsafe.Sizeof(TBss{})-188]",
        "_ = [1]struct{}{}[unsafe.Offsetof(TBss{}.VTight)-164]",
    ] {
        assert!(text.contains(want), "missing {want:?} in the types of:\n{}", types_of(&text));
    }
    assert!(!text.contains("Dropped"), "{text}");
}

/// The part of a skeleton with the object's types, for failure messages.
fn types_of(text: &str) -> &str {
    let start = text.find("type TLinks struct").unwrap_or(0);
    let end = text.find("// OpenT prepares").unwrap_or(text.len());
    &text[start..end]
}

fn go() -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .and_then(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("go"))
                .find(|g| g.is_file())
        })
        .or_else(|| Some(PathBuf::from("/usr/local/go/bin/go")).filter(|g| g.is_file()));
    if found.is_none() {
        eprintln!("skipping: the go command is not installed");
    }
    found
}

/// A Go module in a fresh scratch directory holding `files`; checks that gofmt would not
/// change them and runs `go vet` and `go test` there (the layout checks fail the build
/// when Go lays a type out otherwise).
fn go_check(what: &str, files: &[(&str, &str)]) {
    let Some(go) = go() else { return };
    let dir = std::env::temp_dir().join(format!("skelgen-go-{what}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("go.mod"), format!("module {what}\n\ngo 1.21\n")).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let gofmt = Command::new(go.with_file_name("gofmt"))
        .arg("-l")
        .arg(&dir)
        .output()
        .unwrap();
    let unformatted = String::from_utf8_lossy(&gofmt.stdout);
    assert!(
        gofmt.status.success() && unformatted.trim().is_empty(),
        "gofmt would change: {unformatted}"
    );
    for args in [&["vet", "."][..], &["test", "-count=1", "."][..]] {
        let out = Command::new(&go)
            .args(args)
            .current_dir(&dir)
            .env("GOTOOLCHAIN", "local")
            .env("GOFLAGS", "")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "go {args:?} in {}:\n{}{}",
            dir.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Go's layout of every shape equals the IR's (the skeleton's compile-time checks), and
/// the bitfield accessors read and write the bits C would.
#[test]
fn printed_layouts_and_bitfields_work_in_go() {
    let skel = render(&spec()).unwrap();
    // bits: a:3 at bit 0 and b:4 at bit 5 of bytes 0-1; c at byte 2; d:20 (signed) at bit
    // 0, e:1 (bool) at bit 20 and g:3 (signed enum) at bit 21 of bytes 4-6.
    let test = r#"package t

import (
	"testing"
	"unsafe"
)

func TestBitfields(t *testing.T) {
	var b TBits
	b.SetA(5)
	b.SetB(9)
	b.C = 0xff
	b.SetD(-3)
	b.SetE(true)
	b.SetG(-2)
	raw := *(*[8]byte)(unsafe.Pointer(&b))
	want := [8]byte{0x25, 0x01, 0xff, 0, 0xfd, 0xff, 0xdf, 0}
	if raw != want {
		t.Errorf("bytes % x, want % x", raw, want)
	}
	if b.A() != 5 || b.B() != 9 || b.D() != -3 || !b.E() || b.G() != -2 {
		t.Errorf("read back %d %d %d %v %d", b.A(), b.B(), b.D(), b.E(), b.G())
	}
	b.SetA(0xff)
	if b.A() != 7 || b.B() != 9 {
		t.Errorf("a set to 0xff: a %d, b %d", b.A(), b.B())
	}
}
"#;
    go_check("types", &[("t_skel.go", &skel), ("t_test.go", test)]);
}

#[test]
fn names_colliding_in_go_are_refused_with_both() {
    let mut s = spec();
    let TypeKind::Struct { members } = &mut s.types.types[16].kind else {
        unreachable!()
    };
    members[1] = field(4, 1, Some("Func"), 1);
    let err = render(&s).unwrap_err().to_string();
    assert!(
        err.contains("\"func\"") && err.contains("\"Func\"") && err.contains("\"Func\""),
        "{err}"
    );

    let mut s = example("minimal");
    s.maps[0].name = "Counts".into();
    s.maps.push(example("minimal").maps[0].clone());
    let err = render(&s).unwrap_err().to_string();
    assert!(
        err.contains("map \"Counts\"") && err.contains("map \"counts\""),
        "{err}"
    );

    let mut s = example("minimal");
    s.programs[0].name = "close".into();
    let mut other = s.programs[0].clone();
    other.name = "_close".into();
    s.programs.push(other);
    let err = render(&s).unwrap_err().to_string();
    assert!(
        err.contains("\"close\"") && err.contains("\"_close\""),
        "{err}"
    );

    // A bitfield's getter against a field of the same name.
    let mut s = spec();
    let TypeKind::Struct { members } = &mut s.types.types[21].kind else {
        unreachable!()
    };
    members[1] = field(2, 1, Some("A"), 1);
    let err = render(&s).unwrap_err().to_string();
    assert!(
        err.contains("bitfield \"a\"") && err.contains("\"A\""),
        "{err}"
    );
}

/// Objects without maps, without programs, or without either still give skeletons that
/// build.
#[test]
fn degenerate_objects_build() {
    let base = example("minimal");
    let mut files = Vec::new();
    for (name, maps, progs) in [
        ("nomaps", false, true),
        ("noprogs", true, false),
        ("empty", false, false),
    ] {
        let mut s = base.clone();
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
        let blob = crate::loader::compile(&s).unwrap();
        files.push((
            format!("{name}_skel.go"),
            super::render(&s, &blob, Some("degenerate")).unwrap(),
        ));
    }
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    go_check("degenerate", &files);
}

/// Adds to `spec` a copy of its first program made a tracepoint program called `name`,
/// which `Attach` attaches.
pub(super) fn add_tracepoint(spec: &mut ObjectSpec, name: &str) {
    let mut tp = spec.programs[0].clone();
    tp.name = name.into();
    crate::lower::programs::set_section(&mut tp, "tracepoint/syscalls/sys_enter_getpid");
    spec.programs.push(tp);
}

/// struct_ops programs without a struct_ops map give a skeleton that builds (its Load
/// refuses the programs, which no member names), and so do struct_ops maps next to a
/// program that Attach attaches (whose link a failed struct_ops attach closes).
#[test]
fn struct_ops_variants_build() {
    let mut progs_only = example("tcpca");
    progs_only.name = "progsonly".into();
    progs_only.maps.retain(|m| m.struct_ops.is_none());
    let mut with_auto = example("tcpca");
    with_auto.name = "withauto".into();
    add_tracepoint(&mut with_auto, "tp");
    let mut files = Vec::new();
    for s in [progs_only, with_auto] {
        let blob = crate::loader::compile(&s).unwrap();
        let text = super::render(&s, &blob, Some("variants")).unwrap();
        files.push((format!("{}_skel.go", s.name), text));
    }
    assert!(files[0].1.contains("type ProgsonlyStructOps struct{}"));
    assert!(files[1]
        .1
        .contains("\t\ts.detachSince(before)\n\t\treturn err\n"));
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    go_check("variants", &files);
}

#[test]
fn every_example_renders() {
    for name in ["minimal", "many", "ksyms", "iterators", "probes"] {
        let s = example(name);
        let blob = crate::loader::compile(&s).unwrap();
        super::render(&s, &blob, None).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
