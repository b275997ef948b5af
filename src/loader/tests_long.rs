//! Loaders longer than a 16-bit jump reaches: relays, and the kernel's instruction limit.

use super::insn::{self, JmpOp, Reg};
use super::tests::{object, prog};
use super::{compile, Blob, CompileError};
use crate::ir::*;

/// `object()` plus a program with `sites` loads of one typeless ksym: the loader patches
/// two immediates per site, so its length grows with `sites`.
fn with_ksym_sites(sites: usize) -> ObjectSpec {
    let mut spec = object();
    let ext = spec.externs.len();
    spec.externs.push(ExternSpec {
        name: "vfs_write".into(),
        weak: false,
        kind: ExternKind::KsymTypeless,
    });
    let mut insns = Vec::with_capacity(sites * 2 + 2);
    let mut relocations = Vec::with_capacity(sites);
    for i in 0..sites {
        insns.extend(insn::ld_imm64(Reg::R1, 0));
        relocations.push(Relocation {
            insn: (2 * i) as u32,
            kind: RelocKind::Ksym { ext },
        });
    }
    insns.extend([insn::mov64_imm(Reg::R0, 0), insn::exit()]);
    spec.programs.insert(1, prog("big", insns, relocations));
    for m in &mut spec.maps {
        for s in &mut m.init_slots {
            if let SlotTarget::Program(p) = &mut s.target {
                *p += usize::from(*p >= 1);
            }
        }
    }
    spec
}

fn decode(blob: &Blob) -> Vec<Insn> {
    blob.insns
        .chunks_exact(8)
        .map(|c| Insn(c.try_into().unwrap()))
        .collect()
}

/// Where the error exit starts (after its `r0 = -EINVAL` entry).
fn error_exit(blob: &Blob) -> usize {
    let (at, _) = blob
        .annotations
        .iter()
        .find(|(_, n)| n.starts_with("error exit"))
        .expect("an error exit");
    at + 1
}

fn is_jump(i: &Insn) -> bool {
    let class = i.code() & 7;
    let op = i.code() & 0xf0;
    (class == insn::BPF_JMP || class == insn::BPF_JMP32)
        && op != insn::BPF_CALL
        && op != insn::BPF_EXIT
}

fn target(insns: &[Insn], at: usize) -> usize {
    let t = at as i64 + 1 + i64::from(insns[at].off());
    assert!(
        t >= 0 && (t as usize) < insns.len(),
        "jump at {at} leaves the program"
    );
    t as usize
}

#[test]
fn long_loaders_reach_the_error_exit_through_relays() {
    let spec = with_ksym_sites(20_000);
    let blob = compile(&spec).unwrap();
    let insns = decode(&blob);
    assert!(insns.len() > 40_000, "{} instructions", insns.len());
    let exit = error_exit(&blob);
    let relays = blob
        .annotations
        .iter()
        .filter(|(_, n)| n.starts_with("relays"))
        .count();
    assert!(
        relays >= 1,
        "no relay island in {} instructions",
        insns.len()
    );
    assert!(blob
        .annotations
        .iter()
        .any(|(_, n)| n.ends_with("(continued)")));
    let mut checks = 0;
    for at in (0..insns.len()).filter(|&i| is_jump(&insns[i])) {
        let i = insns[at];
        let to = target(&insns, at);
        let error_check = i.code() == insn::BPF_JMP | JmpOp::Jslt as u8 && i.dst() == 0;
        if !error_check {
            continue;
        }
        // Follow the relays (plain `goto`s) to the error exit.
        let (mut to, mut hops) = (to, 0);
        while insns[to].code() == insn::BPF_JMP | insn::BPF_JA && to != exit {
            to = target(&insns, to);
            hops += 1;
            assert!(hops < 10, "relay loop from {at}");
        }
        assert_eq!(
            to, exit,
            "error check at {at} does not reach the error exit"
        );
        checks += 1;
    }
    assert!(checks > 10, "{checks} error checks");
}

#[test]
fn loaders_past_the_kernel_limit_are_refused() {
    let spec = with_ksym_sites(520_000);
    let err = compile(&spec).unwrap_err();
    assert!(
        matches!(
            err,
            CompileError::TooLarge {
                what: "loader program (instructions)",
                limit: 1_000_000,
                ..
            }
        ),
        "{err}"
    );
}
