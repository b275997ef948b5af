//! The loader plan: the ordered operations the loader program performs, derived from an
//! [`ObjectSpec`] and compiled into instructions by [`super::compile`].
//!
//! The plan is language-neutral and serialisable so that `skelgen --emit plan` can show it
//! and tests can snapshot it. Step indices are part of the run-time ABI: when the loader
//! fails it reports the index of the failing step in the context (`docs/loader-abi.md`).

use super::error::CompileError;
use crate::ir::{BtfTargetKind, ExternKind, GlobalKind, ObjectSpec, RelocKind, SlotTarget};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the context layout the compiled loader expects (`SKELGEN_LOADER_ABI`).
pub const LOADER_ABI_VERSION: u32 = 2;

/// Everything the loader program does, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoaderPlan {
    /// Context layout version the loader checks first ([`LOADER_ABI_VERSION`]).
    pub abi_version: u32,
    /// Number of map descriptors in the context.
    pub nr_maps: u32,
    /// Number of program descriptors in the context.
    pub nr_progs: u32,
    /// The struct_ops maps, in the order of their context descriptors (indices into
    /// [`ObjectSpec::maps`]).
    #[serde(default)]
    pub struct_ops_maps: Vec<usize>,
    /// The struct_ops programs, in the order of their context descriptors (indices into
    /// [`ObjectSpec::programs`]).
    #[serde(default)]
    pub struct_ops_progs: Vec<usize>,
    /// The steps; a step's index is what the context reports when it fails.
    pub steps: Vec<Step>,
}

/// One operation of the loader, usually one `bpf()` command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "op")]
pub enum Step {
    /// Checks the context's size, ABI version and descriptor counts.
    CheckContext,
    /// `BPF_BTF_LOAD` of the object's BTF.
    LoadBtf,
    /// `BPF_MAP_CREATE` of the inner prototype of a map-in-map, closed after the outer map.
    CreateInnerMap {
        /// Index of the outer map in [`ObjectSpec::maps`].
        outer: usize,
        /// Source name of the outer map.
        name: String,
    },
    /// `BPF_MAP_CREATE`, with the `max_entries`/`value_size` knobs of the context applied (a
    /// struct_ops map: skipped unless `autocreate`, with its kernel value type from the
    /// context).
    CreateMap {
        /// Index in [`ObjectSpec::maps`].
        map: usize,
        /// Source name.
        name: String,
    },
    /// `BPF_MAP_UPDATE_ELEM` of key 0 with the initial image of a global-data map, or the
    /// bytes behind the context's `initial_value` pointer.
    UpdateElem {
        /// Index in [`ObjectSpec::maps`].
        map: usize,
        /// Source name.
        name: String,
    },
    /// `BPF_MAP_FREEZE` (`.rodata`, `.kconfig`).
    Freeze {
        /// Index in [`ObjectSpec::maps`].
        map: usize,
        /// Source name.
        name: String,
    },
    /// `BPF_MAP_UPDATE_ELEM` of one static slot of a map-in-map or program array. Skipped
    /// at run time when the target is a program that was not loaded.
    FillSlot {
        /// Index of the outer map in [`ObjectSpec::maps`].
        outer: usize,
        /// Slot (key).
        index: u32,
        /// What goes into the slot.
        target: SlotTarget,
        /// `outer[index] = target`, for humans.
        text: String,
    },
    /// Run-time resolutions, then `BPF_PROG_LOAD`; skipped when `autoload` is 0.
    LoadProgram {
        /// Index in [`ObjectSpec::programs`].
        prog: usize,
        /// Function name.
        name: String,
        /// Resolutions done on the target before the load.
        resolve: Vec<Resolution>,
    },
    /// Closes the BTF fd and copies every map and program fd into the context.
    Finish,
}

/// A lookup on the target kernel that patches a program before `BPF_PROG_LOAD`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Resolution {
    /// `attach_btf_id` / `attach_btf_obj_fd` from `bpf_btf_find_by_name_kind`.
    AttachTarget {
        /// Full BTF name.
        name: String,
        /// BTF kind.
        btf_kind: BtfTargetKind,
    },
    /// A kfunc or typed ksym: BTF id and module BTF fd from `bpf_btf_find_by_name_kind`.
    Btf {
        /// Index in [`ObjectSpec::externs`].
        ext: usize,
        /// Symbol name.
        name: String,
        /// `BTF_KIND_FUNC` for kfuncs, `BTF_KIND_VAR` for variables.
        func: bool,
        /// Missing symbol resolves to zero instead of failing.
        weak: bool,
        /// Call instructions to patch (`imm` = BTF id, `off` = fd_array index).
        calls: Vec<u32>,
        /// `ld_imm64` instructions to patch (`imm` = BTF id, `insn[1].imm` = BTF fd).
        loads: Vec<u32>,
    },
    /// A struct_ops program: `attach_btf_id` and `expected_attach_type` from its struct_ops
    /// program descriptor, which the runtime fills from the kernel's BTF.
    StructOps {
        /// Index of the descriptor (position in [`LoaderPlan::struct_ops_progs`]).
        slot: u32,
        /// The members that name the program (`map.member`), for readers of the plan.
        members: Vec<String>,
    },
    /// A typeless ksym: address from `bpf_kallsyms_lookup_name`.
    Kallsyms {
        /// Index in [`ObjectSpec::externs`].
        ext: usize,
        /// Symbol name.
        name: String,
        /// Missing symbol resolves to zero instead of failing.
        weak: bool,
        /// `ld_imm64` instructions to patch with the address.
        loads: Vec<u32>,
    },
}

impl LoaderPlan {
    /// Builds the plan for `spec`, checking every index the plan relies on.
    pub fn new(spec: &ObjectSpec) -> Result<Self, CompileError> {
        let nr_maps = count(spec.maps.len(), "maps")?;
        let nr_progs = count(spec.programs.len(), "programs")?;
        let struct_ops_maps = spec.struct_ops_maps();
        let struct_ops_progs = spec.struct_ops_programs();
        let mut steps = vec![Step::CheckContext];
        if !spec.btf.0.is_empty() {
            steps.push(Step::LoadBtf);
        }
        for i in 0..spec.maps.len() {
            map_steps(spec, i, &mut steps)?;
        }
        slot_steps(spec, false, &mut steps)?;
        for (i, p) in spec.programs.iter().enumerate() {
            let mut resolve = resolutions(spec, i)?;
            if let Some(slot) = struct_ops_progs.iter().position(|&j| j == i) {
                resolve.insert(0, struct_ops_resolution(spec, i, slot)?);
            }
            steps.push(Step::LoadProgram {
                prog: i,
                name: p.name.clone(),
                resolve,
            });
        }
        slot_steps(spec, true, &mut steps)?;
        steps.push(Step::Finish);
        Ok(LoaderPlan {
            abi_version: LOADER_ABI_VERSION,
            nr_maps,
            nr_progs,
            struct_ops_maps,
            struct_ops_progs,
            steps,
        })
    }

    /// The number of descriptors of each kind in the context.
    pub fn counts(&self) -> super::ctx::Counts {
        super::ctx::Counts {
            maps: self.nr_maps,
            progs: self.nr_progs,
            // Both are bounded by the map and program counts, which are u32.
            struct_ops_maps: self.struct_ops_maps.len() as u32,
            struct_ops_progs: self.struct_ops_progs.len() as u32,
        }
    }

    /// Size in bytes of the context the runtime passes.
    pub fn ctx_size(&self) -> u64 {
        self.counts().size()
    }

    /// The struct_ops descriptor index of map `map`, if it is a struct_ops map.
    pub fn struct_ops_map_slot(&self, map: usize) -> Option<u32> {
        let k = self.struct_ops_maps.iter().position(|&m| m == map)?;
        Some(k as u32)
    }
}

fn count(n: usize, what: &'static str) -> Result<u32, CompileError> {
    u32::try_from(n).map_err(|_| CompileError::TooLarge {
        what,
        size: n as u64,
        limit: u32::MAX.into(),
    })
}

fn map_steps(spec: &ObjectSpec, i: usize, steps: &mut Vec<Step>) -> Result<(), CompileError> {
    let m = &spec.maps[i];
    let name = m.name.clone();
    if m.inner.is_some() {
        steps.push(Step::CreateInnerMap {
            outer: i,
            name: name.clone(),
        });
    }
    steps.push(Step::CreateMap {
        map: i,
        name: name.clone(),
    });
    if let Some(d) = &m.data {
        if d.initial.0.len() != m.value_size as usize {
            return Err(CompileError::BadMap {
                map: name,
                reason: format!(
                    "initial image is {} bytes, value_size is {}",
                    d.initial.0.len(),
                    m.value_size
                ),
            });
        }
        if m.value_size > 0 {
            steps.push(Step::UpdateElem {
                map: i,
                name: name.clone(),
            });
        }
        if d.frozen || matches!(d.kind, GlobalKind::Rodata | GlobalKind::Kconfig) {
            steps.push(Step::Freeze { map: i, name });
        }
    }
    Ok(())
}

/// Static slots whose target is a map (`programs == false`) or a program.
fn slot_steps(
    spec: &ObjectSpec,
    programs: bool,
    steps: &mut Vec<Step>,
) -> Result<(), CompileError> {
    for (i, m) in spec.maps.iter().enumerate() {
        for s in &m.init_slots {
            let target_name = match s.target {
                SlotTarget::Map(t) => spec.maps.get(t).map(|t| t.name.as_str()),
                SlotTarget::Program(t) => spec.programs.get(t).map(|t| t.name.as_str()),
            };
            let Some(target_name) = target_name else {
                return Err(CompileError::BadMap {
                    map: m.name.clone(),
                    reason: format!("slot {} targets a missing object", s.index),
                });
            };
            if m.key_size != 4 {
                return Err(CompileError::BadMap {
                    map: m.name.clone(),
                    reason: format!("static slots need a 4-byte key, not {}", m.key_size),
                });
            }
            if matches!(s.target, SlotTarget::Program(_)) == programs {
                let text = format!("{}[{}] = {}", m.name, s.index, target_name);
                steps.push(Step::FillSlot {
                    outer: i,
                    index: s.index,
                    target: s.target,
                    text,
                });
            }
        }
    }
    Ok(())
}

/// Where a struct_ops program's attach type comes from, with the members that name it. A
/// program no map names still gets a descriptor: the runtime refuses to load it, as the
/// kernel would (it has no member to attach to).
fn struct_ops_resolution(
    spec: &ObjectSpec,
    prog: usize,
    slot: usize,
) -> Result<Resolution, CompileError> {
    let members = spec
        .maps
        .iter()
        .filter_map(|m| m.struct_ops.as_ref().map(|s| (m, s)))
        .flat_map(|(m, s)| {
            s.programs()
                .filter(|(p, _)| *p == prog)
                .map(move |(_, member)| format!("{}.{}", m.name, member.name))
        })
        .collect();
    let slot = u32::try_from(slot).map_err(|_| CompileError::TooLarge {
        what: "struct_ops programs",
        size: slot as u64,
        limit: u32::MAX.into(),
    })?;
    Ok(Resolution::StructOps { slot, members })
}

/// The lookups program `prog` needs, grouped by extern so each symbol is looked up once.
fn resolutions(spec: &ObjectSpec, prog: usize) -> Result<Vec<Resolution>, CompileError> {
    let p = &spec.programs[prog];
    let mut out = Vec::new();
    if let Some(t) = &p.btf_target {
        out.push(Resolution::AttachTarget {
            name: t.name.clone(),
            btf_kind: t.kind,
        });
    }
    let mut by_ext: BTreeMap<usize, (Vec<u32>, Vec<u32>)> = BTreeMap::new();
    for r in &p.relocations {
        let bad = |reason: String| CompileError::BadRelocation {
            prog: p.name.clone(),
            insn: r.insn,
            reason,
        };
        match r.kind {
            RelocKind::Map { map } | RelocKind::MapValue { map, .. } if map >= spec.maps.len() => {
                return Err(bad(format!("map index {map} out of range")));
            }
            RelocKind::Map { .. } | RelocKind::MapValue { .. } => {}
            RelocKind::Kfunc { ext } => by_ext.entry(ext).or_default().0.push(r.insn),
            RelocKind::Ksym { ext } => by_ext.entry(ext).or_default().1.push(r.insn),
        }
    }
    for (ext, (calls, loads)) in by_ext {
        let e = spec
            .externs
            .get(ext)
            .ok_or_else(|| CompileError::BadRelocation {
                prog: p.name.clone(),
                insn: calls.first().or(loads.first()).copied().unwrap_or(0),
                reason: format!("extern index {ext} out of range"),
            })?;
        let (name, weak) = (e.name.clone(), e.weak);
        out.push(match e.kind {
            ExternKind::Kfunc { .. } => Resolution::Btf {
                ext,
                name,
                func: true,
                weak,
                calls,
                loads,
            },
            ExternKind::KsymTyped { .. } if calls.is_empty() => Resolution::Btf {
                ext,
                name,
                func: false,
                weak,
                calls,
                loads,
            },
            ExternKind::KsymTypeless if calls.is_empty() => Resolution::Kallsyms {
                ext,
                name,
                weak,
                loads,
            },
            _ => {
                return Err(CompileError::BadRelocation {
                    prog: p.name.clone(),
                    insn: calls.first().or(loads.first()).copied().unwrap_or(0),
                    reason: format!("extern {name} cannot be used this way"),
                })
            }
        });
    }
    Ok(out)
}
