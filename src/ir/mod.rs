//! The language-neutral description of a BPF object: what a loader must create and load.
//!
//! Nothing here knows about a target language or makes a syscall. The vocabulary follows
//! cilium/ebpf: an [`ObjectSpec`] holds [`MapSpec`]s, [`ProgramSpec`]s and [`ExternSpec`]s, plus
//! a [`TypeTable`] from which backends print the layouts of global data.

mod attach;
mod bytes;
mod externs;
mod maps;
mod programs;
mod struct_ops;
pub mod types;

pub use attach::{Attach, LinkTarget, UprobeTarget};
pub use bytes::{HexBytes, Insn};
pub use externs::{ExternKind, ExternSpec, KconfigKind};
pub use maps::{GlobalData, GlobalKind, InitSlot, MapSpec, Pinning, SlotTarget, VariableSpec};
pub use programs::{
    BtfTarget, BtfTargetKind, CoreRelo, FuncInfo, LineInfo, ProgramSpec, RelocKind, Relocation,
};
pub use struct_ops::{MemberValue, StructOpsMember, StructOpsSpec};
pub use types::{TypeId, TypeTable};

use serde::{Deserialize, Serialize};

/// Everything skelgen knows about one BPF object after reading it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectSpec {
    /// Object name: `--name`, or the file name up to its first dot (libbpf's rule).
    pub name: String,
    /// Contents of the `license` section, without the trailing NUL.
    pub license: String,
    /// Contents of the `version` section, if the object has one.
    pub kern_version: Option<u32>,
    /// The object's BTF as the kernel will accept it in `BPF_BTF_LOAD`.
    pub btf: HexBytes,
    /// Maps in load order: user maps from `.maps` first, then global-data maps.
    pub maps: Vec<MapSpec>,
    /// Entry-point programs in section order; sub-programs are already linked into each.
    pub programs: Vec<ProgramSpec>,
    /// `.kconfig` and `.ksyms` externs, resolved on the target at run time.
    pub externs: Vec<ExternSpec>,
    /// Types reachable from map keys, map values and global variables, and from the named
    /// types `--type` asks for.
    pub types: TypeTable,
    /// The types `--type` asked for (structs, unions and enums the skeletons define by their
    /// C names), in the order given, each once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub named_types: Vec<TypeId>,
}

impl ObjectSpec {
    /// Index of the map with this source name.
    pub fn map_index(&self, name: &str) -> Option<usize> {
        self.maps.iter().position(|m| m.name == name)
    }

    /// Index of the program with this function name.
    pub fn program_index(&self, name: &str) -> Option<usize> {
        self.programs.iter().position(|p| p.name == name)
    }

    /// Indices of the struct_ops maps, in map order: the order of their context descriptors.
    pub fn struct_ops_maps(&self) -> Vec<usize> {
        (0..self.maps.len())
            .filter(|&i| self.maps[i].struct_ops.is_some())
            .collect()
    }

    /// Indices of the struct_ops programs, in program order: the order of their context
    /// descriptors.
    pub fn struct_ops_programs(&self) -> Vec<usize> {
        (0..self.programs.len())
            .filter(|&i| self.programs[i].prog_type == crate::uapi::ProgType::StructOps)
            .collect()
    }
}
