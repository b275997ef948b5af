//! The loader's plan as user space would perform it: every `bpf()` call with the attr the
//! loader program passes, where it lies in the blob, and which attr fields take each fd the
//! calls create. For measuring the kernel's own work for an object (the floor under every
//! skeleton's load); no skeleton uses it.
//!
//! The attrs are the blob's own bytes. Pointers in them are blob offsets until
//! [`Replay::pointers`] are applied to a copy of the blob; run-time resolutions (attach
//! targets, kfuncs, ksyms) are the loader's, so a replay starts from the blob as a loader
//! run left it (read back from the loader map), where they are filled in.

use super::error::CompileError;
use super::placement::{Placement, StepData};
use super::plan::{LoaderPlan, Resolution, Step};
use crate::ir::{ObjectSpec, SlotTarget};
use std::collections::BTreeMap;

/// One `bpf()` call of the plan: its attr is `blob[attr..attr + len]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// Index of the plan step.
    pub step: usize,
    /// `BPF_*` command.
    pub cmd: i32,
    /// Blob offset of the attr.
    pub attr: u32,
    /// Its size.
    pub len: usize,
    /// What the call's fd is, if it makes one.
    pub makes: Option<Made>,
    /// The program the call loads or puts into a slot, skipped when that program is not
    /// loaded.
    pub needs_prog: Option<usize>,
}

/// What a call's fd is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Made {
    /// The object's BTF.
    Btf,
    /// The inner prototype of map-in-map `outer`, closed once that map exists.
    Inner(usize),
    /// Map `i`.
    Map(usize),
    /// Program `i`.
    Prog(usize),
}

/// The plan's calls and where their fds go.
#[derive(Debug, Clone)]
pub struct Replay {
    /// The calls, in plan order.
    pub calls: Vec<Call>,
    /// `(field, target)`: `*(u64 *)&blob[field] = address of blob[target]`.
    pub pointers: Vec<(u32, u32)>,
    /// Bytes at the start of the blob that hold fds (the fd_array of every program load).
    pub fd_region: usize,
    /// Per fd a call makes, the blob offsets of the 4-byte fields that take it.
    pub fd_users: BTreeMap<Made, Vec<u32>>,
    /// Blob offsets of the slots of module BTF fds (kfuncs, typed ksyms, attach targets).
    /// The loader closes these fds itself; after a run that found everything in vmlinux they
    /// hold 0, and otherwise a replay cannot reproduce the module's fd.
    pub module_slots: Vec<u32>,
}

impl PartialOrd for Made {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Made {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let key = |m: &Made| match *m {
            Made::Btf => (0, 0),
            Made::Inner(i) => (1, i),
            Made::Map(i) => (2, i),
            Made::Prog(i) => (3, i),
        };
        key(self).cmp(&key(other))
    }
}

/// The replay of the loader skelgen compiles for `spec` (the same placement as
/// [`super::compile`]'s blob).
pub fn replay(spec: &ObjectSpec) -> Result<Replay, CompileError> {
    use super::attr::{BPF_BTF_LOAD, BPF_MAP_CREATE, BPF_MAP_FREEZE, BPF_MAP_UPDATE_ELEM};
    let plan = LoaderPlan::new(spec)?;
    let l = Placement::new(spec, &plan)?;
    let mut fd_users: BTreeMap<Made, Vec<u32>> = BTreeMap::new();
    fd_users.insert(Made::Btf, l.btf_fd_users.clone());
    for (i, users) in l.map_fd_users.iter().enumerate() {
        let mut users = users.clone();
        users.push(l.slots.map(i));
        fd_users.insert(Made::Map(i), users);
    }
    for (outer, field) in &l.inner_fd_user {
        fd_users.insert(Made::Inner(*outer), vec![*field]);
    }
    for j in 0..spec.programs.len() {
        fd_users.insert(Made::Prog(j), vec![l.slots.prog(j)]);
    }
    let mut calls = Vec::new();
    let mut module_slots = vec![l.slots.attach()];
    for (i, (step, data)) in plan.steps.iter().zip(&l.steps).enumerate() {
        let (attr, len) = match data {
            StepData::Nothing => continue,
            StepData::Attr { attr, len } => (*attr, *len),
            StepData::Update { attr, .. } => (*attr, super::attr::map_elem::UPDATE_SIZE as usize),
            StepData::Prog(p) => (p.attr, p.attr_len),
        };
        let (cmd, makes, needs_prog) = match step {
            Step::LoadBtf => (BPF_BTF_LOAD, Some(Made::Btf), None),
            Step::CreateInnerMap { outer, .. } => (BPF_MAP_CREATE, Some(Made::Inner(*outer)), None),
            Step::CreateMap { map, .. } => (BPF_MAP_CREATE, Some(Made::Map(*map)), None),
            Step::UpdateElem { .. } => (BPF_MAP_UPDATE_ELEM, None, None),
            Step::Freeze { .. } => (BPF_MAP_FREEZE, None, None),
            Step::FillSlot { target, .. } => {
                let prog = match target {
                    SlotTarget::Program(p) => Some(*p),
                    _ => None,
                };
                (BPF_MAP_UPDATE_ELEM, None, prog)
            }
            Step::LoadProgram { prog, resolve, .. } => {
                for r in resolve {
                    if let Resolution::Btf { ext, .. } = r {
                        module_slots.extend(l.slots.module_btf(*ext).map(|(_, off)| off));
                    }
                }
                (
                    super::attr::BPF_PROG_LOAD,
                    Some(Made::Prog(*prog)),
                    Some(*prog),
                )
            }
            Step::CheckContext | Step::Finish => continue,
        };
        calls.push(Call {
            step: i,
            cmd,
            attr,
            len,
            makes,
            needs_prog,
        });
    }
    Ok(Replay {
        calls,
        pointers: l.pointers.clone(),
        fd_region: l.slots.total_bytes(),
        fd_users,
        module_slots,
    })
}
