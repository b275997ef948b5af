//! The `LoadProgram` step: run-time resolutions patched into the blob's copy of the
//! program, then `BPF_PROG_LOAD`, then closing the module BTF fds the load needed.

use super::attr::{self, prog_load as pl, Attr};
use super::compile::{ctx_off16, too_large, Compiler};
use super::ctx;
use super::error::CompileError;
use super::insn::{self, AluOp, JmpOp, Reg, Size};
use super::plan::Resolution;
use crate::ir::{BtfTargetKind, Insn, ProgramSpec, RelocKind};
use crate::uapi;

/// `BTF_KIND_TYPEDEF`.
const BTF_KIND_TYPEDEF: i32 = 8;
/// `BTF_KIND_FUNC`.
const BTF_KIND_FUNC: i32 = 12;
/// `BTF_KIND_VAR`.
const BTF_KIND_VAR: i32 = 14;
/// `ENOENT`, what `bpf_kallsyms_lookup_name` returns for a missing symbol.
const ENOENT: i32 = 2;
/// `sizeof(struct bpf_func_info)`, `bpf_line_info`, `bpf_core_relo`.
const FUNC_INFO_SIZE: u32 = 8;
const LINE_INFO_SIZE: u32 = 16;
const CORE_RELO_SIZE: u32 = 16;
const CALL: u8 = insn::BPF_JMP | insn::BPF_CALL;
const LD_IMM64: u8 = insn::BPF_LD | Size::DW as u8 | insn::BPF_IMM;

/// Where the pieces of one program live in the blob.
struct ProgData {
    insns: u32,
    attr: u32,
    attr_len: usize,
}

impl Compiler<'_> {
    pub(super) fn load_program(
        &mut self,
        prog: usize,
        resolve: &[Resolution],
    ) -> Result<(), CompileError> {
        let p = &self.spec.programs[prog];
        let skip = self.e.label();
        let autoload = ctx_off16(ctx::prog_field(
            self.plan.nr_maps,
            prog as u32,
            ctx::PROG_AUTOLOAD,
        ))?;
        self.e
            .push(&[insn::ldx_mem(Size::W, Reg::R1, Reg::R6, autoload)]);
        self.e.jmp_imm(JmpOp::Jeq, Reg::R1, 0, skip);
        let pd = self.prog_data(p, resolve)?;
        for r in resolve {
            self.resolve(p, &pd, r)?;
        }
        self.sys_bpf_unchecked(attr::BPF_PROG_LOAD, pd.attr, pd.attr_len);
        // Module BTF fds are only needed during the load: close them whatever its outcome.
        for r in resolve {
            match r {
                Resolution::AttachTarget { .. } => self.close_slot(self.slots.attach()),
                Resolution::Btf { ext, .. } => {
                    if let Some((_, off)) = self.slots.module_btf(*ext) {
                        self.close_slot(off);
                    }
                }
                Resolution::Kallsyms { .. } => {}
            }
        }
        self.check_r7();
        self.e
            .store_blob(Size::W, self.slots.prog(prog), Reg::R7, Reg::R1);
        self.e.bind(skip);
        Ok(())
    }

    /// `bpf_sys_bpf` without the error check, so cleanup of temporary fds can run first.
    fn sys_bpf_unchecked(&mut self, cmd: i32, attr_off: u32, size: usize) {
        self.e.push(&[insn::mov64_imm(Reg::R1, cmd)]);
        self.e.blob_addr(Reg::R2, attr_off);
        self.e.push(&[
            insn::mov64_imm(Reg::R3, size as i32),
            insn::call_helper(insn::BPF_FUNC_SYS_BPF),
            insn::mov64_reg(Reg::R7, Reg::R0),
        ]);
    }

    /// Adds the program's instructions, BTF.ext records and attr to the blob, and emits the
    /// stores of their addresses and of the run-time attr fields.
    fn prog_data(
        &mut self,
        p: &ProgramSpec,
        resolve: &[Resolution],
    ) -> Result<ProgData, CompileError> {
        let insns = self.d.add(&normalized_insns(p)?)?;
        let license = self.license_off()?;
        // Without BTF the kernel cannot use func_info, line_info or CO-RE records.
        let ext = match self.spec.btf.0.is_empty() {
            true => ExtInfo::default(),
            false => ExtInfo::new(p)?,
        };
        let attach = resolve
            .iter()
            .any(|r| matches!(r, Resolution::AttachTarget { .. }));
        let a = prog_attr(p, self.spec.kern_version, &ext, attach)?;
        let attr_off = self.d.add(&a)?;

        self.e.store_blob_ptr(attr_off + pl::INSNS, insns);
        self.e.store_blob_ptr(attr_off + pl::LICENSE, license);
        self.copy_log(
            attr_off + pl::LOG_LEVEL,
            attr_off + pl::LOG_SIZE,
            attr_off + pl::LOG_BUF,
        )?;
        if !ext.is_empty() {
            self.blob_to_blob32(self.slots.btf(), attr_off + pl::PROG_BTF_FD);
        }
        for (bytes, field) in [
            (&ext.func_info, pl::FUNC_INFO),
            (&ext.line_info, pl::LINE_INFO),
            (&ext.core, pl::CORE_RELOS),
        ] {
            if !bytes.is_empty() {
                let off = self.d.add(bytes)?;
                self.e.store_blob_ptr(attr_off + field, off);
            }
        }
        if uses_fd_array(p) {
            self.e
                .store_blob_ptr(attr_off + pl::FD_ARRAY, self.slots.slot_off(0));
        }
        Ok(ProgData {
            insns,
            attr: attr_off,
            attr_len: a.len(),
        })
    }

    /// The object's license string, added to the blob once.
    fn license_off(&mut self) -> Result<u32, CompileError> {
        if let Some(off) = self.license {
            return Ok(off);
        }
        let mut l = self.spec.license.as_bytes().to_vec();
        l.push(0);
        let off = self.d.add(&l)?;
        self.license = Some(off);
        Ok(off)
    }

    fn resolve(
        &mut self,
        p: &ProgramSpec,
        pd: &ProgData,
        r: &Resolution,
    ) -> Result<(), CompileError> {
        match r {
            Resolution::AttachTarget { name, btf_kind } => {
                let kind = match btf_kind {
                    BtfTargetKind::Func => BTF_KIND_FUNC,
                    BtfTargetKind::Typedef => BTF_KIND_TYPEDEF,
                };
                self.find_btf(name, kind)?;
                self.e.push(&[insn::mov64_reg(Reg::R7, Reg::R0)]);
                self.check_r7();
                self.e
                    .store_blob(Size::W, pd.attr + pl::ATTACH_BTF_ID, Reg::R7, Reg::R1);
                self.e.push(&[insn::alu64_imm(AluOp::Rsh, Reg::R7, 32)]);
                self.e
                    .store_blob(Size::W, pd.attr + pl::ATTACH_BTF_OBJ_FD, Reg::R7, Reg::R1);
                self.e
                    .store_blob(Size::W, self.slots.attach(), Reg::R7, Reg::R1);
                Ok(())
            }
            Resolution::Btf {
                ext,
                name,
                func,
                weak,
                calls,
                loads,
            } => self.resolve_btf(p, pd, (*ext, name), *func, *weak, (calls, loads)),
            Resolution::Kallsyms {
                name, weak, loads, ..
            } => self.kallsyms(pd, name, *weak, loads),
        }
    }

    /// A kfunc or typed ksym: patches BTF id and module BTF fd into every site.
    fn resolve_btf(
        &mut self,
        p: &ProgramSpec,
        pd: &ProgData,
        (ext, name): (usize, &str),
        func: bool,
        weak: bool,
        (calls, loads): (&[u32], &[u32]),
    ) -> Result<(), CompileError> {
        let kind = if func { BTF_KIND_FUNC } else { BTF_KIND_VAR };
        let (index, slot) = self
            .slots
            .module_btf(ext)
            .ok_or_else(|| bad(p, 0, "extern without a BTF slot"))?;
        self.find_btf(name, kind)?;
        let (found, done) = (self.e.label(), self.e.label());
        self.e.jmp_imm(JmpOp::Jsge, Reg::R0, 0, found);
        if weak {
            // Calls keep imm = off = 0 from the compiled image; loads become plain
            // `r = 0 ll` so the program can test for the symbol.
            for &at in loads {
                let dst = p.insns.get(at as usize).map_or(0, |i| i.dst());
                self.e.blob_addr(Reg::R1, pd.insns + at * 8);
                self.e
                    .push(&[insn::st_mem(Size::B, Reg::R1, 1, i32::from(dst))]);
            }
            self.e.ja(done);
        } else {
            self.e.push(&[insn::mov64_reg(Reg::R7, Reg::R0)]);
            let l = self.cleanup;
            self.e.ja(l);
        }
        self.e.bind(found);
        self.e.push(&[insn::mov64_reg(Reg::R9, Reg::R0)]);
        for &at in calls.iter().chain(loads) {
            self.e
                .store_blob(Size::W, pd.insns + at * 8 + 4, Reg::R9, Reg::R1);
        }
        self.e.push(&[insn::alu64_imm(AluOp::Rsh, Reg::R9, 32)]);
        self.e.store_blob(Size::W, slot, Reg::R9, Reg::R1);
        for &at in loads {
            self.e
                .store_blob(Size::W, pd.insns + at * 8 + 12, Reg::R9, Reg::R1);
        }
        if !calls.is_empty() {
            // off = fd_array index of the module BTF, or 0 for vmlinux.
            self.e.push(&[
                insn::mov64_imm(Reg::R3, index as i32),
                insn::jmp_imm(JmpOp::Jne, Reg::R9, 0, 1),
                insn::mov64_imm(Reg::R3, 0),
            ]);
            for &at in calls {
                self.e
                    .store_blob(Size::H, pd.insns + at * 8 + 2, Reg::R3, Reg::R1);
            }
        }
        self.e.bind(done);
        Ok(())
    }

    /// `r0 = bpf_btf_find_by_name_kind(name, len + 1, kind, 0)`.
    fn find_btf(&mut self, name: &str, kind: i32) -> Result<(), CompileError> {
        let (off, len) = self.name(name)?;
        self.e.blob_addr(Reg::R1, off);
        self.e.push(&[
            insn::mov64_imm(Reg::R2, len),
            insn::mov64_imm(Reg::R3, kind),
            insn::mov64_imm(Reg::R4, 0),
            insn::call_helper(insn::BPF_FUNC_BTF_FIND_BY_NAME_KIND),
        ]);
        Ok(())
    }

    /// A NUL-terminated name in the blob: offset and size with the NUL.
    fn name(&mut self, name: &str) -> Result<(u32, i32), CompileError> {
        let mut bytes = name.as_bytes().to_vec();
        bytes.push(0);
        let len = i32::try_from(bytes.len()).map_err(|_| too_large("symbol name", bytes.len()))?;
        Ok((self.d.add(&bytes)?, len))
    }

    fn kallsyms(
        &mut self,
        pd: &ProgData,
        name: &str,
        weak: bool,
        loads: &[u32],
    ) -> Result<(), CompileError> {
        let (off, len) = self.name(name)?;
        let res = self.d.zeros(8)?;
        self.e.blob_addr(Reg::R1, off);
        self.e
            .push(&[insn::mov64_imm(Reg::R2, len), insn::mov64_imm(Reg::R3, 0)]);
        self.e.blob_addr(Reg::R4, res);
        self.e
            .push(&[insn::call_helper(insn::BPF_FUNC_KALLSYMS_LOOKUP_NAME)]);
        let (found, done) = (self.e.label(), self.e.label());
        self.e.jmp_imm(JmpOp::Jsge, Reg::R0, 0, found);
        if weak {
            // Only a missing symbol is tolerated; EPERM (kptr_restrict) must not read as NULL.
            self.e.jmp_imm(JmpOp::Jeq, Reg::R0, -ENOENT, done);
        }
        self.e.push(&[insn::mov64_reg(Reg::R7, Reg::R0)]);
        let l = self.cleanup;
        self.e.ja(l);
        self.e.bind(found);
        self.e.load_blob(Size::DW, Reg::R9, res);
        for &at in loads {
            self.e
                .store_blob(Size::W, pd.insns + at * 8 + 4, Reg::R9, Reg::R1);
        }
        self.e.push(&[insn::alu64_imm(AluOp::Rsh, Reg::R9, 32)]);
        for &at in loads {
            self.e
                .store_blob(Size::W, pd.insns + at * 8 + 12, Reg::R9, Reg::R1);
        }
        self.e.bind(done);
        Ok(())
    }
}

/// A program's BTF.ext records in their kernel layouts.
#[derive(Default)]
struct ExtInfo {
    func_info: Vec<u8>,
    line_info: Vec<u8>,
    core: Vec<u8>,
    counts: [u32; 3],
}

impl ExtInfo {
    fn new(p: &ProgramSpec) -> Result<Self, CompileError> {
        let func_info = p
            .func_info
            .iter()
            .flat_map(|f| [f.insn, f.type_id])
            .flat_map(u32::to_le_bytes)
            .collect();
        let line_info = p
            .line_info
            .iter()
            .flat_map(|l| [l.insn, l.file_name_off, l.line_off, l.line_col])
            .flat_map(u32::to_le_bytes)
            .collect();
        let mut core = Vec::new();
        for r in &p.core_relos {
            // bpf_core_relo counts its instruction in bytes.
            let off = r
                .insn
                .checked_mul(8)
                .ok_or_else(|| bad(p, r.insn, "CO-RE relocation past the program"))?;
            core.extend(
                [off, r.type_id, r.access_str_off, r.kind]
                    .iter()
                    .flat_map(|v| v.to_le_bytes()),
            );
        }
        let count = |n: usize| u32::try_from(n).map_err(|_| too_large("BTF.ext records", n));
        let counts = [
            count(p.func_info.len())?,
            count(p.line_info.len())?,
            count(p.core_relos.len())?,
        ];
        Ok(ExtInfo {
            func_info,
            line_info,
            core,
            counts,
        })
    }

    fn is_empty(&self) -> bool {
        self.counts == [0; 3]
    }
}

/// Whether the program's `BPF_PROG_LOAD` needs the fd_array (maps, module kfuncs).
fn uses_fd_array(p: &ProgramSpec) -> bool {
    p.relocations
        .iter()
        .any(|r| !matches!(r.kind, RelocKind::Ksym { .. }))
}

/// The `BPF_PROG_LOAD` attr image, trimmed to the last field this program uses.
fn prog_attr(
    p: &ProgramSpec,
    kern_version: Option<u32>,
    ext: &ExtInfo,
    attach: bool,
) -> Result<Vec<u8>, CompileError> {
    let insn_cnt = u32::try_from(p.insns.len()).map_err(|_| too_large("program", p.insns.len()))?;
    let mut a = Attr::default();
    a.u32(pl::PROG_TYPE, p.prog_type.raw())
        .u32(pl::INSN_CNT, insn_cnt)
        .runtime_field(pl::INSNS, 8)
        .runtime_field(pl::LICENSE, 8)
        .runtime_field(pl::LOG_BUF, 8)
        .u32(pl::KERN_VERSION, kern_version.unwrap_or(0))
        .u32(pl::PROG_FLAGS, p.flags)
        .bytes_at(pl::PROG_NAME, &attr::object_name(&p.name))
        .u32(
            pl::EXPECTED_ATTACH_TYPE,
            p.expected_attach_type.map_or(0, |t| t.raw()),
        );
    if !ext.is_empty() {
        a.runtime_field(pl::PROG_BTF_FD, 4);
    }
    let [funcs, lines, cores] = ext.counts;
    if funcs > 0 {
        a.u32(pl::FUNC_INFO_REC_SIZE, FUNC_INFO_SIZE)
            .u32(pl::FUNC_INFO_CNT, funcs);
    }
    if lines > 0 {
        a.u32(pl::LINE_INFO_REC_SIZE, LINE_INFO_SIZE)
            .u32(pl::LINE_INFO_CNT, lines);
    }
    if attach {
        a.runtime_field(pl::ATTACH_BTF_ID, 8);
    }
    if uses_fd_array(p) {
        a.runtime_field(pl::FD_ARRAY, 8);
    }
    if cores > 0 {
        a.u32(pl::CORE_RELO_CNT, cores)
            .u32(pl::CORE_RELO_REC_SIZE, CORE_RELO_SIZE);
    }
    Ok(a.finish())
}

fn bad(p: &ProgramSpec, insn: u32, reason: &str) -> CompileError {
    CompileError::BadRelocation {
        prog: p.name.clone(),
        insn,
        reason: reason.into(),
    }
}

/// The program's instructions as the loader stores them: every extern site in its
/// unresolved form (pseudo `src_reg` set, immediates zero), checked against its opcode.
fn normalized_insns(p: &ProgramSpec) -> Result<Vec<u8>, CompileError> {
    let mut insns: Vec<Insn> = p.insns.clone();
    let n = insns.len();
    for r in &p.relocations {
        let at = r.insn as usize;
        let wide = !matches!(r.kind, RelocKind::Kfunc { .. });
        if at >= n || (wide && at + 1 >= n) {
            return Err(bad(p, r.insn, "relocation past the end of the program"));
        }
        let code = insns[at].code();
        match r.kind {
            RelocKind::Kfunc { .. } if code == CALL => {
                insns[at].set_src(uapi::BPF_PSEUDO_KFUNC_CALL);
                insns[at].set_imm(0);
                insns[at].set_off(0);
            }
            RelocKind::Ksym { .. } if code == LD_IMM64 => {
                // Typed ksyms carry BPF_PSEUDO_BTF_ID, typeless ones src_reg 0; both start at 0.
                insns[at].set_imm(0);
                insns[at + 1].set_imm(0);
            }
            RelocKind::Map { .. } | RelocKind::MapValue { .. } if code == LD_IMM64 => {}
            _ => return Err(bad(p, r.insn, "relocation does not match its instruction")),
        }
    }
    Ok(insns.iter().flat_map(|i| i.0).collect())
}
