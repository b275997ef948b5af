//! What a map's `BPF_MAP_CREATE` puts in the blob: its attr image, after checking that a
//! light skeleton can create the map as described.

use super::attr::{self, map_create, Attr};
use super::error::CompileError;
use crate::ir::{MapSpec, Pinning};
use crate::uapi::MapType;

/// The `BPF_MAP_CREATE` attr image of `m`, and whether it names the object's BTF.
pub(super) fn map_attr(m: &MapSpec, with_btf: bool) -> Result<(Vec<u8>, bool), CompileError> {
    check_map(m)?;
    // A struct_ops map names its kernel value type through the object's BTF.
    let struct_ops = m.struct_ops.is_some();
    let use_btf = (m.btf_key_type_id != 0 || m.btf_value_type_id != 0 || struct_ops) && with_btf;
    let mut a = Attr::default();
    a.u32(0, m.map_type.raw())
        .u32(4, m.key_size)
        .u32(map_create::VALUE_SIZE, m.value_size)
        .u32(map_create::MAX_ENTRIES, m.max_entries)
        .u32(16, m.flags)
        .u32(24, m.numa_node)
        .bytes_at(28, &attr::object_name(&m.kernel_name))
        .u64(64, m.map_extra);
    a.runtime_field(map_create::MAX_ENTRIES, 4);
    if use_btf {
        a.runtime_field(map_create::BTF_FD, 4)
            .u32(52, m.btf_key_type_id)
            .u32(56, m.btf_value_type_id);
    }
    if m.inner.is_some() {
        a.runtime_field(map_create::INNER_MAP_FD, 4);
    }
    if struct_ops {
        a.runtime_field(map_create::BTF_VMLINUX_VALUE_TYPE_ID, 4);
    }
    Ok((a.finish(), use_btf))
}

/// Rejects map definitions the loader cannot create as the object asks.
fn check_map(m: &MapSpec) -> Result<(), CompileError> {
    let unsupported = |reason: &str| CompileError::Unsupported {
        what: format!("map {}", m.name),
        reason: reason.into(),
    };
    if m.pinning == Pinning::ByName {
        // Reusing a pinned map needs BPF_OBJ_GET, which bpf_sys_bpf does not offer to the
        // loader program; creating a fresh map instead would silently stop sharing it.
        return Err(unsupported(
            "it asks for pinning (LIBBPF_PIN_BY_NAME), which a light skeleton cannot do: \
             the loader cannot open or pin paths in bpffs. Remove `__uint(pinning, \
             LIBBPF_PIN_BY_NAME)` from the map definition and pin the map from the \
             application after load (BPF_OBJ_PIN of its fd), or load this object with libbpf",
        ));
    }
    match m.map_type {
        MapType::StructOps if m.struct_ops.is_none() => Err(unsupported(
            "a struct_ops map must come from a .struct_ops section, which describes its members",
        )),
        _ if m.data.is_some() && m.map_type != MapType::Array => {
            Err(unsupported("global data must live in an array map"))
        }
        _ => Ok(()),
    }
}
