//! struct_ops maps: one per variable of `.struct_ops` and `.struct_ops.link` (and their `?`
//! forms, which libbpf does not create by default), with the programs their function
//! pointers name, read the way libbpf reads them.

use super::code::{symbol_name, Code, INSN_SIZE};
use super::names::kernel_object_name;
use super::LowerError;
use crate::btf::{Btf, BtfKind, BtfMember, BtfType};
use crate::elf::{ElfFile, Section, SectionKind, R_BPF_64_ABS64};
use crate::ir::{HexBytes, MapSpec, MemberValue, ProgramSpec, StructOpsMember, StructOpsSpec};
use crate::uapi::{MapType, ProgType, BPF_F_LINK};

/// Every struct_ops map of the object, in section order and then variable order (libbpf's
/// order; they come after every other map).
pub(crate) fn maps(
    elf: &ElfFile<'_>,
    btf: &Btf,
    code: &Code,
    programs: &[ProgramSpec],
) -> Result<Vec<MapSpec>, LowerError> {
    let mut out = Vec::new();
    for sec in elf.sections() {
        let Some((autocreate, link)) = section_kind(&sec.name) else {
            continue;
        };
        if sec.kind != SectionKind::Progbits || sec.data.is_empty() {
            continue;
        }
        let mut vars = variables(btf, sec)?;
        for r in &sec.relocs {
            bind_program(elf, code, programs, sec, &mut vars, r)?;
        }
        for v in vars {
            out.push(map_spec(sec, v, autocreate, link));
        }
    }
    Ok(out)
}

/// `(autocreate, link)` of a struct_ops section name.
fn section_kind(name: &str) -> Option<(bool, bool)> {
    let (autocreate, base) = match name.strip_prefix('?') {
        Some(rest) => (false, rest),
        None => (true, name),
    };
    match base {
        ".struct_ops" => Some((autocreate, false)),
        ".struct_ops.link" => Some((autocreate, true)),
        _ => None,
    }
}

/// One variable of a struct_ops section while its relocations are read.
struct Var {
    name: String,
    offset: u64,
    type_name: String,
    image: Vec<u8>,
    members: Vec<StructOpsMember>,
    /// Per member, whether its type is a pointer to a function (a program may go there).
    func_ptr: Vec<bool>,
}

fn variables(btf: &Btf, sec: &Section<'_>) -> Result<Vec<Var>, LowerError> {
    let no_btf = || LowerError::BadSection {
        section: sec.name.clone(),
        reason: "no BTF DATASEC describes it; compile the object with `clang -g`".into(),
    };
    let datasec = btf
        .find_by_name_kind(&sec.name, BtfKind::Datasec)
        .ok_or_else(no_btf)?;
    let BtfType::Datasec { vars, .. } = btf.type_by_id(datasec).map_err(LowerError::btf)? else {
        return Err(no_btf());
    };
    let mut out = Vec::with_capacity(vars.len());
    for v in vars {
        let BtfType::Var { name_off, ty, .. } = btf.type_by_id(v.ty).map_err(LowerError::btf)?
        else {
            return Err(LowerError::BadSection {
                section: sec.name.clone(),
                reason: format!("DATASEC entry {} is not a VAR", v.ty),
            });
        };
        let name = btf.string_at(*name_off).map_err(LowerError::btf)?;
        out.push(variable(btf, sec, name, u64::from(v.offset), *ty)?);
    }
    Ok(out)
}

fn variable(
    btf: &Btf,
    sec: &Section<'_>,
    name: &str,
    offset: u64,
    ty: u32,
) -> Result<Var, LowerError> {
    let bad = |member: Option<&str>, reason: String| LowerError::BadStructOps {
        section: sec.name.clone(),
        variable: name.to_string(),
        member: member.map(str::to_string),
        reason,
    };
    let (local, kind_flag, size, members) =
        local_struct(btf, name, ty).map_err(|reason| bad(None, reason))?;
    let end = offset
        .checked_add(u64::from(size))
        .filter(|e| *e <= sec.data.len() as u64)
        .ok_or_else(|| {
            bad(
                None,
                "the variable extends past the end of its section".into(),
            )
        })?;
    let image = sec.data[offset as usize..end as usize].to_vec();
    let mut out_members = Vec::with_capacity(members.len());
    let mut func_ptr = Vec::with_capacity(members.len());
    for m in members {
        let (member, is_func) = member(btf, m, kind_flag, &image).map_err(|(n, r)| bad(n, r))?;
        out_members.push(member);
        func_ptr.push(is_func);
    }
    Ok(Var {
        name: name.to_string(),
        offset,
        type_name: essential_name(local).to_string(),
        image,
        members: out_members,
        func_ptr,
    })
}

/// The variable's struct: its name, kind flag, size and members, or why it cannot be a
/// struct_ops structure.
fn local_struct<'a>(
    btf: &'a Btf,
    name: &str,
    ty: u32,
) -> Result<(&'a str, bool, u32, &'a [BtfMember]), String> {
    let unreadable = |e: crate::btf::BtfError| format!("its BTF type cannot be read: {e}");
    let id = btf.skip_mods_and_typedefs(ty).map_err(unreadable)?;
    let t = btf.type_by_id(id).map_err(unreadable)?;
    let BtfType::Struct {
        name_off,
        kind_flag,
        size,
        members,
    } = t
    else {
        return Err(format!(
            "its type is {}, not a struct; declare it as `struct <kernel type> {name}`",
            t.kind().name()
        ));
    };
    let local = btf.string_at(*name_off).map_err(unreadable)?;
    if local.is_empty() {
        return Err(
            "its struct has no name, so the kernel's struct cannot be found; name it \
                    after the kernel type (`struct tcp_congestion_ops`)"
                .into(),
        );
    }
    if members.is_empty() {
        return Err(format!(
            "struct {local} has no members, so there is nothing to register"
        ));
    }
    Ok((local, *kind_flag, *size, members))
}

type MemberError<'a> = (Option<&'a str>, String);

/// A member as data (programs are bound later), and whether it is a function pointer.
fn member<'a>(
    btf: &'a Btf,
    m: &BtfMember,
    kind_flag: bool,
    image: &[u8],
) -> Result<(StructOpsMember, bool), MemberError<'a>> {
    let name = btf
        .string_at(m.name_off)
        .map_err(|e| (None, e.to_string()))?;
    if name.is_empty() {
        return Err((
            None,
            "an anonymous member cannot be matched to the kernel's struct by name; give it a name"
                .into(),
        ));
    }
    let bit = m.bit_offset(kind_flag);
    if m.bitfield_size(kind_flag) != 0 || bit % 8 != 0 {
        return Err((
            Some(name),
            "bitfield members are not supported (libbpf refuses them too)".into(),
        ));
    }
    let size = btf
        .resolve_size(m.ty)
        .map_err(|e| (Some(name), format!("its size cannot be computed: {e}")))?;
    let offset = bit / 8;
    let bytes = image
        .get(offset as usize..(offset as usize).saturating_add(size as usize))
        .ok_or_else(|| (Some(name), "it extends past the end of the struct".into()))?;
    let zero = bytes.iter().all(|b| *b == 0);
    let member = StructOpsMember {
        name: name.to_string(),
        offset,
        size,
        value: MemberValue::Data { zero },
    };
    Ok((member, is_func_ptr(btf, m.ty)))
}

/// Whether `ty` is a pointer to a function prototype, through typedefs and modifiers.
fn is_func_ptr(btf: &Btf, ty: u32) -> bool {
    let pointee = btf
        .skip_mods_and_typedefs(ty)
        .and_then(|p| btf.type_by_id(p).cloned());
    let Ok(BtfType::Ptr { ty, .. }) = pointee else {
        return false;
    };
    btf.skip_mods_and_typedefs(ty)
        .and_then(|f| btf.type_by_id(f))
        .is_ok_and(|f| matches!(f, BtfType::FuncProto { .. }))
}

/// A relocation of the section: a function pointer member set to a program.
fn bind_program(
    elf: &ElfFile<'_>,
    code: &Code,
    programs: &[ProgramSpec],
    sec: &Section<'_>,
    vars: &mut [Var],
    r: &crate::elf::Reloc,
) -> Result<(), LowerError> {
    let symbol = symbol_name(elf, r.symbol);
    let bad_reloc = |reason: String| LowerError::BadRelocation {
        section: sec.name.clone(),
        offset: r.offset,
        symbol: symbol.clone(),
        reason,
    };
    if r.r_type != R_BPF_64_ABS64 {
        return Err(bad_reloc(format!(
            "relocation type {} in a struct_ops section; function pointers take R_BPF_64_ABS64 (2)",
            r.r_type
        )));
    }
    let var = vars
        .iter_mut()
        .find(|v| v.offset <= r.offset && r.offset < v.offset + v.image.len() as u64)
        .ok_or_else(|| bad_reloc("not inside any struct_ops variable".into()))?;
    let moff = r.offset - var.offset;
    let idx = var
        .members
        .iter()
        .position(|m| u64::from(m.offset) == moff)
        .ok_or_else(|| bad_reloc(format!("does not start a member of {}", var.name)))?;
    let bad = |reason: String| LowerError::BadStructOps {
        section: sec.name.clone(),
        variable: var.name.clone(),
        member: Some(var.members[idx].name.clone()),
        reason,
    };
    if !var.func_ptr[idx] {
        return Err(bad(format!(
            "it is set to {symbol}, but it is not a function pointer"
        )));
    }
    let prog = target_program(elf, code, programs, r, &var.image[moff as usize..])
        .map_err(|reason| bad(format!("it is set to {symbol}, {reason}")))?;
    var.members[idx].value = MemberValue::Prog { prog };
    Ok(())
}

/// The program a function pointer names: the entry function the symbol (plus the implicit
/// addend in the slot) starts, which must be a struct_ops program.
fn target_program(
    elf: &ElfFile<'_>,
    code: &Code,
    programs: &[ProgramSpec],
    r: &crate::elf::Reloc,
    slot: &[u8],
) -> Result<usize, String> {
    let not_prog = "which is not a program; set it to a function in SEC(\"struct_ops/...\")";
    let sym = elf
        .symbols()
        .get(r.symbol)
        .ok_or("symbol index out of range")?;
    let section = sym.section.filter(|s| code.sections.contains_key(s));
    let section = section.ok_or(not_prog)?;
    let raw: [u8; 8] = slot
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .unwrap_or([0; 8]);
    let addend = if elf.big_endian() {
        u64::from_be_bytes(raw)
    } else {
        u64::from_le_bytes(raw)
    };
    let at = sym.value.wrapping_add(addend);
    if at % INSN_SIZE != 0 {
        return Err(not_prog.into());
    }
    let func = code
        .func_at(section, (at / INSN_SIZE) as usize)
        .filter(|&f| code.funcs[f].entry)
        .ok_or(not_prog)?;
    let name = &code.funcs[func].name;
    let prog = programs
        .iter()
        .position(|p| &p.name == name)
        .ok_or(not_prog)?;
    if programs[prog].prog_type != ProgType::StructOps {
        return Err(format!(
            "which is a {} program; struct_ops members take programs in SEC(\"struct_ops/...\")",
            programs[prog].prog_type.c_name()
        ));
    }
    Ok(prog)
}

fn map_spec(sec: &Section<'_>, v: Var, autocreate: bool, link: bool) -> MapSpec {
    let section = sec.name.trim_start_matches('?').to_string();
    MapSpec {
        key_size: 4,
        value_size: v.image.len() as u32,
        max_entries: 1,
        flags: if link { BPF_F_LINK } else { 0 },
        struct_ops: Some(StructOpsSpec {
            section,
            type_name: v.type_name,
            link,
            autocreate,
            image: HexBytes(v.image),
            members: v.members,
        }),
        ..MapSpec::empty(&v.name, &kernel_object_name(&v.name), MapType::StructOps)
    }
}

/// A type name without its `___flavour` suffix, as libbpf matches local types to the
/// kernel's (`tcp_congestion_ops___v2` is `tcp_congestion_ops`): the suffix starts at the
/// last `X___Y` where neither X nor Y is an underscore.
fn essential_name(name: &str) -> &str {
    let b = name.as_bytes();
    let mut i = b.len().saturating_sub(5);
    loop {
        if b.len() >= 5 && b[i] != b'_' && &b[i + 1..i + 4] == b"___" && b[i + 4] != b'_' {
            return &name[..=i];
        }
        if i == 0 {
            return name;
        }
        i -= 1;
    }
}

#[cfg(test)]
#[path = "struct_ops_tests.rs"]
mod tests;
