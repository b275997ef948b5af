//! Compiles a [`LoaderPlan`] into the loader program and its data blob.
//!
//! Machine model: `r6` holds the context for the whole run and `r9` the blob (see
//! [`super::emit`]); `r7` holds the index of the plan step being performed, so the shared
//! error exit can report it; `r8` is the second blob base. A failing command leaves its
//! negative errno in `r0` and jumps to the error exit, which records step and errno in the
//! context and closes every fd slot of the blob's fd region (see [`super::slots`]), so
//! whatever step failed nothing stays open and no count is fixed in advance.

use super::ctx;
use super::emit::{Emitter, Label, AUX, BLOB};
use super::error::CompileError;
use super::insn::{self, AluOp, JmpOp, Reg, Size};
use super::placement::{Placement, StepData};
use super::plan::{LoaderPlan, Step};
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
    /// For each instruction index where a plan step (or a part of one) begins, its
    /// description (used by [`Blob::listing`]).
    pub annotations: Vec<(usize, String)>,
    /// A signed loader's signatures (set by whoever signs it: `skelgen::sign`); `None` for
    /// an unsigned loader and for a signed one not yet signed.
    pub signatures: Option<super::signed::LoaderSignatures>,
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
    compile_with(spec, false)
}

/// Compiles `spec`; a `signed` loader checks its blob's hash and refuses the context's
/// knobs that would change signed data (`docs/loader-abi.md`, section "Signed loaders").
pub(super) fn compile_with(spec: &ObjectSpec, signed: bool) -> Result<Blob, CompileError> {
    let plan = LoaderPlan::new(spec)?;
    let ctx_size = plan.ctx_size();
    if ctx_size > ctx::MAX_CTX_SIZE {
        return Err(CompileError::TooLarge {
            what: "loader context",
            size: ctx_size,
            limit: ctx::MAX_CTX_SIZE,
        });
    }
    let placement = Placement::new(spec, &plan)?;
    let mut c = Compiler::new(spec, &plan, placement, signed);
    c.e.push(&[insn::mov64_reg(Reg::R6, Reg::R1)]);
    c.e.blob_addr(BLOB, 0);
    for (i, step) in plan.steps.iter().enumerate() {
        c.e.note(format!("step {i}: {}", step_title(step)));
        c.e.safe_point();
        if !matches!(step, Step::Finish) {
            c.e.push(&[insn::mov64_imm(Reg::R7, step_index(i)?)]);
        }
        c.step(i, step)?;
    }
    c.error_exit();
    let (insns, annotations) = c.e.finish()?;
    let data = c.l.data.finish();
    if c.metadata_hash
        .is_some_and(|h| h != super::signed::metadata_hash(&data))
    {
        return Err(CompileError::Unsupported {
            what: "signed loader".into(),
            reason: "the blob changed after its hash was compiled in".into(),
        });
    }
    Ok(Blob {
        insns: insns.iter().flat_map(|i| i.0).collect(),
        data,
        plan: plan.clone(),
        ctx_size: ctx_size as u32,
        annotations,
        signatures: None,
    })
}

fn step_index(i: usize) -> Result<i32, CompileError> {
    i32::try_from(i).map_err(|_| CompileError::TooLarge {
        what: "plan steps",
        size: i as u64,
        limit: i32::MAX as u64,
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
    pub(super) l: Placement,
    /// The error exit: `r0` holds the negative errno, `r7` the step.
    pub(super) cleanup: Label,
    /// `r0 = -EINVAL`, then the error exit.
    pub(super) einval: Label,
    /// A signed loader: the blob's hash is checked, knobs that change signed data refused.
    pub(super) signed: bool,
    /// The blob hash compiled into a signed loader's check.
    pub(super) metadata_hash: Option<[u8; 32]>,
}

impl<'a> Compiler<'a> {
    fn new(spec: &'a ObjectSpec, plan: &'a LoaderPlan, l: Placement, signed: bool) -> Self {
        let mut e = Emitter::default();
        let cleanup = e.label();
        let einval = e.label();
        Compiler {
            spec,
            plan,
            e,
            l,
            cleanup,
            einval,
            signed,
            metadata_hash: None,
        }
    }

    fn step(&mut self, i: usize, step: &Step) -> Result<(), CompileError> {
        let data = self.l.steps[i].clone();
        match (step, data) {
            (Step::CheckContext, _) => self.check_context(),
            (Step::LoadBtf, StepData::Attr { attr, len }) => {
                use super::attr::btf_load as b;
                let log = [b::LOG_LEVEL, b::LOG_SIZE, b::LOG_BUF];
                self.load_logged(super::attr::BPF_BTF_LOAD, attr, len, log);
                self.check();
                self.e.store(Size::W, self.l.slots.btf(), Reg::R0);
                for at in self.l.btf_fd_users.clone() {
                    self.e.safe_point();
                    self.e.store(Size::W, at, Reg::R0);
                }
                Ok(())
            }
            (Step::CreateInnerMap { outer, .. }, StepData::Attr { attr, len }) => {
                self.create_inner_map(*outer, attr, len)
            }
            (Step::CreateMap { map, .. }, StepData::Attr { attr, len }) => {
                self.create_map(*map, attr, len)
            }
            (Step::UpdateElem { map, .. }, StepData::Update { attr, image, len }) => {
                self.update_elem(*map, attr, image, len)
            }
            (Step::Freeze { .. }, StepData::Attr { attr, len }) => {
                self.sys_bpf(super::attr::BPF_MAP_FREEZE, attr, len);
                self.check();
                Ok(())
            }
            (Step::FillSlot { target, .. }, StepData::Attr { attr, len }) => {
                self.fill_slot(*target, attr, len);
                Ok(())
            }
            (Step::LoadProgram { prog, resolve, .. }, StepData::Prog(pd)) => {
                self.load_program(step_index(i)?, *prog, resolve, &pd)
            }
            (Step::Finish, _) => self.finish(),
            _ => Err(CompileError::Unsupported {
                what: format!("plan step {i}"),
                reason: "its place in the blob does not match the step".into(),
            }),
        }
    }

    /// `r1 = cmd; r2 = &attr; r3 = size; r0 = bpf_sys_bpf(...)`.
    pub(super) fn sys_bpf(&mut self, cmd: i32, attr: u32, size: usize) {
        self.e.push(&[insn::mov64_imm(Reg::R1, cmd)]);
        self.e.blob_addr(Reg::R2, attr);
        self.e.push(&[
            insn::mov64_imm(Reg::R3, size as i32),
            insn::call_helper(insn::BPF_FUNC_SYS_BPF),
        ]);
    }

    /// `if r0 s< 0 goto cleanup`.
    pub(super) fn check(&mut self) {
        let l = self.cleanup;
        self.e.jmp_imm(JmpOp::Jslt, Reg::R0, 0, l);
    }

    /// A context field at the 16-bit offset loads and stores from `r6` can reach.
    pub(super) fn ctx_field(&self, off: u64) -> Result<i16, CompileError> {
        ctx_off16(off)
    }

    /// Checks the context, then stores the blob's own addresses into every attr that
    /// carries them.
    fn check_context(&mut self) -> Result<(), CompileError> {
        let checks = [
            (ctx::SZ, self.plan.ctx_size()),
            (ctx::ABI_VERSION, u64::from(self.plan.abi_version)),
            (ctx::NR_MAPS, u64::from(self.plan.nr_maps)),
            (ctx::NR_PROGS, u64::from(self.plan.nr_progs)),
        ];
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
            let l = self.einval;
            self.e.jmp_imm(JmpOp::Jne, Reg::R1, want, l);
        }
        if !self.l.pointers.is_empty() {
            self.e.note("step 0: blob addresses into the attrs".into());
        }
        if self.signed {
            self.metadata_check()?;
        }
        self.store_pointers()
    }

    /// `*(u64 *)&blob[field] = &blob[target]` for every pointer of every attr.
    fn store_pointers(&mut self) -> Result<(), CompileError> {
        let Some(table) = self.l.pointer_table else {
            for (field, target) in self.l.pointers.clone() {
                self.e.safe_point();
                self.e.blob_addr(Reg::R1, target);
                self.e.store(Size::DW, field, Reg::R1);
            }
            return Ok(());
        };
        // A loop over (field, target) pairs: the verifier walks it once per entry with a
        // known counter, and the bounds checks let it prove every access is in the blob.
        let len = self.data_len()?;
        let einval = self.einval;
        self.counted_loop(self.l.pointers.len(), table, |e| {
            e.push(&[
                insn::ldx_mem(Size::W, Reg::R3, Reg::R2, 0),
                insn::ldx_mem(Size::W, Reg::R4, Reg::R2, 4),
            ]);
            e.jmp_imm(JmpOp::Jgt, Reg::R3, len - 8, einval);
            e.jmp_imm(JmpOp::Jgt, Reg::R4, len, einval);
            e.push(&[
                insn::alu64_reg(AluOp::Add, Reg::R3, BLOB),
                insn::alu64_reg(AluOp::Add, Reg::R4, BLOB),
                insn::stx_mem(Size::DW, Reg::R3, Reg::R4, 0),
                insn::alu64_imm(AluOp::Add, Reg::R2, 8),
            ]);
        })
    }

    /// `BPF_BTF_LOAD` or `BPF_PROG_LOAD` of the attr at `attr`, first without a log; a failed
    /// load is repeated with the context's log settings (`fields`: the attr's `log_level`,
    /// `log_size` and `log_buf`) when it asks for a log. So the log holds only what the
    /// failing load wrote: a load that succeeded writes none (a successful BTF load logs
    /// every type, and would fail with ENOSPC on a buffer too small for that), and a failure
    /// at another step leaves the log as the runtime handed it over. Ends with the result in
    /// `r0`.
    pub(super) fn load_logged(&mut self, cmd: i32, attr: u32, size: usize, fields: [u32; 3]) {
        let done = self.e.label();
        self.sys_bpf(cmd, attr, size);
        self.e.jmp_imm(JmpOp::Jsge, Reg::R0, 0, done);
        self.e
            .push(&[insn::ldx_mem(Size::W, Reg::R1, Reg::R6, ctx::LOG_LEVEL)]);
        self.e.jmp_imm(JmpOp::Jeq, Reg::R1, 0, done);
        let [level, size_field, buf] = fields;
        self.e.store(Size::W, attr + level, Reg::R1);
        self.e
            .push(&[insn::ldx_mem(Size::W, Reg::R1, Reg::R6, ctx::LOG_SIZE)]);
        self.e.store(Size::W, attr + size_field, Reg::R1);
        self.e
            .push(&[insn::ldx_mem(Size::DW, Reg::R1, Reg::R6, ctx::LOG_BUF)]);
        self.e.store(Size::DW, attr + buf, Reg::R1);
        self.sys_bpf(cmd, attr, size);
        self.e.bind(done);
    }

    /// `r1 = n; r2 = &blob[table]; do { body } while (--r1)`. The body reads its entry
    /// through `r2`, advances it, and may use `r0` and `r3`-`r5`.
    fn counted_loop(
        &mut self,
        n: usize,
        table: u32,
        body: impl FnOnce(&mut Emitter),
    ) -> Result<(), CompileError> {
        let n = i32::try_from(n).map_err(|_| CompileError::TooLarge {
            what: "setup table",
            size: n as u64,
            limit: i32::MAX as u64,
        })?;
        self.e.push(&[insn::mov64_imm(Reg::R1, n)]);
        self.e.blob_addr(Reg::R2, table);
        let top = self.e.len();
        body(&mut self.e);
        self.e.push(&[insn::alu64_imm(AluOp::Add, Reg::R1, -1)]);
        let back = top as i64 - (self.e.len() as i64 + 1);
        let back = i16::try_from(back).map_err(|_| CompileError::JumpTooFar {
            from: self.e.len(),
            to: top,
        })?;
        self.e.push(&[insn::jmp_imm(JmpOp::Jne, Reg::R1, 0, back)]);
        Ok(())
    }

    /// The blob size as the bound of the setup loops' checks.
    fn data_len(&self) -> Result<i32, CompileError> {
        let len = self.l.data_len();
        i32::try_from(len).map_err(|_| CompileError::too_large("loader data blob", len))
    }

    fn finish(&mut self) -> Result<(), CompileError> {
        if self.plan.steps.contains(&Step::LoadBtf) {
            // Maps and programs hold their own references to the BTF object.
            self.e.load(Size::W, Reg::R1, self.l.slots.btf());
            self.e.push(&[insn::call_helper(insn::BPF_FUNC_SYS_CLOSE)]);
        }
        let nm = self.plan.nr_maps;
        let fds = (0..nm)
            .map(|i| (self.l.slots.map(i as usize), ctx::map_field(i, ctx::MAP_FD)))
            .chain((0..self.plan.nr_progs).map(|j| {
                (
                    self.l.slots.prog(j as usize),
                    ctx::prog_field(nm, j, ctx::PROG_FD),
                )
            }))
            .collect::<Vec<_>>();
        for (slot, field) in fds {
            self.e.safe_point();
            self.e.load(Size::W, Reg::R1, slot);
            let off = self.ctx_field(field)?;
            self.e
                .push(&[insn::stx_mem(Size::W, Reg::R6, Reg::R1, off)]);
        }
        // failed_step = NO_STEP and error = 0 in one store: `w1 = -1` zero-extends.
        debug_assert_eq!(ctx::ERROR, ctx::FAILED_STEP + 4);
        self.e.push(&[
            insn::mov32_imm(Reg::R1, -1),
            insn::stx_mem(Size::DW, Reg::R6, Reg::R1, ctx::FAILED_STEP),
            insn::mov64_imm(Reg::R0, 0),
            insn::exit(),
        ]);
        Ok(())
    }

    /// The shared error exit: reports step and errno, closes every fd slot, returns the
    /// errno.
    fn error_exit(&mut self) {
        self.e
            .note("error exit: report the failing step, close every fd".into());
        let (einval, cleanup) = (self.einval, self.cleanup);
        self.e.bind(einval);
        self.e.push(&[insn::mov64_imm(Reg::R0, -EINVAL)]);
        self.e.bind(cleanup);
        let slots = self.l.slots.count() as i32;
        // From here every failing step has the same registers (counter, walker), so the
        // verifier checks the loop once rather than once per step.
        self.e.push(&[
            insn::stx_mem(Size::W, Reg::R6, Reg::R7, ctx::FAILED_STEP),
            insn::stx_mem(Size::W, Reg::R6, Reg::R0, ctx::ERROR),
            insn::mov64_imm(Reg::R7, slots),
            insn::mov64_reg(AUX, BLOB),
            insn::ldx_mem(Size::W, Reg::R1, AUX, 0),
            insn::jmp_imm(JmpOp::Jeq, Reg::R1, 0, 1),
            insn::call_helper(insn::BPF_FUNC_SYS_CLOSE),
            insn::alu64_imm(AluOp::Add, AUX, 4),
            insn::alu64_imm(AluOp::Add, Reg::R7, -1),
            insn::jmp_imm(JmpOp::Jne, Reg::R7, 0, -6),
            insn::ldx_mem(Size::W, Reg::R0, Reg::R6, ctx::ERROR),
            insn::alu64_imm(AluOp::Lsh, Reg::R0, 32),
            insn::alu64_imm(AluOp::Arsh, Reg::R0, 32),
            insn::exit(),
        ]);
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
