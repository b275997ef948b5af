//! Turns a parsed BPF object into an [`ObjectSpec`]: maps, linked programs, externs and the
//! BTF the kernel will accept. Reads only; never makes a syscall.

mod attach;
mod code;
mod data_facts;
mod error;
mod externs;
mod link;
mod maps;
mod named;
mod names;
pub(crate) mod programs;
pub(crate) mod sec_def;
mod struct_ops;
mod types;

pub use error::LowerError;
pub use named::{named_types, NamedType};

use crate::btf::{Btf, BtfExt};
use crate::elf::ElfFile;
use crate::ir::{MapSpec, ObjectSpec};
use link::{ExtInfo, Targets};

/// Builds the ObjectSpec of an ELF object named `name`, with the named types `asked` (the
/// C names `--type` gives) in its type table.
pub fn lower(elf: &ElfFile<'_>, name: &str, asked: &[String]) -> Result<ObjectSpec, LowerError> {
    let btf_sec = elf.section_by_name(".BTF").ok_or(LowerError::MissingBtf)?;
    let mut btf = Btf::parse(btf_sec.data).map_err(LowerError::btf)?;
    let ext = match elf.section_by_name(".BTF.ext") {
        Some(sec) => group_ext(BtfExt::parse(sec.data, &btf).map_err(LowerError::btf_ext)?),
        None => ExtInfo::default(),
    };

    // Extern DATASECs are laid out first; the ELF-driven fix-up then sorts them with the rest.
    let externs = externs::collect(elf, &mut btf)?;
    btf.fixup_datasecs(elf).map_err(LowerError::btf)?;
    let user_maps = maps::user_maps(&btf)?;
    let globals: Vec<_> = maps::global_sections(elf).collect();

    let mut targets = Targets {
        externs: externs.by_symbol.clone(),
        ..Targets::default()
    };
    targets.maps_section = elf.section_by_name(".maps").map(|s| s.index);
    let mut all_maps: Vec<MapSpec> = Vec::new();
    let mut var_types: Vec<Vec<u32>> = Vec::new();
    for (i, m) in user_maps.iter().enumerate() {
        targets.user_maps.insert(m.offset, i);
        all_maps.push(m.spec.clone());
        var_types.push(Vec::new());
    }
    for (sec, kind) in &globals {
        targets.data_maps.insert(sec.index, all_maps.len());
        let (spec, tys) = maps::global_map(&btf, name, sec, *kind)?;
        all_maps.push(spec);
        var_types.push(tys);
    }
    if let Some(size) = externs.kconfig_size {
        targets.kconfig_map = Some(all_maps.len());
        let datasec = btf
            .find_by_name_kind(".kconfig", crate::btf::BtfKind::Datasec)
            .unwrap_or(0);
        let vars = maps::datasec_vars(&btf, datasec)?;
        let kind = crate::ir::GlobalKind::Kconfig;
        let (spec, tys) = maps::global_spec(
            name,
            ".kconfig",
            kind,
            size,
            datasec,
            vec![0; size as usize],
            vars,
        );
        all_maps.push(spec);
        var_types.push(tys);
    }

    let code = code::Code::collect(elf)?;
    mark_hidden_subprograms_static(elf, &code, &mut btf);
    let linker = link::Linker {
        elf,
        btf: &btf,
        code: &code,
        ext: &ext,
        targets: &targets,
    };
    let programs = programs::build(&linker)?;
    programs::init_slots(elf, &user_maps, &mut all_maps, &programs)?;
    for m in struct_ops::maps(elf, &btf, &code, &programs)? {
        all_maps.push(m);
        var_types.push(Vec::new());
    }

    let mut asked_ids: Vec<u32> = Vec::new();
    for a in asked {
        let id = named::find(&btf, a)?;
        if !asked_ids.contains(&id) {
            asked_ids.push(id);
        }
    }
    let (types, named_types) =
        types::fill_types(&btf, &mut all_maps, &var_types, &asked_ids).map_err(LowerError::btf)?;
    Ok(ObjectSpec {
        name: name.to_string(),
        license: read_license(elf),
        kern_version: read_version(elf),
        btf: crate::ir::HexBytes(btf.to_bytes()),
        maps: all_maps,
        programs,
        externs: externs.specs,
        types,
        named_types,
    })
}

/// A sub-program with hidden visibility cannot be called from outside the object, and the
/// kernel verifies it as static; libbpf marks its FUNC static before `BPF_BTF_LOAD`.
fn mark_hidden_subprograms_static(elf: &ElfFile<'_>, code: &code::Code, btf: &mut Btf) {
    use crate::elf::{Binding, STV_HIDDEN, STV_INTERNAL};
    for f in code.funcs.iter().filter(|f| !f.entry) {
        let hidden = elf.symbols().iter().any(|s| {
            s.name == f.name
                && s.section == Some(f.section)
                && matches!(s.binding, Binding::Global | Binding::Weak)
                && matches!(s.visibility, STV_HIDDEN | STV_INTERNAL)
        });
        if hidden {
            btf.mark_func_static(&f.name);
        }
    }
}

fn group_ext(ext: BtfExt) -> ExtInfo {
    let mut out = ExtInfo::default();
    for s in ext.func_info {
        out.func_info
            .entry(s.section)
            .or_default()
            .extend(s.records);
    }
    for s in ext.line_info {
        out.line_info
            .entry(s.section)
            .or_default()
            .extend(s.records);
    }
    for s in ext.core_relos {
        out.core_relos
            .entry(s.section)
            .or_default()
            .extend(s.records);
    }
    out
}

fn read_license(elf: &ElfFile<'_>) -> String {
    let Some(sec) = elf.section_by_name("license") else {
        return String::new();
    };
    let end = sec
        .data
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(sec.data.len());
    String::from_utf8_lossy(&sec.data[..end]).into_owned()
}

fn read_version(elf: &ElfFile<'_>) -> Option<u32> {
    let sec = elf.section_by_name("version")?;
    let bytes: [u8; 4] = sec.data.get(..4)?.try_into().ok()?;
    Some(if elf.big_endian() {
        u32::from_be_bytes(bytes)
    } else {
        u32::from_le_bytes(bytes)
    })
}
