//! Maps: those declared in `.maps` and those libbpf makes for global data.

use super::{HexBytes, TypeId};
use crate::uapi::MapType;
use serde::{Deserialize, Serialize};

/// One map the loader creates, in the shape of `BPF_MAP_CREATE`'s attributes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapSpec {
    /// Name in the source: the variable in `.maps`, or the section (`.bss`, `.data.custom`).
    pub name: String,
    /// Name given to the kernel (at most 15 bytes), as libbpf would choose it.
    pub kernel_name: String,
    /// Kernel map type.
    pub map_type: MapType,
    /// Key size in bytes.
    pub key_size: u32,
    /// Value size in bytes.
    pub value_size: u32,
    /// Maximum number of entries.
    pub max_entries: u32,
    /// `map_flags`.
    pub flags: u32,
    /// NUMA node, meaningful only with `BPF_F_NUMA_NODE`.
    pub numa_node: u32,
    /// `map_extra` (bloom filter hashes, arena address).
    pub map_extra: u64,
    /// BTF id of the key type in [`super::ObjectSpec::btf`], 0 if none.
    pub btf_key_type_id: u32,
    /// BTF id of the value type in [`super::ObjectSpec::btf`], 0 if none.
    pub btf_value_type_id: u32,
    /// Key type in the type table, when the key has a BTF type.
    pub key_type: Option<TypeId>,
    /// Value type in the type table, when the value has a BTF type.
    pub value_type: Option<TypeId>,
    /// Pinning requested in the source.
    pub pinning: Pinning,
    /// For map-in-map types: the definition every inner map must match.
    pub inner: Option<Box<MapSpec>>,
    /// Slots filled before programs load (map-in-map and program arrays), in slot order.
    pub init_slots: Vec<InitSlot>,
    /// For global-data maps: the section image and its variables.
    pub data: Option<GlobalData>,
    /// For struct_ops maps: the structure's members and compiled image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub struct_ops: Option<super::StructOpsSpec>,
    /// What lowering changed in the declared definition so the kernel accepts it (a ring
    /// buffer's declared value type dropped, as cilium/ebpf does), one sentence each, for the
    /// summary.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixups: Vec<String>,
}

impl MapSpec {
    /// A map of `map_type` whose sizes, flags, types and contents are all zero or none, to
    /// be completed with struct update syntax.
    pub fn empty(name: &str, kernel_name: &str, map_type: MapType) -> MapSpec {
        MapSpec {
            name: name.to_string(),
            kernel_name: kernel_name.to_string(),
            map_type,
            key_size: 0,
            value_size: 0,
            max_entries: 0,
            flags: 0,
            numa_node: 0,
            map_extra: 0,
            btf_key_type_id: 0,
            btf_value_type_id: 0,
            key_type: None,
            value_type: None,
            pinning: Pinning::None,
            inner: None,
            init_slots: Vec::new(),
            data: None,
            struct_ops: None,
            fixups: Vec::new(),
        }
    }
}

/// `LIBBPF_PIN_*` from the `pinning` attribute of a map definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pinning {
    /// Not pinned.
    None,
    /// `LIBBPF_PIN_BY_NAME`.
    ByName,
}

/// A statically initialised slot of an outer map or program array.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitSlot {
    /// Index (key) of the slot.
    pub index: u32,
    /// What goes into it.
    pub target: SlotTarget,
}

/// The object whose fd fills an [`InitSlot`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlotTarget {
    /// Index into [`super::ObjectSpec::maps`].
    Map(usize),
    /// Index into [`super::ObjectSpec::programs`].
    Program(usize),
}

/// Which kind of global-data section a map holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GlobalKind {
    /// `.data` or `.data.*`: initialised, writable.
    Data,
    /// `.rodata` or `.rodata.*`: initialised, frozen before programs load.
    Rodata,
    /// `.bss` or `.bss.*`: zero-initialised, writable.
    Bss,
    /// `.kconfig`: filled on the target from the running kernel's configuration, then frozen.
    Kconfig,
}

/// The contents of a global-data map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GlobalData {
    /// ELF section the data comes from (`.kconfig` for kconfig externs).
    pub section: String,
    /// Kind of section.
    pub kind: GlobalKind,
    /// Initial image, `value_size` bytes (all zero for `.bss` and `.kconfig`).
    pub initial: HexBytes,
    /// Variables in offset order.
    pub variables: Vec<VariableSpec>,
    /// The whole section as a struct in the type table, with explicit padding.
    pub layout: TypeId,
    /// Whether the section is frozen before programs load (read-only to programs and users).
    pub frozen: bool,
    /// Whether the map is created with `BPF_F_MMAPABLE`, so user space can map it.
    pub mmapable: bool,
}

/// A global variable inside a global-data section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariableSpec {
    /// Variable name.
    pub name: String,
    /// Byte offset in the section.
    pub offset: u32,
    /// Size in bytes.
    pub size: u32,
    /// Type in the type table.
    pub ty: TypeId,
    /// Whether the variable is global (visible to user space by convention) or static.
    pub global: bool,
}
