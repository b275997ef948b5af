//! Unit tests of the plan and the compiler on hand-built objects.

use super::insn::{self, Reg};
use super::plan::{Resolution, Step};
use super::{compile, CompileError, LoaderPlan};
use crate::ir::*;
use crate::uapi::{AttachType, MapType, ProgType};

pub(super) fn map(name: &str, map_type: MapType) -> MapSpec {
    MapSpec {
        key_size: 4,
        value_size: 8,
        max_entries: 4,
        ..MapSpec::empty(name, name, map_type)
    }
}

pub(super) fn prog(name: &str, insns: Vec<Insn>, relocations: Vec<Relocation>) -> ProgramSpec {
    ProgramSpec {
        name: name.into(),
        section: "tp/x".into(),
        prog_type: ProgType::Tracepoint,
        expected_attach_type: None,
        attach_to: None,
        btf_target: None,
        attach: Some(crate::ir::Attach::Tracepoint { target: None }),
        flags: 0,
        autoload: true,
        insns,
        func_info: vec![],
        line_info: vec![],
        core_relos: vec![],
        relocations,
    }
}

fn ld(src: u8) -> Vec<Insn> {
    insn::ld_imm64_raw(Reg::R1, src, 0, 0).to_vec()
}

/// Two maps of maps, a program array, global data, a kfunc, both ksym kinds and an
/// attach target.
pub(super) fn object() -> ObjectSpec {
    let mut rodata = map(".rodata", MapType::Array);
    rodata.max_entries = 1;
    rodata.data = Some(GlobalData {
        section: ".rodata".into(),
        kind: GlobalKind::Rodata,
        initial: HexBytes(vec![1, 2, 3, 4, 5, 6, 7, 8]),
        variables: vec![],
        layout: TypeId(0),
        frozen: true,
        mmapable: true,
    });
    let mut outer = map("outer", MapType::ArrayOfMaps);
    outer.value_size = 4;
    outer.inner = Some(Box::new(map("inner", MapType::Array)));
    outer.init_slots = vec![InitSlot {
        index: 2,
        target: SlotTarget::Map(0),
    }];
    let mut jt = map("jt", MapType::ProgArray);
    jt.value_size = 4;
    jt.init_slots = vec![InitSlot {
        index: 1,
        target: SlotTarget::Program(1),
    }];
    let mut code = ld(insn::BPF_PSEUDO_MAP_IDX);
    code.extend(ld(insn::BPF_PSEUDO_BTF_ID));
    code.extend(ld(0));
    code.push(insn::encode(
        insn::BPF_JMP | insn::BPF_CALL,
        0,
        insn::BPF_PSEUDO_KFUNC_CALL,
        0,
        0,
    ));
    code.extend([insn::mov64_imm(Reg::R0, 0), insn::exit()]);
    let relocs = vec![
        Relocation {
            insn: 0,
            kind: RelocKind::Map { map: 1 },
        },
        Relocation {
            insn: 2,
            kind: RelocKind::Ksym { ext: 1 },
        },
        Relocation {
            insn: 4,
            kind: RelocKind::Ksym { ext: 2 },
        },
        Relocation {
            insn: 6,
            kind: RelocKind::Kfunc { ext: 0 },
        },
    ];
    let mut first = prog("first", code, relocs);
    first.prog_type = ProgType::Tracing;
    first.expected_attach_type = Some(AttachType::TraceFentry);
    first.btf_target = Some(BtfTarget {
        name: "do_unlinkat".into(),
        kind: BtfTargetKind::Func,
    });
    let second = prog(
        "second",
        vec![insn::mov64_imm(Reg::R0, 0), insn::exit()],
        vec![],
    );
    let ext = |name: &str, weak, kind| ExternSpec {
        name: name.into(),
        weak,
        kind,
    };
    ObjectSpec {
        name: "t".into(),
        license: "GPL".into(),
        kern_version: None,
        btf: HexBytes(vec![0x9f, 0xeb, 1, 0]),
        maps: vec![map("h", MapType::Hash), outer, jt, rodata],
        programs: vec![first, second],
        externs: vec![
            ext(
                "bpf_rcu_read_lock",
                false,
                ExternKind::Kfunc { proto_btf_id: 3 },
            ),
            ext("runqueues", true, ExternKind::KsymTyped { type_btf_id: 4 }),
            ext("vfs_read", false, ExternKind::KsymTypeless),
        ],
        types: TypeTable::default(),
        named_types: Vec::new(),
    }
}

#[test]
fn plan_order() {
    let spec = object();
    let plan = LoaderPlan::new(&spec).unwrap();
    let ops: Vec<String> = plan
        .steps
        .iter()
        .map(|s| {
            serde_json::to_value(s).unwrap()["op"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        ops,
        [
            "check_context",
            "load_btf",
            "create_map",
            "create_inner_map",
            "create_map",
            "create_map",
            "create_map",
            "update_elem",
            "freeze",
            "fill_slot",
            "load_program",
            "load_program",
            "fill_slot",
            "finish"
        ]
    );
    assert!(matches!(
        plan.steps[9],
        Step::FillSlot {
            outer: 1,
            index: 2,
            target: SlotTarget::Map(0),
            ..
        }
    ));
    assert!(matches!(
        plan.steps[12],
        Step::FillSlot {
            outer: 2,
            index: 1,
            target: SlotTarget::Program(1),
            ..
        }
    ));
    let Step::LoadProgram { resolve, .. } = &plan.steps[10] else {
        panic!()
    };
    assert!(matches!(resolve[0], Resolution::AttachTarget { .. }));
    assert!(matches!(&resolve[1], Resolution::Btf { func: true, calls, .. } if calls == &[6]));
    assert!(
        matches!(&resolve[2], Resolution::Btf { func: false, weak: true, loads, .. } if loads == &[2])
    );
    assert!(matches!(&resolve[3], Resolution::Kallsyms { loads, .. } if loads == &[4]));
    let back: LoaderPlan = serde_json::from_str(&serde_json::to_string(&plan).unwrap()).unwrap();
    assert_eq!(back, plan);
    let lines = plan.describe(&spec);
    assert!(lines
        .iter()
        .any(|l| l.contains("bpf_kallsyms_lookup_name(\"vfs_read\")")));
    assert!(lines
        .iter()
        .any(|l| l.contains("jt[1] = second) if the program was loaded")));
}

#[test]
fn deterministic_and_fully_decodable() {
    let spec = object();
    let a = compile(&spec).unwrap();
    assert_eq!(a, compile(&spec).unwrap());
    assert_eq!(a.insns.len() % 8, 0);
    assert_eq!(a.data.len() % 8, 0);
    assert_eq!(a.ctx_size, 48 + 24 * 4 + 8 * 2);
    let listing = a.listing();
    assert!(!listing.contains(".insn"), "{listing}");
    for i in 0..a.plan.steps.len() {
        assert!(
            listing.contains(&format!("; step {i}: ")),
            "step {i} missing"
        );
    }
    assert!(listing.contains("call bpf_btf_find_by_name_kind#167"));
    assert!(listing.contains("call bpf_kallsyms_lookup_name#179"));
}

#[test]
fn no_fixed_limits() {
    let mut spec = object();
    for i in 0..300 {
        spec.maps.push(map(&format!("m{i}"), MapType::Array));
    }
    let p = spec.programs[1].clone();
    for i in 0..200 {
        spec.programs.push(ProgramSpec {
            name: format!("p{i}"),
            ..p.clone()
        });
    }
    let blob = compile(&spec).unwrap();
    assert_eq!(blob.plan.nr_maps, 304);
    assert_eq!(blob.plan.nr_progs, 202);
}

#[test]
fn errors_not_panics() {
    let mut spec = object();
    spec.programs[0].relocations[0].kind = RelocKind::Map { map: 99 };
    assert!(matches!(
        compile(&spec),
        Err(CompileError::BadRelocation { insn: 0, .. })
    ));

    let mut spec = object();
    spec.programs[0].relocations[0].insn = 1000;
    assert!(matches!(
        compile(&spec),
        Err(CompileError::BadRelocation { .. })
    ));

    let mut spec = object();
    spec.programs[0].relocations[3].insn = 8; // `r0 = 0`, not a call
    assert!(matches!(
        compile(&spec),
        Err(CompileError::BadRelocation { insn: 8, .. })
    ));

    let mut spec = object();
    spec.programs[0].relocations[1].kind = RelocKind::Ksym { ext: 7 };
    assert!(matches!(
        compile(&spec),
        Err(CompileError::BadRelocation { .. })
    ));

    let mut spec = object();
    spec.maps[3].value_size = 16;
    assert!(matches!(compile(&spec), Err(CompileError::BadMap { .. })));

    let mut spec = object();
    spec.maps[0].map_type = MapType::StructOps;
    assert!(matches!(
        compile(&spec),
        Err(CompileError::Unsupported { .. })
    ));

    let mut spec = object();
    spec.maps[0].pinning = Pinning::ByName;
    let err = compile(&spec).unwrap_err().to_string();
    assert!(
        err.starts_with("map h is not supported by the loader")
            && err.contains("LIBBPF_PIN_BY_NAME")
            && err.contains("after load"),
        "{err}"
    );

    let mut spec = object();
    spec.maps[1].init_slots[0].target = SlotTarget::Map(50);
    assert!(matches!(compile(&spec), Err(CompileError::BadMap { .. })));

    let mut spec = object();
    spec.maps
        .extend((0..2000).map(|i| map(&format!("m{i}"), MapType::Array)));
    assert!(matches!(
        compile(&spec),
        Err(CompileError::TooLarge {
            what: "loader context",
            ..
        })
    ));
}

#[test]
fn attrs_are_trimmed() {
    // A program without CO-RE, maps or kfuncs stops before fd_array (offset 120).
    let mut spec = object();
    spec.programs.truncate(1);
    spec.maps.clear();
    spec.programs[0].relocations.clear();
    spec.programs[0].btf_target = None;
    spec.programs[0].expected_attach_type = None;
    spec.programs[0].insns.truncate(6);
    spec.programs[0]
        .insns
        .extend([insn::mov64_imm(Reg::R0, 0), insn::exit()]);
    let blob = compile(&spec).unwrap();
    let listing = blob.listing();
    assert!(
        listing.contains("r3 = 0x40"),
        "PROG_LOAD attr should end after prog_name:\n{listing}"
    );
    // With func_info the attr reaches func_info_cnt; with CO-RE, core_relo_rec_size.
    spec.programs[0].func_info = vec![FuncInfo {
        insn: 0,
        type_id: 1,
    }];
    assert!(compile(&spec).unwrap().listing().contains("r3 = 0x5c"));
    spec.programs[0].core_relos = vec![CoreRelo {
        insn: 0,
        type_id: 1,
        access_str_off: 0,
        kind: 0,
        access: "0".into(),
    }];
    assert!(compile(&spec).unwrap().listing().contains("r3 = 0x8c"));
}

/// struct_ops: two map descriptors and one per program after the programs; a map step
/// that reads its value type from the context and reaches `btf_vmlinux_value_type_id`;
/// program loads that read their struct and member from it.
#[test]
fn struct_ops_context_and_steps() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/bpf/tcpca.bpf.o");
    let spec = crate::parse_object(&std::fs::read(path).unwrap(), "tcpca").unwrap();
    let blob = compile(&spec).unwrap();
    assert_eq!(blob.plan.struct_ops_maps, [1, 2]);
    assert_eq!(blob.plan.struct_ops_progs, [0, 1, 2, 3]);
    assert_eq!(blob.ctx_size, 48 + 24 * 3 + 8 * 4 + 8 * 2 + 8 * 4);
    let counts = blob.plan.counts();
    assert_eq!(counts.struct_ops_map_field(1, 0), 48 + 72 + 32 + 8);
    assert_eq!(counts.struct_ops_prog_field(0, 4), 48 + 72 + 32 + 16 + 4);
    let text = blob.plan.describe(&spec).join("\n");
    for want in [
        "2 struct_ops maps, 4 struct_ops programs, 200 bytes",
        "value_size=maps[2].value_size btf_vmlinux_value_type_id=maps[2].btf_vmlinux_value_type_id",
        "flags=0x2000 btf_fd) if struct_ops_maps[1].autocreate",
        "filled by the runtime from the kernel's BTF for tcpca.init, tcpca_link.init",
        "expected_attach_type=struct_ops_progs[3].member_index attach_btf_id=struct_ops_progs[3].attach_btf_id",
    ] {
        assert!(text.contains(want), "{want:?} not in:\n{text}");
    }
    // Both maps' attrs end after btf_vmlinux_value_type_id: `r3 = 0x40` in their steps.
    let listing = blob.listing();
    let creates = listing
        .split("; step ")
        .filter(|s| s.contains("MAP_CREATE tcpca"))
        .filter(|s| s.contains("r3 = 0x40"))
        .count();
    assert_eq!(creates, 2, "{listing}");
    // An object without struct_ops keeps the context of loader ABI 1.
    let plain = compile(&object()).unwrap();
    assert_eq!(
        u64::from(plain.ctx_size),
        crate::loader::ctx::ctx_size(4, 2)
    );
}
