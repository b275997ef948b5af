//! The loader context: the memory the runtime passes to `BPF_PROG_TEST_RUN` as `ctx_in`
//! and gets back with the fds. This module is the single source of the offsets documented
//! in `docs/loader-abi.md`; all numbers are byte offsets, little-endian, naturally aligned.

/// Size of the context header.
pub const HEADER_SIZE: u32 = 48;
/// `u32 sz`: total context size in bytes (in).
pub const SZ: i16 = 0;
/// `u32 abi_version`: [`super::plan::LOADER_ABI_VERSION`] (in).
pub const ABI_VERSION: i16 = 4;
/// `u32 flags`: [`FLAG_KERNEL`] (in).
pub const FLAGS: i16 = 8;
/// `u32 nr_maps`: number of map descriptors (in).
pub const NR_MAPS: i16 = 12;
/// `u32 nr_progs`: number of program descriptors (in).
pub const NR_PROGS: i16 = 16;
/// `u32 log_level`: copied into every `BPF_BTF_LOAD` and `BPF_PROG_LOAD` (in).
pub const LOG_LEVEL: i16 = 20;
/// `u32 log_size`: size of the buffer at `log_buf` (in).
pub const LOG_SIZE: i16 = 24;
/// `u64 log_buf`: user address of the log buffer (in).
pub const LOG_BUF: i16 = 32;
/// `u32 failed_step`: index of the failing plan step, [`NO_STEP`] on success (out).
pub const FAILED_STEP: i16 = 40;
/// `s32 error`: 0 or the negative errno the loader returns (out).
pub const ERROR: i16 = 44;

/// `flags` bit: the context and `initial_value` pointers are kernel addresses.
pub const FLAG_KERNEL: u32 = 1;
/// `failed_step` after a successful run.
pub const NO_STEP: u32 = u32::MAX;

/// Size of one map descriptor.
pub const MAP_DESC_SIZE: u32 = 24;
/// `s32 map_fd` in a map descriptor (out).
pub const MAP_FD: u32 = 0;
/// `u32 max_entries` in a map descriptor, 0 = as compiled (in).
pub const MAP_MAX_ENTRIES: u32 = 4;
/// `u32 value_size` in a map descriptor, 0 = as compiled (in). A struct_ops map takes the
/// size of the kernel's `bpf_struct_ops_<T>`, which the runtime must set.
pub const MAP_VALUE_SIZE: u32 = 8;
/// `u32 btf_vmlinux_value_type_id` in a map descriptor (in): for a struct_ops map, the
/// kernel BTF id of `bpf_struct_ops_<T>`, which the runtime must set; 0 for other maps.
pub const MAP_BTF_VMLINUX_VALUE_TYPE_ID: u32 = 12;
/// `u64 initial_value` in a map descriptor: address of the global data image, 0 = compiled
/// image (in).
pub const MAP_INITIAL_VALUE: u32 = 16;

/// Size of one program descriptor.
pub const PROG_DESC_SIZE: u32 = 8;
/// `s32 prog_fd` in a program descriptor (out).
pub const PROG_FD: u32 = 0;
/// `u32 autoload` in a program descriptor, 0 = do not load (in).
pub const PROG_AUTOLOAD: u32 = 4;

/// Size of one struct_ops map descriptor (one per struct_ops map, after the programs).
pub const STRUCT_OPS_MAP_DESC_SIZE: u32 = 8;
/// `u32 autocreate` in a struct_ops map descriptor, 0 = do not create the map (in).
/// Runtimes initialise it to `StructOpsSpec::autocreate`.
pub const STRUCT_OPS_AUTOCREATE: u32 = 0;

/// Size of one struct_ops program descriptor (one per struct_ops program, last).
pub const STRUCT_OPS_PROG_DESC_SIZE: u32 = 8;
/// `u32 attach_btf_id` in a struct_ops program descriptor: the kernel BTF id of `struct T`
/// (in).
pub const STRUCT_OPS_ATTACH_BTF_ID: u32 = 0;
/// `u32 member_index` in a struct_ops program descriptor: the index of the program's member
/// in the kernel's `struct T`, its `expected_attach_type` (in).
pub const STRUCT_OPS_MEMBER_INDEX: u32 = 4;

/// The largest context the loader addresses. The kernel accepts up to 65535 bytes, but a
/// context pointer cannot be moved, so every field must be reachable with the signed 16-bit
/// offset of one load or store.
pub const MAX_CTX_SIZE: u64 = 32768;

/// How many descriptors of each kind a context holds; they follow the header in this order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Map descriptors.
    pub maps: u32,
    /// Program descriptors.
    pub progs: u32,
    /// struct_ops map descriptors.
    pub struct_ops_maps: u32,
    /// struct_ops program descriptors.
    pub struct_ops_progs: u32,
}

impl Counts {
    /// Total context size (checked against [`MAX_CTX_SIZE`] by the compiler).
    pub fn size(&self) -> u64 {
        self.struct_ops_prog_field(self.struct_ops_progs, 0)
    }

    /// Offset of field `field` of struct_ops map descriptor `k`.
    pub fn struct_ops_map_field(&self, k: u32, field: u32) -> u64 {
        prog_field(self.maps, self.progs, 0)
            + u64::from(k) * u64::from(STRUCT_OPS_MAP_DESC_SIZE)
            + u64::from(field)
    }

    /// Offset of field `field` of struct_ops program descriptor `k`.
    pub fn struct_ops_prog_field(&self, k: u32, field: u32) -> u64 {
        self.struct_ops_map_field(self.struct_ops_maps, 0)
            + u64::from(k) * u64::from(STRUCT_OPS_PROG_DESC_SIZE)
            + u64::from(field)
    }
}

/// Total context size of an object without struct_ops (saturating; checked by the
/// compiler).
pub fn ctx_size(nr_maps: u32, nr_progs: u32) -> u64 {
    Counts {
        maps: nr_maps,
        progs: nr_progs,
        ..Counts::default()
    }
    .size()
}

/// Offset of field `field` of map descriptor `map`.
pub fn map_field(map: u32, field: u32) -> u64 {
    u64::from(HEADER_SIZE) + u64::from(map) * u64::from(MAP_DESC_SIZE) + u64::from(field)
}

/// Offset of field `field` of program descriptor `prog`, after `nr_maps` map descriptors.
pub fn prog_field(nr_maps: u32, prog: u32, field: u32) -> u64 {
    map_field(nr_maps, 0) + u64::from(prog) * u64::from(PROG_DESC_SIZE) + u64::from(field)
}
