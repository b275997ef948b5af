//! Entry programs: classified by section name and linked; and the static slots of
//! map-in-map and program-array maps, which refer to programs and maps by symbol.

use super::code::symbol_name;
use super::link::Linker;
use super::maps::UserMap;
use super::{sec_def, LowerError};
use crate::elf::ElfFile;
use crate::ir::{Attach, InitSlot, MapSpec, ProgramSpec, SlotTarget};
use crate::uapi::MapType;

/// Every entry program, in libbpf's order (section index, then offset).
pub(crate) fn build(linker: &Linker<'_>) -> Result<Vec<ProgramSpec>, LowerError> {
    let code = linker.code;
    let mut out = Vec::new();
    for (i, f) in code.funcs.iter().enumerate().filter(|(_, f)| f.entry) {
        let raw = code.section_name(i);
        let (autoload, section) = match raw.strip_prefix('?') {
            Some(rest) => (false, rest),
            None => (true, raw),
        };
        let def = sec_def::classify(section).ok_or_else(|| LowerError::UnknownSection {
            section: raw.to_string(),
        })?;
        if let (
            Some(Attach::Uprobe {
                retprobe,
                target: None,
            }),
            Some(text),
        ) = (&def.attach, &def.attach_to)
        {
            let reason = super::attach::uprobe_target(text, *retprobe).err();
            if let Some(reason) = reason {
                return Err(LowerError::BadProgram {
                    section: raw.to_string(),
                    program: f.name.clone(),
                    reason,
                });
            }
        }
        let linked = linker.link(i)?;
        out.push(ProgramSpec {
            name: f.name.clone(),
            section: section.to_string(),
            prog_type: def.prog_type,
            expected_attach_type: def.expected_attach_type,
            attach_to: def.attach_to,
            btf_target: def.btf_target,
            attach: def.attach,
            flags: def.flags,
            autoload,
            insns: linked.insns,
            func_info: linked.func_info,
            line_info: linked.line_info,
            core_relos: linked.core_relos,
            relocations: linked.relocations,
        });
    }
    Ok(out)
}

/// Reads the relocations of `.maps` that fill `values` slots statically.
pub(crate) fn init_slots(
    elf: &ElfFile<'_>,
    user_maps: &[UserMap],
    maps: &mut [MapSpec],
    programs: &[ProgramSpec],
) -> Result<(), LowerError> {
    let Some(sec) = elf.section_by_name(".maps") else {
        return Ok(());
    };
    for r in &sec.relocs {
        let bad = |reason: String| LowerError::BadRelocation {
            section: ".maps".into(),
            offset: r.offset,
            symbol: symbol_name(elf, r.symbol),
            reason,
        };
        let outer = user_maps
            .iter()
            .position(|m| m.offset <= r.offset && r.offset < m.offset + m.size)
            .ok_or_else(|| bad("not inside any map definition".into()))?;
        let m = &user_maps[outer];
        let values = m
            .values_offset
            .ok_or_else(|| bad(format!("map {} has no `values` field", m.spec.name)))?;
        let rel = (r.offset - m.offset)
            .checked_sub(values)
            .filter(|rel| rel % 8 == 0)
            .ok_or_else(|| bad("not on a slot of `values`".into()))?;
        let index = u32::try_from(rel / 8).map_err(|_| bad("slot index out of range".into()))?;
        let sym = elf
            .symbols()
            .get(r.symbol)
            .ok_or_else(|| bad("symbol index out of range".into()))?;
        let target = if sym.section == Some(sec.index) {
            let inner = user_maps.iter().position(|u| u.offset == sym.value);
            SlotTarget::Map(inner.ok_or_else(|| bad("symbol is not a map".into()))?)
        } else {
            let prog = programs.iter().position(|p| p.name == sym.name);
            SlotTarget::Program(
                prog.ok_or_else(|| bad("symbol is neither a map nor a program".into()))?,
            )
        };
        let fits = matches!(
            (maps[outer].map_type, target),
            (
                MapType::ArrayOfMaps | MapType::HashOfMaps,
                SlotTarget::Map(_)
            ) | (MapType::ProgArray, SlotTarget::Program(_))
        );
        if !fits {
            return Err(bad(format!(
                "map {} cannot hold this kind of slot",
                m.spec.name
            )));
        }
        if index >= maps[outer].max_entries {
            return Err(bad(format!(
                "slot {index} is beyond max_entries {}",
                maps[outer].max_entries
            )));
        }
        maps[outer].init_slots.push(InitSlot { index, target });
    }
    for m in maps.iter_mut() {
        m.init_slots.sort_by_key(|s| s.index);
    }
    Ok(())
}

/// Gives `p` the section `section` and everything libbpf's table decides from it, as
/// [`build`] would have.
#[cfg(test)]
pub(crate) fn set_section(p: &mut ProgramSpec, section: &str) {
    let def = sec_def::classify(section).expect("a section libbpf knows");
    p.section = section.to_string();
    p.prog_type = def.prog_type;
    p.expected_attach_type = def.expected_attach_type;
    p.attach_to = def.attach_to;
    p.btf_target = def.btf_target;
    p.attach = def.attach;
    p.flags = def.flags;
}
