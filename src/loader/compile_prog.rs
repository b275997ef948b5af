//! The `LoadProgram` step: run-time resolutions patched into the blob's copy of the
//! program, then `BPF_PROG_LOAD`, then closing the module BTF fds the load needed.

use super::attr::{self, prog_load as pl};
use super::compile::Compiler;
use super::ctx;
use super::error::CompileError;
use super::insn::{self, AluOp, JmpOp, Reg, Size};
use super::plan::Resolution;
use super::prog_data::bad;
use super::prog_data::{Lookup, ProgData};
use crate::ir::BtfTargetKind;

/// `BTF_KIND_TYPEDEF`.
const BTF_KIND_TYPEDEF: i32 = 8;
/// `BTF_KIND_FUNC`.
const BTF_KIND_FUNC: i32 = 12;
/// `BTF_KIND_VAR`.
const BTF_KIND_VAR: i32 = 14;
/// `ENOENT`, what `bpf_kallsyms_lookup_name` returns for a missing symbol.
const ENOENT: i32 = 2;

/// A kfunc or typed ksym and the sites it patches.
struct BtfExtern<'a> {
    ext: usize,
    func: bool,
    weak: bool,
    calls: &'a [u32],
    loads: &'a [u32],
}

impl Compiler<'_> {
    pub(super) fn load_program(
        &mut self,
        step: i32,
        prog: usize,
        resolve: &[Resolution],
        pd: &ProgData,
    ) -> Result<(), CompileError> {
        let skip = self.e.label();
        let autoload = self.ctx_field(ctx::prog_field(
            self.plan.nr_maps,
            prog as u32,
            ctx::PROG_AUTOLOAD,
        ))?;
        self.e
            .push(&[insn::ldx_mem(Size::W, Reg::R1, Reg::R6, autoload)]);
        self.e.jmp_imm(JmpOp::Jeq, Reg::R1, 0, skip);
        let mut temps = Vec::new();
        for (r, l) in resolve.iter().zip(&pd.lookups) {
            self.e.safe_point();
            match r {
                Resolution::AttachTarget { btf_kind, .. } => {
                    self.attach_target(pd, *l, *btf_kind);
                    temps.push(self.l.slots.attach());
                }
                Resolution::Btf {
                    ext,
                    func,
                    weak,
                    calls,
                    loads,
                    ..
                } => {
                    let b = BtfExtern {
                        ext: *ext,
                        func: *func,
                        weak: *weak,
                        calls,
                        loads,
                    };
                    temps.push(self.resolve_btf(prog, pd, *l, &b)?);
                }
                Resolution::Kallsyms { weak, loads, .. } => self.kallsyms(pd, *l, *weak, loads),
                Resolution::StructOps { slot, .. } => self.struct_ops_target(pd, *slot)?,
            }
        }
        let log = [
            attr::prog_load::LOG_LEVEL,
            attr::prog_load::LOG_SIZE,
            attr::prog_load::LOG_BUF,
        ];
        self.load_logged(attr::BPF_PROG_LOAD, pd.attr, pd.attr_len, log);
        self.close_temps(step, &temps);
        self.check();
        self.e.store(Size::W, self.l.slots.prog(prog), Reg::R0);
        self.e.bind(skip);
        Ok(())
    }

    /// Closes the attach-target and module BTF fds the load needed, whatever its outcome
    /// (the result waits in `r7`, which then gets the step index back).
    fn close_temps(&mut self, step: i32, temps: &[u32]) {
        if temps.is_empty() {
            return;
        }
        self.e.push(&[insn::mov64_reg(Reg::R7, Reg::R0)]);
        for &slot in temps {
            self.e.safe_point();
            let next = self.e.label();
            self.e.load(Size::W, Reg::R1, slot);
            self.e.jmp_imm(JmpOp::Jeq, Reg::R1, 0, next);
            self.e.push(&[insn::call_helper(insn::BPF_FUNC_SYS_CLOSE)]);
            self.e.store_imm(Size::W, slot, 0);
            self.e.bind(next);
        }
        self.e.push(&[
            insn::mov64_reg(Reg::R0, Reg::R7),
            insn::mov64_imm(Reg::R7, step),
        ]);
    }

    /// `attach_btf_id` and `expected_attach_type` (the member index) from struct_ops program
    /// descriptor `slot`; a descriptor the runtime left empty fails the step with `EINVAL`
    /// (the program has no member to attach to).
    fn struct_ops_target(&mut self, pd: &ProgData, slot: u32) -> Result<(), CompileError> {
        self.e.note(format!(
            "struct_ops program: attach_btf_id (not 0) and expected_attach_type from \
             struct_ops_progs[{slot}]"
        ));
        let counts = self.plan.counts();
        let id = ctx::STRUCT_OPS_ATTACH_BTF_ID;
        let id = self.ctx_field(counts.struct_ops_prog_field(slot, id))?;
        let member = ctx::STRUCT_OPS_MEMBER_INDEX;
        let member = self.ctx_field(counts.struct_ops_prog_field(slot, member))?;
        self.e.push(&[insn::ldx_mem(Size::W, Reg::R1, Reg::R6, id)]);
        let einval = self.einval;
        self.e.jmp_imm(JmpOp::Jeq, Reg::R1, 0, einval);
        self.e.store(Size::W, pd.attr + pl::ATTACH_BTF_ID, Reg::R1);
        self.e
            .push(&[insn::ldx_mem(Size::W, Reg::R1, Reg::R6, member)]);
        self.e
            .store(Size::W, pd.attr + pl::EXPECTED_ATTACH_TYPE, Reg::R1);
        Ok(())
    }

    /// `attach_btf_id` and `attach_btf_obj_fd` from the target's BTF.
    fn attach_target(&mut self, pd: &ProgData, l: Lookup, kind: BtfTargetKind) {
        let kind = match kind {
            BtfTargetKind::Func => BTF_KIND_FUNC,
            BtfTargetKind::Typedef => BTF_KIND_TYPEDEF,
        };
        self.find_btf(l, kind);
        self.check();
        self.e.store(Size::W, pd.attr + pl::ATTACH_BTF_ID, Reg::R0);
        self.e.push(&[insn::alu64_imm(AluOp::Rsh, Reg::R0, 32)]);
        self.e
            .store(Size::W, pd.attr + pl::ATTACH_BTF_OBJ_FD, Reg::R0);
        self.e.store(Size::W, self.l.slots.attach(), Reg::R0);
    }

    /// A kfunc or typed ksym: patches BTF id and module BTF fd into every site. Returns the
    /// slot of the module BTF fd, which the caller closes after the load.
    fn resolve_btf(
        &mut self,
        prog: usize,
        pd: &ProgData,
        l: Lookup,
        b: &BtfExtern,
    ) -> Result<u32, CompileError> {
        let p = &self.spec.programs[prog];
        let (index, slot) = self
            .l
            .slots
            .module_btf(b.ext)
            .ok_or_else(|| bad(p, 0, "extern without a BTF slot"))?;
        let dsts: Vec<(u32, u8)> = b
            .loads
            .iter()
            .map(|&at| (at, p.insns.get(at as usize).map_or(0, |i| i.dst())))
            .collect();
        self.find_btf(l, if b.func { BTF_KIND_FUNC } else { BTF_KIND_VAR });
        let done = self.e.label();
        if b.weak {
            // Calls keep imm = off = 0 from the compiled image; loads become plain
            // `r = 0 ll` (src_reg cleared) so the program can test for the symbol.
            let found = self.e.label();
            self.e.jmp_imm(JmpOp::Jsge, Reg::R0, 0, found);
            for &(at, dst) in &dsts {
                self.e.safe_point();
                self.e
                    .store_imm(Size::B, pd.insns + at * 8 + 1, i32::from(dst));
            }
            self.e.ja(done);
            self.e.bind(found);
        } else {
            self.check();
        }
        for &at in b.calls.iter().chain(b.loads) {
            self.e.safe_point();
            self.e.store(Size::W, pd.insns + at * 8 + 4, Reg::R0);
        }
        self.e.push(&[insn::alu64_imm(AluOp::Rsh, Reg::R0, 32)]);
        self.e.store(Size::W, slot, Reg::R0);
        for &at in b.loads {
            self.e.safe_point();
            self.e.store(Size::W, pd.insns + at * 8 + 12, Reg::R0);
        }
        if !b.calls.is_empty() {
            // off = fd_array index of the module BTF; it stays 0 (vmlinux) without one.
            self.e.jmp_imm(JmpOp::Jeq, Reg::R0, 0, done);
            for &at in b.calls {
                self.e.safe_point();
                self.e
                    .store_imm(Size::H, pd.insns + at * 8 + 2, index as i32);
            }
        }
        self.e.bind(done);
        Ok(slot)
    }

    /// `r0 = bpf_btf_find_by_name_kind(name, len, kind, 0)`.
    fn find_btf(&mut self, l: Lookup, kind: i32) {
        self.e.blob_addr(Reg::R1, l.name);
        self.e.push(&[
            insn::mov64_imm(Reg::R2, l.name_len),
            insn::mov64_imm(Reg::R3, kind),
            insn::mov64_imm(Reg::R4, 0),
            insn::call_helper(insn::BPF_FUNC_BTF_FIND_BY_NAME_KIND),
        ]);
    }

    /// A typeless ksym: the kallsyms address split across the two immediates of each site.
    fn kallsyms(&mut self, pd: &ProgData, l: Lookup, weak: bool, loads: &[u32]) {
        self.e.blob_addr(Reg::R1, l.name);
        self.e.push(&[
            insn::mov64_imm(Reg::R2, l.name_len),
            insn::mov64_imm(Reg::R3, 0),
        ]);
        self.e.blob_addr(Reg::R4, l.result);
        self.e
            .push(&[insn::call_helper(insn::BPF_FUNC_KALLSYMS_LOOKUP_NAME)]);
        let done = self.e.label();
        if weak {
            // Only a missing symbol is tolerated; EPERM (kptr_restrict) must not read as NULL.
            self.e.jmp_imm(JmpOp::Jeq, Reg::R0, -ENOENT, done);
        }
        self.check();
        self.e.load(Size::DW, Reg::R1, l.result);
        for &at in loads {
            self.e.safe_point();
            self.e.store(Size::W, pd.insns + at * 8 + 4, Reg::R1);
        }
        self.e.push(&[insn::alu64_imm(AluOp::Rsh, Reg::R1, 32)]);
        for &at in loads {
            self.e.safe_point();
            self.e.store(Size::W, pd.insns + at * 8 + 12, Reg::R1);
        }
        self.e.bind(done);
    }
}
