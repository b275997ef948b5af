//! Rendering whole skeletons: names refused by their owner, and objects without maps or
//! programs still giving headers that build.

use std::path::Path;
use std::process::Command;

#[test]
fn names_that_cannot_be_c_identifiers_are_refused_by_owner() {
    let data =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bpf/minimal.bpf.o"))
            .unwrap();
    let spec = crate::parse_object(&data, "minimal.bpf.o").unwrap();
    let blob = crate::loader::compile(&spec).unwrap();
    let mut bad = spec.clone();
    bad.maps[0].name = "bad-name".into();
    let err = crate::backend::render(crate::Lang::C, &bad, &blob).unwrap_err();
    assert!(err.to_string().starts_with("map \"bad-name\""), "{err}");
    let mut bad = spec.clone();
    bad.programs[0].name = "9lives".into();
    let err = crate::backend::render(crate::Lang::C, &bad, &blob).unwrap_err();
    assert!(err.to_string().starts_with("program \"9lives\""), "{err}");
    let mut bad = spec.clone();
    let bss = bad.maps.iter_mut().find(|m| m.name == ".bss").unwrap();
    bss.data.as_mut().unwrap().variables[0].name = "a.b".into();
    let err = crate::backend::render(crate::Lang::C, &bad, &blob).unwrap_err();
    assert!(
        err.to_string().starts_with("variable in .bss \"a.b\""),
        "{err}"
    );
    let mut bad = spec;
    bad.name = "my-prog".into();
    let err = crate::backend::render(crate::Lang::C, &bad, &blob).unwrap_err();
    assert!(err.to_string().contains("--name"), "{err}");
}

/// Objects without maps, without programs, or without either still give headers that
/// build strictly (empty structs are not valid C, so those parts disappear).
#[test]
fn degenerate_objects_build() {
    let have = |c: &str| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !have("gcc") || !have("g++") {
        eprintln!("skipping: gcc and g++ are needed");
        return;
    }
    let data =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bpf/minimal.bpf.o"))
            .unwrap();
    let spec = crate::parse_object(&data, "minimal.bpf.o").unwrap();
    let dir = std::env::temp_dir().join(format!("skelgen-c-degenerate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, maps, progs) in [
        ("nomaps", false, true),
        ("noprogs", true, false),
        ("empty", false, false),
    ] {
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
        let blob = crate::loader::compile(&s).unwrap();
        let text = crate::backend::render(crate::Lang::C, &s, &blob).unwrap();
        std::fs::write(dir.join(format!("{name}.lskel.h")), text).unwrap();
        let main = dir.join(format!("{name}.c"));
        std::fs::write(
            &main,
            format!(
                "#include \"{name}.lskel.h\"\nint main(void)\n{{\n\tstruct {name} *skel = {name}__open();\n\n\
                 \tif (skel && {name}__load(skel) == 0)\n\t\t(void){name}__attach(skel);\n\
                 \t{name}__destroy(skel);\n\treturn 0;\n}}\n"
            ),
        )
        .unwrap();
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
                .arg("-fsyntax-only")
                .arg(&main)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{cc} {name}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// Oracle: bpftool's C dump of each example's BTF (libbpf's btf_dump) replaces the header's
/// own struct and union definitions (through the SKELGEN_DEFINED_* guards), and the header's
/// static assertions, computed from our type table, must hold for them.
#[test]
fn layouts_match_bpftool_btf_dump() {
    let have = |c: &str| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !have("gcc") || !have("bpftool") {
        eprintln!("skipping: gcc and bpftool are needed");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("skelgen-c-oracle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut objects: Vec<_> = std::fs::read_dir(root.join("examples/bpf"))
        .unwrap()
        .filter_map(|e| {
            e.ok()?
                .file_name()
                .to_str()?
                .strip_suffix(".bpf.o")
                .map(String::from)
        })
        .collect();
    objects.sort();
    for name in objects {
        let obj = root.join(format!("examples/bpf/{name}.bpf.o"));
        let dump = Command::new("bpftool")
            .args(["btf", "dump", "file"])
            .arg(&obj)
            .args(["format", "c"])
            .output()
            .unwrap();
        assert!(dump.status.success(), "bpftool on {name}");
        let dump = String::from_utf8(dump.stdout).unwrap();
        let data = std::fs::read(&obj).unwrap();
        let spec = crate::parse_object(&data, &format!("{name}.bpf.o")).unwrap();
        let blob = crate::loader::compile(&spec).unwrap();
        let header = super::render(&spec, &blob).unwrap();
        let mut unit = String::from("#define BPF_NO_PRESERVE_ACCESS_INDEX\n#include \"dump.h\"\n");
        for line in dump.lines() {
            for keyword in ["struct", "union"] {
                let tag = line
                    .strip_prefix(keyword)
                    .and_then(|l| l.strip_suffix(" {"));
                if let Some(tag) = tag.map(str::trim).filter(|t| !t.contains(' ')) {
                    unit.push_str(&format!("#define SKELGEN_DEFINED_{keyword}_{tag}\n"));
                }
            }
        }
        unit.push_str("#include \"skel.h\"\nint main(void)\n{\n\treturn 0;\n}\n");
        std::fs::write(dir.join("dump.h"), &dump).unwrap();
        std::fs::write(dir.join("skel.h"), &header).unwrap();
        std::fs::write(dir.join("unit.c"), &unit).unwrap();
        let out = Command::new("gcc")
            .args(["-std=gnu11", "-Wall", "-fsyntax-only"])
            .arg(dir.join("unit.c"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Which sections get which attach function (names from libbpf's section table).
#[test]
fn attach_functions_by_section() {
    let data =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bpf/minimal.bpf.o"))
            .unwrap();
    let base = crate::parse_object(&data, "minimal.bpf.o")
        .unwrap()
        .programs[0]
        .clone();
    let cases: &[(&str, Option<&str>)] = &[
        ("tp/syscalls/sys_enter_read", Some("")),
        ("tp", Some("_tracepoint")),
        ("raw_tp/sys_enter", Some("")),
        ("raw_tp", Some("_raw_tp")),
        ("kprobe/do_unlinkat", Some("")),
        ("kprobe/do_unlinkat+0x10", Some("")),
        ("kprobe", Some("_kprobe")),
        ("kprobe.multi/do_*", None),
        ("uprobe.multi/x", None),
        ("ksyscall/openat", Some("")),
        ("kretsyscall", Some("_ksyscall")),
        ("usdt/x", None),
        ("uprobe", Some("_uprobe")),
        ("uretprobe//bin/sh:main", Some("")),
        ("fentry/do_unlinkat", Some("")),
        ("lsm/file_open", Some("")),
        ("lsm_cgroup/file_open", Some("_cgroup")),
        ("fsession/do_unlinkat", None),
        ("iter/task", Some("")),
        ("xdp", Some("_xdp")),
        ("xdp/devmap", None),
        ("tcx/ingress", Some("_tcx")),
        ("tc", None),
        ("cgroup_skb/ingress", Some("_cgroup")),
        ("cgroup/skb", None),
        ("sockops", Some("_cgroup")),
        ("sk_lookup", Some("_netns")),
        ("sk_msg", Some("_sockmap")),
        ("sk_skb", None),
        ("perf_event", Some("_perf_event")),
        ("socket", None),
        ("syscall", None),
    ];
    for &(section, want) in cases {
        let mut p = base.clone();
        crate::lower::programs::set_section(&mut p, section);
        let got = super::attach::attach_fn(&p).map(|f| f.suffix);
        assert_eq!(got.as_deref(), want, "{section}");
    }
}

fn header_named(object: &str, name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("examples/bpf/{object}.bpf.o"));
    let data = std::fs::read(&path).unwrap();
    let options = crate::Options {
        lang: vec![crate::Lang::C.into()],
        name: Some(name.into()),
        ..Default::default()
    };
    let out = crate::generate(&data, "x.bpf.o", &options).unwrap();
    String::from_utf8(out).unwrap()
}

/// Several skeletons in one translation unit share the runtime and the types they have in
/// common (two copies of minimal define struct sample once); a user's own definition of a
/// type replaces the header's and is checked by its assertions.
#[test]
fn headers_share_a_unit_and_user_types() {
    let have = |c: &str| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !have("gcc") || !have("g++") {
        eprintln!("skipping: gcc and g++ are needed");
        return;
    }
    let dir = std::env::temp_dir().join(format!("skelgen-c-share-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
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
                .arg("-fsyntax-only")
                .arg(src)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{cc} {}: {}",
                src.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn colliding_names_are_refused_with_both_owners() {
    let data =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bpf/minimal.bpf.o"))
            .unwrap();
    let mut spec = crate::parse_object(&data, "minimal.bpf.o").unwrap();
    let blob = crate::loader::compile(&spec).unwrap();
    spec.maps[0].name = "bss".into();
    let err = super::render(&spec, &blob).unwrap_err().to_string();
    assert_eq!(
        err,
        "map bss and map .bss would both be called \"bss\" in the skeleton"
    );
}
