//! Where everything lives in the blob, decided before any instruction is emitted.
//!
//! ```text
//! fd slots (see Slots)            | read and written by the loader: reached through r9
//! attrs, kallsyms result slots    |   with one instruction while within 32 KiB
//! BTF, program instructions,      | read by the kernel through pointers, or patched at
//! BTF.ext records, images, keys,  |   a few sites
//! names, license                  |
//! pointer and log tables          | read by the setup loops of step 0
//! ```
//!
//! Knowing every offset up front lets a command's result go straight to every attr field
//! that needs it (a new map fd into the attrs that update and freeze the map), and lets
//! step 0 store every blob address the attrs hold in one pass.

use super::attr::{btf_load, map_create, map_elem, prog_load as pl, Attr};
use super::emit::Data;
use super::error::CompileError;
use super::map_data::map_attr;
use super::plan::{LoaderPlan, Resolution, Step};
use super::prog_data::{normalized_insns, prog_attr, uses_fd_array, ExtRecords, Lookup, ProgData};
use super::slots::Slots;
use crate::ir::{ObjectSpec, SlotTarget};
use std::collections::BTreeMap;

/// From this many blob addresses on, step 0 stores them with a loop over a table instead
/// of three instructions each. A loop is shorter but costs the verifier ten instructions
/// per entry instead of three, and verification is most of a load's time: only long
/// loaders trade it for size.
const POINTER_LOOP_MIN: usize = 64;

/// The blob offsets one step uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum StepData {
    /// No data (`check_context`, `finish`).
    Nothing,
    /// The attr of a `BPF_BTF_LOAD`, `BPF_MAP_CREATE`, `BPF_MAP_FREEZE` or slot update.
    Attr {
        /// Offset of the attr.
        attr: u32,
        /// Its size.
        len: usize,
    },
    /// A global-data update: its attr and the initial image the kernel copies.
    Update {
        /// Offset of the attr.
        attr: u32,
        /// Offset of the image.
        image: u32,
        /// Size of the image.
        len: usize,
    },
    /// A program load.
    Prog(ProgData),
}

/// The blob and every offset the compiler needs.
#[derive(Debug)]
pub(super) struct Placement {
    pub data: Data,
    pub slots: Slots,
    /// Parallel to the plan's steps.
    pub steps: Vec<StepData>,
    /// `btf_fd` fields, filled when the object's BTF is loaded.
    pub btf_fd_users: Vec<u32>,
    /// Per map, the `map_fd` fields of the attrs that use it, filled when it is created.
    pub map_fd_users: Vec<Vec<u32>>,
    /// Per map of maps, the `inner_map_fd` field its prototype's fd goes to.
    pub inner_fd_user: BTreeMap<usize, u32>,
    /// `(field, target)`: `*(u64 *)&blob[field] = &blob[target]`, done in step 0.
    pub pointers: Vec<(u32, u32)>,
    /// Table of `pointers` as `u32` pairs, when a loop stores them.
    pub pointer_table: Option<u32>,
    license: Option<u32>,
}

impl Placement {
    /// Lays out the blob for `plan`.
    pub fn new(spec: &ObjectSpec, plan: &LoaderPlan) -> Result<Self, CompileError> {
        let slots = Slots::new(spec, plan)?;
        let mut l = Placement {
            data: Data::default(),
            slots,
            steps: Vec::with_capacity(plan.steps.len()),
            btf_fd_users: Vec::new(),
            map_fd_users: vec![Vec::new(); spec.maps.len()],
            inner_fd_user: BTreeMap::new(),
            pointers: Vec::new(),
            pointer_table: None,
            license: None,
        };
        // The fd region comes first: its start doubles as the fd_array of every PROG_LOAD.
        let fd_off = l.data.zeros(l.slots.total_bytes())?;
        debug_assert_eq!(fd_off, 0);
        for step in &plan.steps {
            let s = l.hot(spec, step)?;
            l.steps.push(s);
        }
        for (i, step) in plan.steps.iter().enumerate() {
            l.cold(spec, step, i)?;
        }
        l.tables()?;
        Ok(l)
    }

    /// Size of the finished blob (what bounds checks compare against).
    pub fn data_len(&self) -> usize {
        (self.data.len().div_ceil(8) * 8).max(8)
    }

    /// Attrs and result slots of `step`.
    fn hot(&mut self, spec: &ObjectSpec, step: &Step) -> Result<StepData, CompileError> {
        let with_btf = !spec.btf.0.is_empty();
        Ok(match step {
            Step::CheckContext | Step::Finish => StepData::Nothing,
            Step::LoadBtf => {
                let size = u32::try_from(spec.btf.0.len())
                    .map_err(|_| CompileError::too_large("BTF", spec.btf.0.len()))?;
                let mut a = Attr::with_min(btf_load::ATTR_SIZE);
                a.u32(btf_load::SIZE, size);
                let attr = self.attr(a.finish())?;
                attr.into()
            }
            Step::CreateInnerMap { outer, .. } => {
                let m = spec.maps[*outer]
                    .inner
                    .as_deref()
                    .ok_or_else(|| CompileError::BadMap {
                        map: spec.maps[*outer].name.clone(),
                        reason: "no inner map definition".into(),
                    })?;
                self.map(m, with_btf)?.into()
            }
            Step::CreateMap { map, .. } => {
                let m = &spec.maps[*map];
                let attr = self.map(m, with_btf)?;
                if m.inner.is_some() {
                    self.inner_fd_user
                        .insert(*map, attr.0 + map_create::INNER_MAP_FD);
                }
                attr.into()
            }
            Step::UpdateElem { map, .. } => {
                let attr = self.user_attr(*map, map_elem::UPDATE_SIZE)?;
                let len = spec.maps[*map].value_size as usize;
                StepData::Update {
                    attr: attr.0,
                    image: 0,
                    len,
                }
            }
            Step::Freeze { map, .. } => self.user_attr(*map, map_elem::FREEZE_SIZE)?.into(),
            Step::FillSlot { outer, .. } => self.user_attr(*outer, map_elem::UPDATE_SIZE)?.into(),
            Step::LoadProgram { prog, resolve, .. } => self.prog_hot(spec, *prog, resolve)?,
        })
    }

    fn attr(&mut self, bytes: Vec<u8>) -> Result<(u32, usize), CompileError> {
        Ok((self.data.add(&bytes)?, bytes.len()))
    }

    fn map(
        &mut self,
        m: &crate::ir::MapSpec,
        with_btf: bool,
    ) -> Result<(u32, usize), CompileError> {
        let (bytes, use_btf) = map_attr(m, with_btf)?;
        let attr = self.attr(bytes)?;
        if use_btf {
            self.btf_fd_users.push(attr.0 + map_create::BTF_FD);
        }
        Ok(attr)
    }

    /// An attr of `size` bytes whose `map_fd` is map `map`'s fd.
    fn user_attr(&mut self, map: usize, size: u32) -> Result<(u32, usize), CompileError> {
        let attr = self.attr(vec![0; size as usize])?;
        self.map_fd_users[map].push(attr.0 + map_elem::MAP_FD);
        Ok(attr)
    }

    fn prog_hot(
        &mut self,
        spec: &ObjectSpec,
        prog: usize,
        resolve: &[Resolution],
    ) -> Result<StepData, CompileError> {
        let p = &spec.programs[prog];
        let ext = ExtRecords::new(p, !spec.btf.0.is_empty())?;
        let attach = resolve.iter().any(|r| {
            matches!(
                r,
                Resolution::AttachTarget { .. } | Resolution::StructOps { .. }
            )
        });
        let (attr, attr_len) = self.attr(prog_attr(p, spec.kern_version, &ext, attach)?)?;
        if !ext.is_empty() {
            self.btf_fd_users.push(attr + pl::PROG_BTF_FD);
        }
        let mut lookups = Vec::with_capacity(resolve.len());
        for r in resolve {
            let result = match r {
                Resolution::Kallsyms { .. } => self.data.zeros(8)?,
                _ => 0,
            };
            lookups.push(Lookup {
                name: 0,
                name_len: 0,
                result,
            });
        }
        Ok(StepData::Prog(ProgData {
            insns: 0,
            attr,
            attr_len,
            lookups,
        }))
    }

    /// Data the kernel reads through the pointers of step `i`'s attr.
    fn cold(&mut self, spec: &ObjectSpec, step: &Step, i: usize) -> Result<(), CompileError> {
        let mut data = std::mem::replace(&mut self.steps[i], StepData::Nothing);
        match (step, &mut data) {
            (Step::LoadBtf, StepData::Attr { attr, .. }) => {
                let btf = self.data.add(&spec.btf.0)?;
                self.pointers.push((*attr + btf_load::BTF, btf));
            }
            (Step::UpdateElem { map, .. }, StepData::Update { attr, image, .. }) => {
                let bytes = spec.maps[*map]
                    .data
                    .as_ref()
                    .map(|d| d.initial.0.clone())
                    .unwrap_or_default();
                *image = self.data.add(&bytes)?;
                let key = self.data.add(&0u32.to_le_bytes())?;
                self.pointers.push((*attr + map_elem::KEY, key));
                self.pointers.push((*attr + map_elem::VALUE, *image));
            }
            (Step::FillSlot { index, target, .. }, StepData::Attr { attr, .. }) => {
                let key = self.data.add(&index.to_le_bytes())?;
                let value = match target {
                    SlotTarget::Map(t) => self.slots.map(*t),
                    SlotTarget::Program(p) => self.slots.prog(*p),
                };
                self.pointers.push((*attr + map_elem::KEY, key));
                self.pointers.push((*attr + map_elem::VALUE, value));
            }
            (Step::LoadProgram { prog, resolve, .. }, StepData::Prog(pd)) => {
                self.prog_cold(spec, *prog, resolve, pd)?;
            }
            _ => {}
        }
        self.steps[i] = data;
        Ok(())
    }

    fn prog_cold(
        &mut self,
        spec: &ObjectSpec,
        prog: usize,
        resolve: &[Resolution],
        pd: &mut ProgData,
    ) -> Result<(), CompileError> {
        let p = &spec.programs[prog];
        pd.insns = self.data.add(&normalized_insns(p)?)?;
        self.pointers.push((pd.attr + pl::INSNS, pd.insns));
        let license = self.license(&spec.license)?;
        self.pointers.push((pd.attr + pl::LICENSE, license));
        let ext = ExtRecords::new(p, !spec.btf.0.is_empty())?;
        for (bytes, field) in [
            (&ext.func_info, pl::FUNC_INFO),
            (&ext.line_info, pl::LINE_INFO),
            (&ext.core, pl::CORE_RELOS),
        ] {
            if !bytes.is_empty() {
                let off = self.data.add(bytes)?;
                self.pointers.push((pd.attr + field, off));
            }
        }
        if uses_fd_array(p) {
            self.pointers
                .push((pd.attr + pl::FD_ARRAY, self.slots.slot_off(0)));
        }
        for (r, l) in resolve.iter().zip(&mut pd.lookups) {
            let name = match r {
                Resolution::AttachTarget { name, .. }
                | Resolution::Btf { name, .. }
                | Resolution::Kallsyms { name, .. } => name,
                // Read from the context: nothing to look up by name.
                Resolution::StructOps { .. } => continue,
            };
            let mut bytes = name.as_bytes().to_vec();
            bytes.push(0);
            l.name_len = i32::try_from(bytes.len())
                .map_err(|_| CompileError::too_large("symbol name", bytes.len()))?;
            l.name = self.data.add(&bytes)?;
        }
        Ok(())
    }

    /// The object's license string, added once.
    fn license(&mut self, license: &str) -> Result<u32, CompileError> {
        if let Some(off) = self.license {
            return Ok(off);
        }
        let mut l = license.as_bytes().to_vec();
        l.push(0);
        let off = self.data.add(&l)?;
        self.license = Some(off);
        Ok(off)
    }

    /// The tables step 0 loops over, when a loop is shorter than straight-line stores.
    fn tables(&mut self) -> Result<(), CompileError> {
        if self.pointers.len() >= POINTER_LOOP_MIN {
            let bytes: Vec<u8> = self
                .pointers
                .iter()
                .flat_map(|(f, t)| [*f, *t])
                .flat_map(u32::to_le_bytes)
                .collect();
            self.pointer_table = Some(self.data.add(&bytes)?);
        }
        Ok(())
    }
}

impl From<(u32, usize)> for StepData {
    fn from((attr, len): (u32, usize)) -> Self {
        StepData::Attr { attr, len }
    }
}
