//! Maps: BTF-defined maps from `.maps`, and one array map per global-data section.

use super::names::{internal_map_name, kernel_object_name};
use super::LowerError;
use crate::btf::{Btf, BtfType};
use crate::elf::{ElfFile, Section, SectionKind};
use crate::ir::{GlobalData, GlobalKind, HexBytes, MapSpec, Pinning, VariableSpec};
use crate::uapi::{MapType, BPF_F_MMAPABLE, BPF_F_RDONLY_PROG};

/// A map declared in `.maps`, with where it sits in that section.
#[derive(Debug)]
pub(crate) struct UserMap {
    pub spec: MapSpec,
    /// Offset of the map variable in `.maps`.
    pub offset: u64,
    /// Size of the map variable.
    pub size: u64,
    /// Offset of the `values` member inside the variable, for static slot initialisation.
    pub values_offset: Option<u64>,
}

/// Reads every map definition in the `.maps` DATASEC, in declaration order.
pub(crate) fn user_maps(btf: &Btf) -> Result<Vec<UserMap>, LowerError> {
    let Some(sec_id) = btf.find_by_name_kind(".maps", crate::btf::BtfKind::Datasec) else {
        return Ok(Vec::new());
    };
    let BtfType::Datasec { vars, .. } = btf.type_by_id(sec_id).map_err(LowerError::btf)? else {
        unreachable!("find_by_name_kind returned a DATASEC id");
    };
    let mut out = Vec::with_capacity(vars.len());
    for v in vars {
        let BtfType::Var { name_off, ty, .. } = btf.type_by_id(v.ty).map_err(LowerError::btf)?
        else {
            return Err(LowerError::BadSection {
                section: ".maps".into(),
                reason: format!("DATASEC entry {} is not a VAR", v.ty),
            });
        };
        let name = btf
            .string_at(*name_off)
            .map_err(LowerError::btf)?
            .to_string();
        let (spec, values_offset) = parse_def(btf, &name, *ty, false)?;
        out.push(UserMap {
            spec,
            offset: v.offset.into(),
            size: v.size.into(),
            values_offset,
        });
    }
    Ok(out)
}

/// Fields of a BTF map definition, as libbpf reads them.
#[derive(Default)]
struct Def {
    map_type: Option<u64>,
    key_size: Option<u64>,
    value_size: Option<u64>,
    key_ty: Option<u32>,
    value_ty: Option<u32>,
    max_entries: u64,
    flags: u64,
    numa_node: u64,
    map_extra: u64,
    pinning: u64,
    inner: Option<Box<MapSpec>>,
    values_offset: Option<u64>,
}

fn parse_def(
    btf: &Btf,
    name: &str,
    ty: u32,
    inner: bool,
) -> Result<(MapSpec, Option<u64>), LowerError> {
    let bad = |reason: String| LowerError::BadMap {
        map: name.to_string(),
        reason,
    };
    let def_id = btf.skip_mods_and_typedefs(ty).map_err(LowerError::btf)?;
    let Some((members, kflag)) = btf.type_by_id(def_id).map_err(LowerError::btf)?.members() else {
        return Err(bad(
            "the definition is not a struct; declare maps with __uint/__type in a struct".into(),
        ));
    };
    let mut def = Def::default();
    for m in members {
        let field = btf.string_at(m.name_off).map_err(LowerError::btf)?;
        let int = || int_field(btf, m.ty).map_err(|r| bad(format!("field {field}: {r}")));
        match field {
            "type" => def.map_type = Some(int()?),
            "max_entries" => def.max_entries = int()?,
            "map_flags" => def.flags = int()?,
            "numa_node" => def.numa_node = int()?,
            "map_extra" => def.map_extra = int()?,
            "pinning" => def.pinning = int()?,
            "key_size" => def.key_size = Some(int()?),
            "value_size" => def.value_size = Some(int()?),
            "key" => {
                def.key_ty = Some(pointee(btf, m.ty).map_err(|r| bad(format!("field key: {r}")))?)
            }
            "value" => {
                def.value_ty =
                    Some(pointee(btf, m.ty).map_err(|r| bad(format!("field value: {r}")))?)
            }
            "values" if !inner => {
                def.values_offset = Some(u64::from(m.bit_offset(kflag) / 8));
                def.inner = inner_def(btf, name, m.ty)?;
            }
            other => {
                return Err(bad(format!(
                    "unknown field {other:?} in the map definition"
                )))
            }
        }
    }
    let values_offset = def.values_offset;
    Ok((finish_def(btf, name, def)?, values_offset))
}

fn finish_def(btf: &Btf, name: &str, def: Def) -> Result<MapSpec, LowerError> {
    let bad = |reason: String| LowerError::BadMap {
        map: name.to_string(),
        reason,
    };
    let raw_type = def
        .map_type
        .ok_or_else(|| bad("no map type; add __uint(type, BPF_MAP_TYPE_...)".into()))?;
    let map_type = u32::try_from(raw_type).ok().and_then(MapType::from_raw);
    let map_type = map_type.ok_or_else(|| bad(format!("unsupported map type {raw_type}")))?;
    let mut kv = KeyValue {
        key_size: sized(btf, name, "key", def.key_ty, def.key_size)?,
        value_size: sized(btf, name, "value", def.value_ty, def.value_size)?,
        key_ty: def.key_ty,
        value_ty: def.value_ty,
    };
    let fixups = forgive_key_value(map_type, &mut kv);
    let (key_size, mut value_size) = (kv.key_size, kv.value_size);
    if def.values_offset.is_some() {
        if value_size != 0 && value_size != 4 {
            return Err(bad(
                "a map with `values` holds fds: its value size must be 4".into(),
            ));
        }
        value_size = 4;
    }
    let pinning = match def.pinning {
        0 => Pinning::None,
        1 => Pinning::ByName,
        other => {
            return Err(bad(format!(
                "unsupported pinning {other}; use LIBBPF_PIN_NONE or LIBBPF_PIN_BY_NAME"
            )))
        }
    };
    let narrow = |v: u64, what: &str| {
        u32::try_from(v).map_err(|_| bad(format!("{what} {v} does not fit in 32 bits")))
    };
    let (btf_key_type_id, btf_value_type_id) = if keeps_btf_ids(map_type) {
        (kv.key_ty.unwrap_or(0), kv.value_ty.unwrap_or(0))
    } else {
        (0, 0)
    };
    Ok(MapSpec {
        name: name.to_string(),
        kernel_name: kernel_object_name(name),
        map_type,
        key_size,
        value_size,
        max_entries: narrow(def.max_entries, "max_entries")?,
        flags: narrow(def.flags, "map_flags")?,
        numa_node: narrow(def.numa_node, "numa_node")?,
        map_extra: def.map_extra,
        btf_key_type_id,
        btf_value_type_id,
        key_type: None,
        value_type: None,
        pinning,
        inner: def.inner,
        init_slots: Vec::new(),
        data: None,
        struct_ops: None,
        fixups,
    })
}

/// A definition's key and value: sizes, and BTF types when declared with `__type`.
struct KeyValue {
    key_size: u32,
    value_size: u32,
    key_ty: Option<u32>,
    value_ty: Option<u32>,
}

/// Ring buffers and perf event arrays declared with a record type as key or value (as
/// cilium/ebpf's examples do, so bpf2go can generate the type) fail `BPF_MAP_CREATE` with
/// EINVAL: a ring buffer takes no key or value, a perf event array a CPU index and an fd.
/// cilium/ebpf replaces such declarations with what the kernel takes; so does this, and
/// returns a sentence per change for the summary. A definition the kernel takes is left
/// alone, so output for it does not change.
fn forgive_key_value(map_type: MapType, kv: &mut KeyValue) -> Vec<String> {
    let (want, why) = match map_type {
        MapType::Ringbuf => (0, "a ring buffer has no key or value"),
        MapType::UserRingbuf => (0, "a user ring buffer has no key or value"),
        MapType::PerfEventArray => (4, "a perf event array maps a CPU index to an fd"),
        _ => return Vec::new(),
    };
    let mut fixups = Vec::new();
    let mut fix = |what: &str, size: &mut u32, ty: &mut Option<u32>| {
        let typed = ty.is_some() && want == 0;
        if *size == want && !typed {
            return;
        }
        let declared = match (*size, ty.is_some()) {
            (0, false) => format!("no {what} declared"),
            (n, _) => format!("{what} of {n} bytes declared"),
        };
        let made = match want {
            0 => format!("no {what}"),
            n => format!("a {n}-byte {what}"),
        };
        fixups.push(format!(
            "{declared}; created with {made}, as cilium/ebpf does: {why}"
        ));
        *size = want;
        *ty = None;
    };
    fix("key", &mut kv.key_size, &mut kv.key_ty);
    fix("value", &mut kv.value_size, &mut kv.value_ty);
    fixups
}

/// libbpf passes no BTF ids for map types whose values are fds or that have no key/value.
fn keeps_btf_ids(t: MapType) -> bool {
    use MapType as M;
    !matches!(
        t,
        M::PerfEventArray
            | M::CgroupArray
            | M::StackTrace
            | M::ArrayOfMaps
            | M::HashOfMaps
            | M::Devmap
            | M::DevmapHash
            | M::Cpumap
            | M::Xskmap
            | M::Sockmap
            | M::Sockhash
            | M::Queue
            | M::Stack
            | M::Arena
            | M::StructOps
    )
}

fn sized(
    btf: &Btf,
    name: &str,
    what: &str,
    ty: Option<u32>,
    size: Option<u64>,
) -> Result<u32, LowerError> {
    let bad = |reason: String| LowerError::BadMap {
        map: name.to_string(),
        reason,
    };
    let from_type = match ty {
        Some(t) => Some(
            btf.resolve_size(t)
                .map_err(|e| bad(format!("{what} type: {e}")))?,
        ),
        None => None,
    };
    let from_size = size
        .map(|s| {
            u32::try_from(s).map_err(|_| bad(format!("{what}_size {s} does not fit in 32 bits")))
        })
        .transpose()?;
    match (from_type, from_size) {
        (Some(a), Some(b)) if a != b => Err(bad(format!(
            "{what} type is {a} bytes but {what}_size says {b}"
        ))),
        (a, b) => Ok(a.or(b).unwrap_or(0)),
    }
}

/// `__uint(name, N)` is `int (*name)[N]`; `__ulong` is a one-value enum.
fn int_field(btf: &Btf, ty: u32) -> Result<u64, String> {
    let id = btf.skip_mods_and_typedefs(ty).map_err(|e| e.to_string())?;
    match btf.type_by_id(id).map_err(|e| e.to_string())? {
        BtfType::Ptr { ty, .. } => match btf.type_by_id(*ty).map_err(|e| e.to_string())? {
            BtfType::Array { nelems, .. } => Ok(u64::from(*nelems)),
            _ => Err("expected a pointer to an array, as __uint() declares".into()),
        },
        BtfType::Enum {
            values, kind_flag, ..
        } if values.len() == 1 => Ok(values[0].value(*kind_flag) as u64),
        BtfType::Enum64 { values, .. } if values.len() == 1 => Ok(values[0].value()),
        _ => Err("expected __uint() or __ulong()".into()),
    }
}

/// `__type(name, T)` is `T *name`.
fn pointee(btf: &Btf, ty: u32) -> Result<u32, String> {
    let id = btf.skip_mods_and_typedefs(ty).map_err(|e| e.to_string())?;
    match btf.type_by_id(id).map_err(|e| e.to_string())? {
        BtfType::Ptr { ty, .. } => Ok(*ty),
        _ => Err("expected a pointer, as __type() declares".into()),
    }
}

/// `__array(values, struct inner)` is `struct inner *values[]`; a program array's is a
/// function prototype, which has no inner definition.
fn inner_def(btf: &Btf, outer: &str, ty: u32) -> Result<Option<Box<MapSpec>>, LowerError> {
    let bad = |reason: &str| LowerError::BadMap {
        map: outer.to_string(),
        reason: format!("field values: {reason}"),
    };
    let arr = btf.skip_mods_and_typedefs(ty).map_err(LowerError::btf)?;
    let BtfType::Array { elem_ty, .. } = btf.type_by_id(arr).map_err(LowerError::btf)? else {
        return Err(bad("expected an array, as __array() declares"));
    };
    let ptr = btf
        .skip_mods_and_typedefs(*elem_ty)
        .map_err(LowerError::btf)?;
    let BtfType::Ptr { ty: target, .. } = btf.type_by_id(ptr).map_err(LowerError::btf)? else {
        return Err(bad("expected an array of pointers"));
    };
    let target = btf
        .skip_mods_and_typedefs(*target)
        .map_err(LowerError::btf)?;
    if matches!(
        btf.type_by_id(target).map_err(LowerError::btf)?,
        BtfType::FuncProto { .. }
    ) {
        return Ok(None);
    }
    let name = format!("{outer}.inner");
    let (spec, _) = parse_def(btf, &name, target, true)?;
    Ok(Some(Box::new(spec)))
}

/// Whether libbpf makes a global-data map for this section, and of which kind.
pub(crate) fn global_kind(sec: &Section<'_>) -> Option<GlobalKind> {
    let is = |base: &str| sec.name == base || sec.name.starts_with(&format!("{base}."));
    match sec.kind {
        SectionKind::Progbits if !sec.exec && !sec.data.is_empty() => {
            if is(".data") {
                Some(GlobalKind::Data)
            } else if is(".rodata") {
                Some(GlobalKind::Rodata)
            } else {
                None
            }
        }
        SectionKind::Nobits if is(".bss") && sec.size > 0 => Some(GlobalKind::Bss),
        _ => None,
    }
}

/// Builds the map for one global-data section, with the BTF type id of each variable (in the
/// order of `data.variables`) so the type layout can be filled in later.
pub(crate) fn global_map(
    btf: &Btf,
    obj_name: &str,
    sec: &Section<'_>,
    kind: GlobalKind,
) -> Result<(MapSpec, Vec<u32>), LowerError> {
    let size = u32::try_from(sec.size).map_err(|_| LowerError::BadSection {
        section: sec.name.clone(),
        reason: format!("size {} is too large for a map value", sec.size),
    })?;
    let initial = match kind {
        GlobalKind::Bss | GlobalKind::Kconfig => vec![0; size as usize],
        _ => sec.data.to_vec(),
    };
    let datasec = btf.find_by_name_kind(&sec.name, crate::btf::BtfKind::Datasec);
    let variables = match datasec {
        Some(id) => datasec_vars(btf, id)?,
        None => Vec::new(),
    };
    Ok(global_spec(
        obj_name,
        &sec.name,
        kind,
        size,
        datasec.unwrap_or(0),
        initial,
        variables,
    ))
}

pub(crate) fn global_spec(
    obj_name: &str,
    section: &str,
    kind: GlobalKind,
    size: u32,
    datasec: u32,
    initial: Vec<u8>,
    variables: Vec<(VariableSpec, u32)>,
) -> (MapSpec, Vec<u32>) {
    // libbpf maps a section when at least one variable in it is global.
    let mmapable = variables.iter().any(|(v, _)| v.global);
    let frozen = matches!(kind, GlobalKind::Rodata | GlobalKind::Kconfig);
    let mut flags = if frozen { BPF_F_RDONLY_PROG } else { 0 };
    if mmapable {
        flags |= BPF_F_MMAPABLE;
    }
    let var_types = variables.iter().map(|(_, ty)| *ty).collect();
    let spec = MapSpec {
        name: section.to_string(),
        kernel_name: internal_map_name(obj_name, section),
        map_type: MapType::Array,
        key_size: 4,
        value_size: size,
        max_entries: 1,
        flags,
        numa_node: 0,
        map_extra: 0,
        btf_key_type_id: 0,
        btf_value_type_id: datasec,
        key_type: None,
        value_type: None,
        pinning: Pinning::None,
        inner: None,
        init_slots: Vec::new(),
        fixups: Vec::new(),
        data: Some(GlobalData {
            section: section.to_string(),
            kind,
            initial: HexBytes(initial),
            variables: variables.into_iter().map(|(v, _)| v).collect(),
            layout: crate::ir::TypeId(0),
            frozen,
            mmapable,
        }),
        struct_ops: None,
    };
    (spec, var_types)
}

/// Variables of a DATASEC with the BTF id of each variable's type, in offset order.
pub(crate) fn datasec_vars(btf: &Btf, id: u32) -> Result<Vec<(VariableSpec, u32)>, LowerError> {
    let BtfType::Datasec { vars, .. } = btf.type_by_id(id).map_err(LowerError::btf)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(vars.len());
    for v in vars {
        let BtfType::Var {
            name_off,
            ty,
            linkage,
        } = btf.type_by_id(v.ty).map_err(LowerError::btf)?
        else {
            continue; // .ksyms functions; never in a data section
        };
        let name = btf
            .string_at(*name_off)
            .map_err(LowerError::btf)?
            .to_string();
        let spec = VariableSpec {
            name,
            offset: v.offset,
            size: v.size,
            ty: crate::ir::TypeId(0),
            global: *linkage != 0,
        };
        out.push((spec, *ty));
    }
    out.sort_by_key(|(v, _)| v.offset);
    Ok(out)
}

/// Global-data sections in ELF order, as libbpf creates their maps.
pub(crate) fn global_sections<'a>(
    elf: &'a ElfFile<'a>,
) -> impl Iterator<Item = (&'a Section<'a>, GlobalKind)> {
    elf.sections()
        .iter()
        .filter_map(|s| global_kind(s).map(|k| (s, k)))
}
