//! What a program's `BPF_PROG_LOAD` carries in the blob: its instructions with every extern
//! site unresolved, its BTF.ext records in kernel layout, and the attr image.

use super::attr::{prog_load as pl, Attr};
use super::error::CompileError;
use super::insn::{self, Size};
use crate::ir::{Insn, ProgramSpec, RelocKind};
use crate::uapi;

/// Where one program's load lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ProgData {
    /// The program's instructions (patched in place by the resolutions).
    pub insns: u32,
    /// The `BPF_PROG_LOAD` attr.
    pub attr: u32,
    /// Its size.
    pub attr_len: usize,
    /// Per resolution of the step, in order.
    pub lookups: Vec<Lookup>,
}

/// One run-time lookup: the NUL-terminated name and, for kallsyms, the result slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Lookup {
    /// Offset of the name.
    pub name: u32,
    /// Its size with the NUL.
    pub name_len: i32,
    /// Offset of the 8-byte result of `bpf_kallsyms_lookup_name` (0 for other lookups).
    pub result: u32,
}

/// `sizeof(struct bpf_func_info)`, `bpf_line_info`, `bpf_core_relo`.
const FUNC_INFO_SIZE: u32 = 8;
const LINE_INFO_SIZE: u32 = 16;
const CORE_RELO_SIZE: u32 = 16;
const CALL: u8 = insn::BPF_JMP | insn::BPF_CALL;
const LD_IMM64: u8 = insn::BPF_LD | Size::DW as u8 | insn::BPF_IMM;

/// A program's BTF.ext records in their kernel layouts.
#[derive(Default)]
pub(super) struct ExtRecords {
    pub func_info: Vec<u8>,
    pub line_info: Vec<u8>,
    pub core: Vec<u8>,
    counts: [u32; 3],
}

impl ExtRecords {
    /// The records of `p`; none when the object has no BTF (`with_btf` false), since the
    /// kernel cannot use them without it.
    pub fn new(p: &ProgramSpec, with_btf: bool) -> Result<Self, CompileError> {
        if !with_btf {
            return Ok(ExtRecords::default());
        }
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
        let count =
            |n: usize| u32::try_from(n).map_err(|_| CompileError::too_large("BTF.ext records", n));
        let counts = [
            count(p.func_info.len())?,
            count(p.line_info.len())?,
            count(p.core_relos.len())?,
        ];
        Ok(ExtRecords {
            func_info,
            line_info,
            core,
            counts,
        })
    }

    /// Whether the program has no records (and so needs no `prog_btf_fd`).
    pub fn is_empty(&self) -> bool {
        self.counts == [0; 3]
    }
}

/// Whether the program's `BPF_PROG_LOAD` needs the fd_array (maps, module kfuncs).
pub(super) fn uses_fd_array(p: &ProgramSpec) -> bool {
    p.relocations
        .iter()
        .any(|r| !matches!(r.kind, RelocKind::Ksym { .. }))
}

/// The `BPF_PROG_LOAD` attr image, trimmed to the last field this program uses.
pub(super) fn prog_attr(
    p: &ProgramSpec,
    kern_version: Option<u32>,
    ext: &ExtRecords,
    attach: bool,
) -> Result<Vec<u8>, CompileError> {
    let insn_cnt = u32::try_from(p.insns.len())
        .map_err(|_| CompileError::too_large("program", p.insns.len()))?;
    let mut a = Attr::default();
    a.u32(pl::PROG_TYPE, p.prog_type.raw())
        .u32(pl::INSN_CNT, insn_cnt)
        .runtime_field(pl::INSNS, 8)
        .runtime_field(pl::LICENSE, 8)
        .runtime_field(pl::LOG_BUF, 8)
        .u32(pl::KERN_VERSION, kern_version.unwrap_or(0))
        .u32(pl::PROG_FLAGS, p.flags)
        .bytes_at(pl::PROG_NAME, &super::attr::object_name(&p.name))
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

pub(super) fn bad(p: &ProgramSpec, insn: u32, reason: &str) -> CompileError {
    CompileError::BadRelocation {
        prog: p.name.clone(),
        insn,
        reason: reason.into(),
    }
}

/// The program's instructions as the loader stores them: every extern site in its
/// unresolved form (pseudo `src_reg` set, immediates zero), checked against its opcode.
pub(super) fn normalized_insns(p: &ProgramSpec) -> Result<Vec<u8>, CompileError> {
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
