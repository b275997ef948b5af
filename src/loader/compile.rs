//! Compiles a [`LoaderPlan`] into the loader program and its data blob.
//!
//! Machine model: `r6` holds the context for the whole run; `r7` the result of the last
//! command (an fd or a negative errno); `r8` the index of the plan step being performed, so
//! the cleanup block can report it; `r9` is scratch that survives helper calls. Every fd the
//! loader creates lives in a slot of the blob's fd region (see [`Slots`]), so the cleanup
//! block can close all of them whatever step failed, and no count is fixed in advance.

use super::attr::{self, Attr};
use super::ctx;
use super::emit::{Data, Emitter, Label};
use super::error::CompileError;
use super::insn::{self, AluOp, JmpOp, Reg, Size};
use super::plan::{LoaderPlan, Step};
use super::slots::Slots;
use crate::ir::ObjectSpec;
use serde::Serialize;
use std::fmt::Write as _;

/// `EINVAL`, returned when the context does not match the compiled loader.
pub(super) const EINVAL: i32 = 22;

/// License of the loader program itself (it calls GPL-only helpers).
pub const LOADER_LICENSE: &str = "Dual BSD/GPL";
/// `prog_flags` the runtime loads the loader with: `BPF_F_SLEEPABLE`, needed by
/// `bpf_copy_from_user`.
pub const LOADER_PROG_FLAGS: u32 = crate::uapi::BPF_F_SLEEPABLE;

/// The compiled loader: what every runtime embeds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Blob {
    /// Loader instructions, 8 bytes each, little-endian.
    pub insns: Vec<u8>,
    /// The loader map's single value (key 0).
    pub data: Vec<u8>,
    /// The plan the instructions perform.
    pub plan: LoaderPlan,
    /// Size in bytes of the context the runtime passes (`ctx.sz`).
    pub ctx_size: u32,
    /// For each instruction index where a plan step begins, the step's description
    /// (used by [`Blob::listing`]).
    pub annotations: Vec<(usize, String)>,
}

impl Blob {
    /// Number of loader instructions.
    pub fn insn_count(&self) -> usize {
        self.insns.len() / 8
    }

    /// The loader disassembled, with a comment before each plan step's instructions.
    pub fn listing(&self) -> String {
        let insns: Vec<crate::ir::Insn> = self
            .insns
            .chunks_exact(8)
            .map(|c| crate::ir::Insn(c.try_into().unwrap_or([0; 8])))
            .collect();
        let text = super::asm::disassemble_annotated(&insns);
        let mut out = String::new();
        let mut notes = self.annotations.iter().peekable();
        for (i, line) in text.iter().enumerate() {
            while let Some((_, note)) = notes.next_if(|(at, _)| *at == i) {
                let _ = writeln!(out, "; {note}");
            }
            if !line.is_empty() {
                let _ = writeln!(out, "{i:6}: {line}");
            }
        }
        out
    }
}

/// Compiles `spec` into a loader program and its data.
pub fn compile(spec: &ObjectSpec) -> Result<Blob, CompileError> {
    let plan = LoaderPlan::new(spec)?;
    let ctx_size = ctx::ctx_size(plan.nr_maps, plan.nr_progs);
    if ctx_size > ctx::MAX_CTX_SIZE {
        return Err(CompileError::TooLarge {
            what: "loader context",
            size: ctx_size,
            limit: ctx::MAX_CTX_SIZE,
        });
    }
    let mut c = Compiler::new(spec, &plan)?;
    c.e.push(&[insn::mov64_reg(Reg::R6, Reg::R1)]);
    for (i, step) in plan.steps.iter().enumerate() {
        c.e.note(format!("step {i}: {}", step_title(step)));
        c.e.push(&[insn::mov64_imm(Reg::R8, i as i32)]);
        c.step(step)?;
    }
    c.cleanup_block()?;
    let (insns, annotations) = c.e.finish()?;
    Ok(Blob {
        insns: insns.iter().flat_map(|i| i.0).collect(),
        data: c.d.finish(),
        plan: plan.clone(),
        ctx_size: ctx_size as u32,
        annotations,
    })
}

fn step_title(step: &Step) -> String {
    match step {
        Step::CheckContext => "check context".into(),
        Step::LoadBtf => "BTF_LOAD".into(),
        Step::CreateInnerMap { name, .. } => format!("MAP_CREATE inner prototype of {name}"),
        Step::CreateMap { name, .. } => format!("MAP_CREATE {name}"),
        Step::UpdateElem { name, .. } => format!("MAP_UPDATE_ELEM {name}"),
        Step::Freeze { name, .. } => format!("MAP_FREEZE {name}"),
        Step::FillSlot { text, .. } => format!("MAP_UPDATE_ELEM {text}"),
        Step::LoadProgram { name, .. } => format!("PROG_LOAD {name}"),
        Step::Finish => "finish".into(),
    }
}

/// Compilation state.
pub(super) struct Compiler<'a> {
    pub(super) spec: &'a ObjectSpec,
    pub(super) plan: &'a LoaderPlan,
    pub(super) e: Emitter,
    pub(super) d: Data,
    pub(super) slots: Slots,
    pub(super) cleanup: Label,
    /// Blob offset of the license string.
    pub(super) license: Option<u32>,
}

impl<'a> Compiler<'a> {
    fn new(spec: &'a ObjectSpec, plan: &'a LoaderPlan) -> Result<Self, CompileError> {
        let mut d = Data::default();
        let slots = Slots::new(spec, plan)?;
        // The fd region comes first: its start doubles as the fd_array of every PROG_LOAD.
        let fd_off = d.zeros(slots.total_bytes())?;
        debug_assert_eq!(fd_off, 0);
        let mut e = Emitter::default();
        let cleanup = e.label();
        Ok(Compiler {
            spec,
            plan,
            e,
            d,
            slots,
            cleanup,
            license: None,
        })
    }

    fn step(&mut self, step: &Step) -> Result<(), CompileError> {
        let spec = self.spec;
        match step {
            Step::CheckContext => self.check_context(),
            Step::LoadBtf => self.load_btf(),
            Step::CreateInnerMap { outer, .. } => {
                let m = spec.maps[*outer]
                    .inner
                    .as_deref()
                    .ok_or_else(|| CompileError::BadMap {
                        map: spec.maps[*outer].name.clone(),
                        reason: "no inner map definition".into(),
                    })?;
                self.create_map(m, None)
            }
            Step::CreateMap { map, .. } => self.create_map(&spec.maps[*map], Some(*map)),
            Step::UpdateElem { map, .. } => self.update_elem(*map),
            Step::Freeze { map, .. } => self.freeze(*map),
            Step::FillSlot {
                outer,
                index,
                target,
                ..
            } => self.fill_slot(*outer, *index, *target),
            Step::LoadProgram { prog, resolve, .. } => self.load_program(*prog, resolve),
            Step::Finish => self.finish(),
        }
    }

    /// `r1 = cmd; r2 = &attr; r3 = size; r7 = bpf_sys_bpf(...)`, then the error check.
    pub(super) fn sys_bpf(&mut self, cmd: i32, attr_off: u32, size: usize) {
        self.e.push(&[insn::mov64_imm(Reg::R1, cmd)]);
        self.e.blob_addr(Reg::R2, attr_off);
        self.e.push(&[
            insn::mov64_imm(Reg::R3, size as i32),
            insn::call_helper(insn::BPF_FUNC_SYS_BPF),
            insn::mov64_reg(Reg::R7, Reg::R0),
        ]);
        self.check_r7();
    }

    /// `if r7 s< 0 goto cleanup`.
    pub(super) fn check_r7(&mut self) {
        let l = self.cleanup;
        self.e.jmp_imm(JmpOp::Jslt, Reg::R7, 0, l);
    }

    /// Copies a context field into the blob.
    pub(super) fn ctx_to_blob(
        &mut self,
        size: Size,
        ctx_off: u64,
        blob_off: u32,
    ) -> Result<(), CompileError> {
        let off = ctx_off16(ctx_off)?;
        self.e.push(&[insn::ldx_mem(size, Reg::R1, Reg::R6, off)]);
        self.e.store_blob(size, blob_off, Reg::R1, Reg::R2);
        Ok(())
    }

    /// Copies a 32-bit blob value (an fd slot) into an attr field.
    pub(super) fn blob_to_blob32(&mut self, from: u32, to: u32) {
        self.e.load_blob(Size::W, Reg::R1, from);
        self.e.store_blob(Size::W, to, Reg::R1, Reg::R2);
    }

    /// Closes the fd in blob slot `off` if it is set, and clears the slot.
    pub(super) fn close_slot(&mut self, off: u32) {
        let skip = self.e.label();
        self.e.load_blob(Size::W, Reg::R1, off);
        self.e.jmp_imm(JmpOp::Jeq, Reg::R1, 0, skip);
        self.e.push(&[insn::call_helper(insn::BPF_FUNC_SYS_CLOSE)]);
        self.e.blob_addr(Reg::R1, off);
        self.e.push(&[insn::st_mem(Size::W, Reg::R1, 0, 0)]);
        self.e.bind(skip);
    }

    /// Copies `log_level`, `log_size` and `log_buf` from the context into an attr.
    pub(super) fn copy_log(&mut self, level: u32, size: u32, buf: u32) -> Result<(), CompileError> {
        self.ctx_to_blob(Size::W, ctx::LOG_LEVEL as u64, level)?;
        self.ctx_to_blob(Size::W, ctx::LOG_SIZE as u64, size)?;
        self.ctx_to_blob(Size::DW, ctx::LOG_BUF as u64, buf)
    }

    fn check_context(&mut self) -> Result<(), CompileError> {
        let checks = [
            (
                ctx::SZ,
                ctx::ctx_size(self.plan.nr_maps, self.plan.nr_progs),
            ),
            (ctx::ABI_VERSION, u64::from(self.plan.abi_version)),
            (ctx::NR_MAPS, u64::from(self.plan.nr_maps)),
            (ctx::NR_PROGS, u64::from(self.plan.nr_progs)),
        ];
        self.e.push(&[insn::mov64_imm(Reg::R7, -EINVAL)]);
        for (off, want) in checks {
            // Every expected value is at most the 32 KiB context limit or a u32 count that
            // the context limit already bounds.
            let want = i32::try_from(want).map_err(|_| CompileError::TooLarge {
                what: "context",
                size: want,
                limit: i32::MAX as u64,
            })?;
            self.e
                .push(&[insn::ldx_mem(Size::W, Reg::R1, Reg::R6, off)]);
            let l = self.cleanup;
            self.e.jmp_imm(JmpOp::Jne, Reg::R1, want, l);
        }
        Ok(())
    }

    fn load_btf(&mut self) -> Result<(), CompileError> {
        use attr::btf_load as b;
        let btf = &self.spec.btf.0;
        let size = u32::try_from(btf.len()).map_err(|_| too_large("BTF", btf.len()))?;
        let btf_off = self.d.add(btf)?;
        let mut a = Attr::with_min(b::ATTR_SIZE);
        a.u32(b::SIZE, size);
        let a = a.finish();
        let attr_off = self.d.add(&a)?;
        self.e.store_blob_ptr(attr_off + b::BTF, btf_off);
        self.copy_log(
            attr_off + b::LOG_LEVEL,
            attr_off + b::LOG_SIZE,
            attr_off + b::LOG_BUF,
        )?;
        self.sys_bpf(attr::BPF_BTF_LOAD, attr_off, a.len());
        self.e
            .store_blob(Size::W, self.slots.btf(), Reg::R7, Reg::R1);
        Ok(())
    }

    fn finish(&mut self) -> Result<(), CompileError> {
        // Maps and programs hold their own references to the BTF object.
        self.close_slot(self.slots.btf());
        for i in 0..self.plan.nr_maps {
            self.e
                .load_blob(Size::W, Reg::R1, self.slots.map(i as usize));
            let off = ctx_off16(ctx::map_field(i, ctx::MAP_FD))?;
            self.e
                .push(&[insn::stx_mem(Size::W, Reg::R6, Reg::R1, off)]);
        }
        for j in 0..self.plan.nr_progs {
            self.e
                .load_blob(Size::W, Reg::R1, self.slots.prog(j as usize));
            let off = ctx_off16(ctx::prog_field(self.plan.nr_maps, j, ctx::PROG_FD))?;
            self.e
                .push(&[insn::stx_mem(Size::W, Reg::R6, Reg::R1, off)]);
        }
        self.e.push(&[
            insn::mov64_imm(Reg::R1, -1),
            insn::stx_mem(Size::W, Reg::R6, Reg::R1, ctx::FAILED_STEP),
            insn::mov64_imm(Reg::R0, 0),
            insn::stx_mem(Size::W, Reg::R6, Reg::R0, ctx::ERROR),
            insn::exit(),
        ]);
        Ok(())
    }

    /// Reports the step and errno, closes every fd slot, and returns the errno.
    fn cleanup_block(&mut self) -> Result<(), CompileError> {
        self.e
            .note("cleanup: report the failing step, close every fd created so far".into());
        let l = self.cleanup;
        self.e.bind(l);
        self.e.push(&[
            insn::stx_mem(Size::W, Reg::R6, Reg::R8, ctx::FAILED_STEP),
            insn::stx_mem(Size::W, Reg::R6, Reg::R7, ctx::ERROR),
            // Identical registers from every failing step let the verifier check this block
            // once instead of once per step.
            insn::mov64_imm(Reg::R7, 0),
            insn::mov64_imm(Reg::R8, 0),
        ]);
        const CHUNK: u32 = 4096;
        for i in 0..self.slots.count() {
            if i % CHUNK == 0 {
                self.e.blob_addr(Reg::R9, self.slots.slot_off(i));
            }
            let off = ((i % CHUNK) * 4) as i16;
            self.e.push(&[
                insn::ldx_mem(Size::W, Reg::R1, Reg::R9, off),
                insn::jmp_imm(JmpOp::Jeq, Reg::R1, 0, 1),
                insn::call_helper(insn::BPF_FUNC_SYS_CLOSE),
            ]);
        }
        self.e.push(&[
            insn::ldx_mem(Size::W, Reg::R0, Reg::R6, ctx::ERROR),
            insn::alu64_imm(AluOp::Lsh, Reg::R0, 32),
            insn::alu64_imm(AluOp::Arsh, Reg::R0, 32),
            insn::exit(),
        ]);
        Ok(())
    }
}

/// A context offset as the 16-bit offset of a load or store from `r6`.
pub(super) fn ctx_off16(off: u64) -> Result<i16, CompileError> {
    i16::try_from(off).map_err(|_| CompileError::TooLarge {
        what: "context offset",
        size: off,
        limit: i16::MAX as u64,
    })
}

pub(super) fn too_large(what: &'static str, size: usize) -> CompileError {
    CompileError::TooLarge {
        what,
        size: size as u64,
        limit: u32::MAX.into(),
    }
}
