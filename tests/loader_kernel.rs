//! Runs compiled loaders on the running kernel the way every runtime does: five `bpf()`
//! calls (create the loader map, write the blob, freeze it, load the loader, run it), then
//! checks what the kernel holds and that no fd leaked. The failure matrix breaks one step
//! at a time (a program the verifier rejects first, in the middle and last; BTF the kernel
//! rejects; an impossible map size; an unknown kfunc) and checks the reported step, the
//! log, that no fd stays open and that no program of the object survives. The struct_ops
//! descriptors are checked in `tests/loader_struct_ops.rs`.
//!
//! Needs root (CAP_BPF and CAP_PERFMON); each test says why it skips otherwise.

mod support;

use skelgen::ir::{ExternKind, ExternSpec, ObjectSpec, ProgramSpec, RelocKind, Relocation};
use skelgen::loader::{compile, ctx, insn, plan::Step};
use support::loader::*;
use support::root;

#[test]
fn every_example_loads_and_nothing_leaks() {
    let _g = KERNEL.lock().unwrap_or_else(|e| e.into_inner());
    if !root() {
        return;
    }
    let mut failed = Vec::new();
    for name in LOADABLE {
        let spec = spec(name);
        let blob = compile(&spec).unwrap_or_else(|e| panic!("{name}: {e}"));
        let before = open_fds();
        let mut c = default_ctx(&spec, &blob);
        let ret = run_loader(&blob, &mut c);
        if ret != 0 {
            let (step, err) = step_of(&c);
            let what = blob
                .plan
                .describe(&spec)
                .into_iter()
                .find(|l| l.trim_start().starts_with(&format!("{step} ")))
                .unwrap_or_default();
            failed.push(format!(
                "{name}: loader returned {ret} (error {err}) at step {step}: {what}"
            ));
            assert_eq!(open_fds(), before, "{name}: fds leaked after a failed load");
            continue;
        }
        let loaded = check_and_close(&spec, &blob, &c);
        assert_eq!(open_fds(), before, "{name}: fds leaked");
        eprintln!(
            "{name}: {} loader insns, {} blob bytes, {} maps, {loaded}/{} programs loaded",
            blob.insn_count(),
            blob.data.len(),
            spec.maps.len(),
            spec.programs.len()
        );
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[test]
fn autoload_off_skips_one_program() {
    let _g = KERNEL.lock().unwrap_or_else(|e| e.into_inner());
    if !root() {
        return;
    }
    let spec = spec("mapinmap");
    let blob = compile(&spec).unwrap();
    let before = open_fds();
    let mut c = default_ctx(&spec, &blob);
    // The tail-call target fills a program-array slot: that step must be skipped too.
    let off = spec
        .program_index("tail_target")
        .unwrap_or(spec.programs.len() - 1);
    put32(
        &mut c,
        ctx::prog_field(blob.plan.nr_maps, off as u32, ctx::PROG_AUTOLOAD) as usize,
        0,
    );
    assert_eq!(run_loader(&blob, &mut c), 0);
    assert_eq!(
        get32(
            &c,
            ctx::prog_field(blob.plan.nr_maps, off as u32, ctx::PROG_FD) as usize
        ),
        0
    );
    let loaded = check_and_close(&spec, &blob, &c);
    assert_eq!(
        loaded,
        spec.programs.iter().filter(|p| p.autoload).count() - 1
    );
    assert_eq!(open_fds(), before, "fds leaked");
}

#[test]
fn initial_value_knob_replaces_rodata() {
    let _g = KERNEL.lock().unwrap_or_else(|e| e.into_inner());
    if !root() {
        return;
    }
    let spec = spec("minimal");
    let blob = compile(&spec).unwrap();
    let ro = spec
        .maps
        .iter()
        .position(|m| m.name == ".rodata")
        .expect(".rodata");
    let mut image = vec![0u8; spec.maps[ro].value_size as usize];
    for (k, b) in image.iter_mut().enumerate() {
        *b = k as u8 ^ 0x5a;
    }
    let before = open_fds();
    let mut c = default_ctx(&spec, &blob);
    put64(
        &mut c,
        ctx::map_field(ro as u32, ctx::MAP_INITIAL_VALUE) as usize,
        image.as_ptr() as u64,
    );
    assert_eq!(run_loader(&blob, &mut c), 0);
    let fd = get32(&c, ctx::map_field(ro as u32, ctx::MAP_FD) as usize);
    assert_eq!(lookup_value(fd as i32, image.len()), image);
    check_and_close(&spec, &blob, &c);
    assert_eq!(open_fds(), before, "fds leaked");
}

#[test]
fn ksymvar_loads_or_fails_cleanly() {
    let _g = KERNEL.lock().unwrap_or_else(|e| e.into_inner());
    if !root() {
        return;
    }
    // bpf_prog_active resolves through kallsyms, which lists variables only with
    // CONFIG_KALLSYMS_ALL: either outcome is right, a leak or a wrong step is not.
    let spec = spec("ksymvar");
    let blob = compile(&spec).unwrap();
    let before = open_fds();
    let mut c = default_ctx(&spec, &blob);
    let ret = run_loader(&blob, &mut c);
    if ret == 0 {
        check_and_close(&spec, &blob, &c);
        eprintln!("ksymvar: loaded");
    } else {
        let (step, err) = step_of(&c);
        assert_eq!(err, ret);
        assert!(
            matches!(blob.plan.steps[step as usize], Step::LoadProgram { .. }),
            "step {step}"
        );
        eprintln!(
            "ksymvar: refused with {ret} at step {step}, as expected without CONFIG_KALLSYMS_ALL"
        );
    }
    assert_eq!(open_fds(), before, "fds leaked");
}

/// A name unique to this run, so programs of parallel runs cannot be mistaken for ours.
fn unique(k: usize) -> String {
    format!("sgfm{}_{k}", std::process::id() % 1_000_000)
}

/// minimal.bpf.o with its program three times over, under names unique to this run.
fn three_programs() -> ObjectSpec {
    let mut spec = spec("minimal");
    let p = spec.programs[0].clone();
    spec.programs = (0..3)
        .map(|k| ProgramSpec {
            name: unique(k),
            ..p.clone()
        })
        .collect();
    spec
}

/// Replaces program `k`'s code with `insns` and no relocations or BTF.ext records.
fn replace_code(spec: &mut ObjectSpec, k: usize, insns: Vec<skelgen::ir::Insn>) {
    let p = &mut spec.programs[k];
    p.insns = insns;
    p.relocations.clear();
    p.func_info.clear();
    p.line_info.clear();
    p.core_relos.clear();
}

/// What one failure case breaks and what the loader must report.
struct Failure {
    what: String,
    spec: ObjectSpec,
    /// Knobs set before the run: (map index, max_entries).
    max_entries: Option<(usize, u32)>,
    step: Step,
    errnos: &'static [i32],
    /// Text the log must contain, or `None` when the failing step writes no log: the log
    /// must then be empty, not the log of an earlier load that succeeded.
    log: Option<&'static str>,
}

fn failures() -> Vec<Failure> {
    let mut out = Vec::new();
    // r0 = 0; r0 = *(u64 *)(r0 + 0); exit: a load through a scalar.
    let bad = vec![
        insn::mov64_imm(insn::Reg::R0, 0),
        insn::ldx_mem(insn::Size::DW, insn::Reg::R0, insn::Reg::R0, 0),
        insn::exit(),
    ];
    for (k, place) in ["first", "middle", "last"].into_iter().enumerate() {
        let mut spec = three_programs();
        replace_code(&mut spec, k, bad.clone());
        out.push(Failure {
            what: format!("verifier rejects the {place} program"),
            step: load_step(&spec, k),
            spec,
            max_entries: None,
            errnos: &[libc::EACCES],
            log: Some("invalid mem access"),
        });
    }
    let mut spec = three_programs();
    // The string section must end with a NUL; the kernel refuses the BTF otherwise.
    *spec.btf.0.last_mut().unwrap() = b'x';
    out.push(Failure {
        what: "the kernel rejects the BTF".into(),
        spec,
        max_entries: None,
        step: Step::LoadBtf,
        errnos: &[libc::EINVAL],
        log: Some("string"),
    });
    let spec = three_programs();
    let last = spec.maps.len() - 1;
    out.push(Failure {
        what: format!("max_entries 0xffffffff for {}", spec.maps[last].name),
        step: Step::CreateMap {
            map: last,
            name: spec.maps[last].name.clone(),
        },
        spec,
        max_entries: Some((last, u32::MAX)),
        errnos: &[libc::E2BIG, libc::ENOMEM],
        log: None,
    });
    let mut spec = three_programs();
    spec.externs.push(ExternSpec {
        name: "skelgen_no_such_kfunc".into(),
        weak: false,
        kind: ExternKind::Kfunc { proto_btf_id: 0 },
    });
    let call = insn::encode(
        insn::BPF_JMP | insn::BPF_CALL,
        0,
        insn::BPF_PSEUDO_KFUNC_CALL,
        0,
        0,
    );
    replace_code(
        &mut spec,
        1,
        vec![call, insn::mov64_imm(insn::Reg::R0, 0), insn::exit()],
    );
    spec.programs[1].relocations = vec![Relocation {
        insn: 0,
        kind: RelocKind::Kfunc {
            ext: spec.externs.len() - 1,
        },
    }];
    out.push(Failure {
        what: "an unknown kfunc in the middle program".into(),
        step: load_step(&spec, 1),
        spec,
        max_entries: None,
        errnos: &[libc::ENOENT],
        log: None,
    });
    out
}

#[test]
fn failure_matrix() {
    let _g = KERNEL.lock().unwrap_or_else(|e| e.into_inner());
    if !root() {
        return;
    }
    for f in failures() {
        let blob = compile(&f.spec).unwrap_or_else(|e| panic!("{}: {e}", f.what));
        let before = open_fds();
        let mut c = default_ctx(&f.spec, &blob);
        if let Some((map, n)) = f.max_entries {
            let off = ctx::map_field(map as u32, ctx::MAP_MAX_ENTRIES) as usize;
            put32(&mut c, off, n);
        }
        let mut log = vec![0u8; 4 << 20];
        set_log(&mut c, &mut log);
        let ret = run_loader(&blob, &mut c);
        let (step, err) = step_of(&c);
        let what = &f.what;
        assert!(f.errnos.contains(&-ret), "{what}: returned {ret}");
        assert_eq!(err, ret, "{what}: ctx error");
        assert_eq!(
            blob.plan.steps[step as usize], f.step,
            "{what}: failed step"
        );
        let text = log_text(&log);
        match f.log {
            Some(needle) => assert!(text.contains(needle), "{what}: log: {text}"),
            None => assert!(text.is_empty(), "{what}: a log from another step: {text}"),
        }
        if f.step != Step::LoadBtf {
            // The BTF load succeeded: its log (which opens with the header) is not wanted.
            assert!(
                !text.contains("magic: 0xeb9f"),
                "{what}: the BTF log: {text}"
            );
        }
        assert_eq!(open_fds(), before, "{what}: fds left open");
        for i in 0..f.spec.maps.len() {
            assert_eq!(map_fd(&blob, &c, i), 0, "{what}: map {i} handed out");
        }
        for j in 0..f.spec.programs.len() {
            assert_eq!(prog_fd(&blob, &c, j), 0, "{what}: program {j} handed out");
        }
        let names = kernel_prog_names();
        for p in &f.spec.programs {
            assert!(!names.contains(&p.name), "{what}: {} survived", p.name);
        }
        let lines = blob.plan.describe(&f.spec);
        let prefix = format!("{step:4}  ");
        let line: Vec<&str> = lines
            .iter()
            .filter_map(|l| l.strip_prefix(&prefix))
            .collect();
        eprintln!("{what}: errno {} at step {step}: {}", -ret, line.join("; "));
    }
}

/// minimal.bpf.o plus a program with `sites` loads of the typeless ksym `vfs_read`, whose
/// loader patches two immediates per site.
fn with_ksym_sites(sites: usize) -> ObjectSpec {
    let mut spec = spec("minimal");
    spec.externs.push(ExternSpec {
        name: "vfs_read".into(),
        weak: false,
        kind: ExternKind::KsymTypeless,
    });
    let ext = spec.externs.len() - 1;
    let mut insns = Vec::with_capacity(2 * sites + 2);
    for _ in 0..sites {
        insns.extend(insn::ld_imm64(insn::Reg::R1, 0));
    }
    insns.extend([insn::mov64_imm(insn::Reg::R0, 0), insn::exit()]);
    spec.programs.push(ProgramSpec {
        name: unique(9),
        ..spec.programs[0].clone()
    });
    replace_code(&mut spec, 1, insns);
    spec.programs[1].relocations = (0..sites)
        .map(|i| Relocation {
            insn: 2 * i as u32,
            kind: RelocKind::Ksym { ext },
        })
        .collect();
    spec
}

#[test]
fn loader_longer_than_a_jump_loads_and_fails_cleanly() {
    let _g = KERNEL.lock().unwrap_or_else(|e| e.into_inner());
    if !root() {
        return;
    }
    let spec = with_ksym_sites(17_000);
    let blob = compile(&spec).unwrap();
    assert!(blob.insn_count() > 34_000, "{}", blob.insn_count());
    assert!(blob.listing().contains("; relays"), "no relay island");
    let before = open_fds();
    let mut c = default_ctx(&spec, &blob);
    assert_eq!(run_loader(&blob, &mut c), 0, "{:?}", step_of(&c));
    assert_eq!(check_and_close(&spec, &blob, &c), 2);
    assert_eq!(open_fds(), before, "fds leaked");

    // The first map's step fails: its error check is 34000 instructions before the exit.
    let mut c = default_ctx(&spec, &blob);
    put32(
        &mut c,
        ctx::map_field(0, ctx::MAP_MAX_ENTRIES) as usize,
        u32::MAX,
    );
    let ret = run_loader(&blob, &mut c);
    assert!(
        ret == -libc::E2BIG || ret == -libc::ENOMEM,
        "returned {ret}"
    );
    let (step, _) = step_of(&c);
    assert!(matches!(
        blob.plan.steps[step as usize],
        Step::CreateMap { map: 0, .. }
    ));
    assert_eq!(open_fds(), before, "fds leaked after the failure");
    eprintln!(
        "{} loader instructions, {} relay islands",
        blob.insn_count(),
        blob.annotations
            .iter()
            .filter(|(_, n)| n.starts_with("relays"))
            .count()
    );
}
