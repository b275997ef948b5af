//! Programs: entry points with their sub-programs linked in, ready for `BPF_PROG_LOAD`.

use super::{Attach, Insn};
use crate::uapi::{AttachType, ProgType};
use serde::{Deserialize, Serialize};

/// One program the loader loads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgramSpec {
    /// Function name of the entry point.
    pub name: String,
    /// ELF section it came from (`tp/syscalls/sys_enter_write`), without a leading `?`.
    pub section: String,
    /// Kernel program type.
    pub prog_type: ProgType,
    /// `expected_attach_type` for `BPF_PROG_LOAD`, if the section implies one.
    pub expected_attach_type: Option<AttachType>,
    /// What the section says to attach to: the text after the section prefix
    /// (`syscalls/sys_enter_write`, `bpf_map`, `do_unlinkat`), if any.
    pub attach_to: Option<String>,
    /// A kernel BTF object the loader must look up on the target to fill `attach_btf_id`.
    pub btf_target: Option<BtfTarget>,
    /// How the skeletons attach it, decided from its section; `None` when skelgen loads it
    /// but does not attach it.
    pub attach: Option<Attach>,
    /// `prog_flags` (`BPF_F_SLEEPABLE`, `BPF_F_XDP_HAS_FRAGS`).
    pub flags: u32,
    /// Loaded by default; `SEC("?...")` turns it off.
    pub autoload: bool,
    /// Linked instructions: the entry function, then each called sub-program once.
    pub insns: Vec<Insn>,
    /// `bpf_func_info` records, by instruction index.
    pub func_info: Vec<FuncInfo>,
    /// `bpf_line_info` records, by instruction index.
    pub line_info: Vec<LineInfo>,
    /// CO-RE relocations for the kernel to perform against its own BTF.
    pub core_relos: Vec<CoreRelo>,
    /// Instructions that refer to maps and externs, already encoded as fd_array indices
    /// where the reference is a map.
    pub relocations: Vec<Relocation>,
}

impl ProgramSpec {
    /// A BPF iterator: it is attached with an iterator link and read through it.
    pub fn is_iter(&self) -> bool {
        self.attach == Some(Attach::Iter)
    }
}

/// A kernel BTF object named by an attach point, looked up with `bpf_btf_find_by_name_kind`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BtfTarget {
    /// Full BTF name, prefix included (`bpf_iter_bpf_map`, `btf_trace_sched_switch`).
    pub name: String,
    /// BTF kind to look for.
    pub kind: BtfTargetKind,
}

/// The BTF kind of a [`BtfTarget`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BtfTargetKind {
    /// `BTF_KIND_FUNC`.
    Func,
    /// `BTF_KIND_TYPEDEF` (raw tracepoints with BTF).
    Typedef,
}

/// `struct bpf_func_info` with the offset counted in instructions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FuncInfo {
    /// Instruction index where the function starts.
    pub insn: u32,
    /// BTF id of the `FUNC`.
    pub type_id: u32,
}

/// `struct bpf_line_info` with the offset counted in instructions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineInfo {
    /// Instruction index.
    pub insn: u32,
    /// Offset of the file name in the BTF string table.
    pub file_name_off: u32,
    /// Offset of the source line in the BTF string table.
    pub line_off: u32,
    /// Line number (upper 22 bits) and column (lower 10 bits).
    pub line_col: u32,
}

/// `struct bpf_core_relo` with the offset counted in instructions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoreRelo {
    /// Instruction index.
    pub insn: u32,
    /// Local BTF type id the access starts from.
    pub type_id: u32,
    /// Offset of the access string in the BTF string table.
    pub access_str_off: u32,
    /// `enum bpf_core_relo_kind`.
    pub kind: u32,
    /// The access string itself (`0:1:2`), for readers of the IR.
    pub access: String,
}

/// An instruction that refers to something outside the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relocation {
    /// Index of the instruction (the first half of an `ld_imm64`).
    pub insn: u32,
    /// What it refers to.
    pub kind: RelocKind,
}

/// What a [`Relocation`] refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum RelocKind {
    /// `ld_imm64` of a map: `BPF_PSEUDO_MAP_IDX`, `imm` = map index.
    Map {
        /// Index into [`super::ObjectSpec::maps`].
        map: usize,
    },
    /// `ld_imm64` of an address inside a map value: `BPF_PSEUDO_MAP_IDX_VALUE`.
    MapValue {
        /// Index into [`super::ObjectSpec::maps`].
        map: usize,
        /// Byte offset inside the value.
        offset: u32,
    },
    /// A kfunc call: `BPF_PSEUDO_KFUNC_CALL`, BTF id filled on the target.
    Kfunc {
        /// Index into [`super::ObjectSpec::externs`].
        ext: usize,
    },
    /// `ld_imm64` of a ksym: BTF id (typed) or address (typeless) filled on the target.
    Ksym {
        /// Index into [`super::ObjectSpec::externs`].
        ext: usize,
    },
}
