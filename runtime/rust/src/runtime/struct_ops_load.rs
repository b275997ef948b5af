// struct_ops at load (docs/loader-abi.md, "Runtime rule, struct_ops"): the running kernel's
// layout of each structure, from its BTF, and the context's struct_ops descriptors.

/// Where the struct_ops map descriptors start in the context (the program ones follow).
fn struct_ops_descs(ctx: &Context) -> usize {
    CTX_HEADER
        + MAP_DESC * ctx.loader.nr_maps as usize
        + PROG_DESC * ctx.loader.nr_progs as usize
}

/// The largest `struct bpf_struct_ops_<T>` taken from the kernel's BTF: the kernel's own
/// are a few hundred bytes, and the value is allocated before it is checked further.
const STRUCT_OPS_VALUE_MAX: usize = 64 << 10;

/// The kernel's struct T and `struct bpf_struct_ops_<T>`, and where T sits in the latter.
struct KernelTypes {
    type_id: u32,
    value_id: u32,
    value_size: usize,
    data_offset: usize,
}

/// The running kernel's BTF, without which struct_ops cannot work.
fn kernel_btf() -> Result<Btf, Error> {
    let data = std::fs::read(BTF_VMLINUX).map_err(|e| {
        Error::new(
            format!(
                "struct_ops needs the kernel's BTF (CONFIG_DEBUG_INFO_BTF): {BTF_VMLINUX}"
            ),
            e.raw_os_error().unwrap_or(libc::EIO),
        )
    })?;
    Btf::parse(data).ok_or_else(|| {
        Error::new(
            format!("the kernel's BTF, which struct_ops needs: {BTF_VMLINUX} is malformed"),
            libc::EINVAL,
        )
    })
}

/// The kernel's types of `def`'s structure: a missing one is an error naming it.
fn kernel_types(btf: &Btf, def: &StructOpsDef) -> Result<KernelTypes, Error> {
    let value_name = format!("bpf_struct_ops_{}", def.type_name);
    let type_id = btf.find(def.type_name, BTF_KIND_STRUCT);
    let value = btf.find(&value_name, BTF_KIND_STRUCT);
    let (Some(type_id), Some(value_id)) = (type_id, value) else {
        let missing = if type_id.is_some() {
            value_name.as_str()
        } else {
            def.type_name
        };
        let what = format!(
            "struct_ops map {}: this kernel has no struct_ops type struct {} (no struct \
             {missing} in {BTF_VMLINUX}; struct_ops types of modules are not supported)",
            def.name, def.type_name
        );
        return Err(Error::new(what, libc::ENOENT));
    };
    let value_size = btf.ty(value_id).map_or(0, |t| t.size_or_type() as usize);
    if value_size > STRUCT_OPS_VALUE_MAX {
        let what = format!(
            "struct_ops map {}: struct {value_name} of this kernel is {value_size} bytes, more \
             than a struct_ops value can be ({BTF_VMLINUX} is corrupt)",
            def.name
        );
        return Err(Error::new(what, libc::EINVAL));
    }
    let data = btf
        .members(value_id)
        .map(|(_, m)| m)
        .find(|m| m.ty == type_id && m.bitfield == 0 && m.bit_offset % 8 == 0);
    match data {
        Some(m) => Ok(KernelTypes {
            type_id,
            value_id,
            value_size,
            data_offset: m.bit_offset as usize / 8,
        }),
        None => Err(Error::new(
            format!(
                "struct_ops map {}: struct {value_name} holds no struct {}",
                def.name, def.type_name
            ),
            libc::EINVAL,
        )),
    }
}

/// Places member `m` of `def` in the kernel's layout: data is copied into `value`, and a
/// program's descriptor gets the kernel's struct and the member's index. Returns the
/// member's offset in `value`, `None` for a zero member the kernel lacks (as libbpf).
fn place(
    btf: &Btf,
    ctx: &mut Context,
    table: &StructOpsTable,
    (def, k): (&StructOpsDef, &KernelTypes),
    m: &StructOpsMember,
    value: &mut [u8],
) -> Result<Option<usize>, Error> {
    let fail = |what: &str| {
        let what = format!("struct_ops map {}: {what}", def.name);
        Error::new(what, libc::EOPNOTSUPP)
    };
    let (ty, member) = (def.type_name, m.name);
    let Some(km) = btf.member(k.type_id, member) else {
        if m.slot.is_none() && m.zero {
            return Ok(None);
        }
        let what = format!(
            "struct {ty} of this kernel has no member {member}, which the object sets"
        );
        return Err(fail(&what));
    };
    if km.bitfield != 0 || km.bit_offset % 8 != 0 {
        return Err(fail(&format!(
            "member {member} of struct {ty} is a bitfield in this kernel"
        )));
    }
    let at = k.data_offset + km.bit_offset as usize / 8;
    let Some(slot) = m.slot else {
        let src = def.image.get(m.offset..m.offset + m.size);
        let dst = value.get_mut(at..at + m.size);
        return match (btf.size(km.ty) == Some(m.size as u64), src, dst) {
            (true, Some(src), Some(dst)) => {
                dst.copy_from_slice(src);
                Ok(Some(at))
            }
            _ => Err(fail(&format!(
                "member {member} of struct {ty} has another size in this kernel"
            ))),
        };
    };
    if !btf.is_func_ptr(km.ty) || at + 8 > value.len() {
        let what = format!(
            "member {member} of struct {ty} is not a function pointer in this kernel"
        );
        return Err(fail(&what));
    }
    let desc = struct_ops_descs(ctx) + STRUCT_OPS_DESC * (table.maps.len() + slot);
    let (id, index) = (ctx.get_u32(desc), ctx.get_u32(desc + 4));
    if id != 0 && (id != k.type_id || index != km.index) {
        let name = table.progs.get(slot).map_or("?", |p| p.name);
        let what = format!(
            "struct_ops program {name} serves member {member} of map {} and another member: \
             a program serves one member of one struct",
            def.name
        );
        return Err(Error::new(what, libc::EINVAL));
    }
    ctx.put_u32(desc, k.type_id);
    ctx.put_u32(desc + 4, km.index);
    Ok(Some(at))
}

/// Lays out one map to be created and fills its map descriptor.
fn layout(
    btf: &Btf,
    ctx: &mut Context,
    table: &StructOpsTable,
    def: &StructOpsDef,
) -> Result<Layout, Error> {
    let k = kernel_types(btf, def)?;
    let mut value = vec![0u8; k.value_size];
    let offsets = def
        .members
        .iter()
        .map(|m| place(btf, ctx, table, (def, &k), m, &mut value))
        .collect::<Result<_, _>>()?;
    let at = CTX_HEADER + MAP_DESC * def.map;
    ctx.put_u32(at + 8, k.value_size as u32);
    ctx.put_u32(at + 12, k.value_id);
    Ok(Layout { value, offsets })
}

/// As libbpf: a struct_ops program named only by maps left out is not loaded; one named by
/// no map cannot load (it has no member to attach to), so leaving its `autoload` on fails.
fn settle_progs(
    ctx: &mut Context,
    table: &StructOpsTable,
    knobs: &[StructOpsKnobs],
) -> Result<(), Error> {
    for (slot, p) in table.progs.iter().enumerate() {
        let naming = || {
            let maps = table.maps.iter().zip(knobs);
            maps.filter(move |(def, _)| def.members.iter().any(|m| m.slot == Some(slot)))
        };
        let any = naming().next().is_some();
        let created = naming().any(|(_, knob)| knob.autocreate);
        let at =
            CTX_HEADER + MAP_DESC * ctx.loader.nr_maps as usize + PROG_DESC * p.prog + 4;
        if any && !created {
            ctx.put_u32(at, 0);
        } else if !any && ctx.get_u32(at) != 0 {
            let what = format!(
                "struct_ops program {} is the member of no struct_ops map, so the kernel cannot \
                 load it (libbpf's load fails too): set its autoload to false",
                p.name
            );
            return Err(Error::new(what, libc::EINVAL));
        }
    }
    Ok(())
}

impl StructOps {
    /// Before the loader runs (docs/loader-abi.md, "Runtime rule, struct_ops"): lays out
    /// every map to be created in the running kernel's layout, fills the context's
    /// struct_ops descriptors, and settles the struct_ops programs.
    pub(super) fn prepare<const N: usize>(
        ctx: &mut Context,
        table: &'static StructOpsTable,
        knobs: [StructOpsKnobs; N],
    ) -> Result<[StructOps; N], Error> {
        let btf = if knobs.iter().any(|k| k.autocreate) {
            Some(kernel_btf()?)
        } else {
            None
        };
        let mut all = Vec::with_capacity(N);
        for (k, (def, knob)) in table.maps.iter().zip(&knobs).enumerate() {
            let desc = struct_ops_descs(ctx) + STRUCT_OPS_DESC * k;
            ctx.put_u32(desc, u32::from(knob.autocreate));
            let layout = match &btf {
                Some(btf) if knob.autocreate => Some(layout(btf, ctx, table, def)?),
                _ => None,
            };
            all.push(StructOps {
                def,
                layout,
                written: false,
                registered: None,
            });
        }
        settle_progs(ctx, table, &knobs)?;
        all.try_into()
            .map_err(|_| Error::new("the skeleton's struct_ops maps", libc::EINVAL))
    }
}
