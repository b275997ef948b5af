//! The fd region at the start of the blob: one 4-byte slot per fd the loader may hold.
//!
//! ```text
//! index 0 .. nr_maps                 map fds; this prefix is the fd_array of every PROG_LOAD
//! mod_base .. mod_base + nr_btf      module BTF fds of kfuncs and typed ksyms (insn.off)
//! then                               BTF fd, inner-map prototype fd, attach BTF object fd,
//!                                    one fd per program
//! ```
//! `mod_base` is at least 1 because a kfunc's `off == 0` means vmlinux.

use super::error::CompileError;
use super::plan::{LoaderPlan, Resolution, Step};
use crate::ir::ObjectSpec;
use std::collections::BTreeMap;

/// Slot indices of the fd region.
#[derive(Debug, Clone)]
pub struct Slots {
    /// Module BTF slot index per extern.
    btf_ext: BTreeMap<usize, u32>,
    btf: u32,
    progs: u32,
    count: u32,
}

impl Slots {
    /// Lays out the slots for every map, program and BTF-resolved extern in `plan`.
    pub fn new(spec: &ObjectSpec, plan: &LoaderPlan) -> Result<Self, CompileError> {
        let mod_base = plan.nr_maps.max(1);
        let mut btf_ext = BTreeMap::new();
        for step in &plan.steps {
            if let Step::LoadProgram { resolve, .. } = step {
                for r in resolve {
                    if let Resolution::Btf { ext, .. } = r {
                        let next = mod_base + btf_ext.len() as u32;
                        btf_ext.entry(*ext).or_insert(next);
                    }
                }
            }
        }
        let btf = mod_base + btf_ext.len() as u32;
        if i16::try_from(btf).is_err() {
            // A kfunc call names its module BTF by a 16-bit fd_array index.
            return Err(CompileError::TooLarge {
                what: "fd_array (maps and module BTF slots)",
                size: btf.into(),
                limit: i16::MAX as u64,
            });
        }
        let progs = btf + 3;
        let count = u32::try_from(spec.programs.len())
            .ok()
            .and_then(|n| progs.checked_add(n))
            .filter(|c| u64::from(*c) * 4 <= i32::MAX as u64)
            .ok_or(CompileError::TooLarge {
                what: "fd slots",
                size: spec.programs.len() as u64,
                limit: u32::MAX.into(),
            })?;
        Ok(Slots {
            btf_ext,
            btf,
            progs,
            count,
        })
    }

    /// Number of slots.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Bytes the fd region takes.
    pub fn total_bytes(&self) -> usize {
        self.count as usize * 4
    }

    /// Blob offset of slot `i`.
    pub fn slot_off(&self, i: u32) -> u32 {
        i * 4
    }

    /// Blob offset of the fd of map `i`.
    pub fn map(&self, i: usize) -> u32 {
        i as u32 * 4
    }

    /// Blob offset of the fd of program `i`.
    pub fn prog(&self, i: usize) -> u32 {
        (self.progs + i as u32) * 4
    }

    /// Blob offset of the object's BTF fd.
    pub fn btf(&self) -> u32 {
        self.btf * 4
    }

    /// Blob offset of the inner-map prototype fd.
    pub fn inner(&self) -> u32 {
        (self.btf + 1) * 4
    }

    /// Blob offset of the attach target's BTF object fd.
    pub fn attach(&self) -> u32 {
        (self.btf + 2) * 4
    }

    /// The fd_array index and blob offset of the module BTF fd slot of extern `ext`.
    pub fn module_btf(&self, ext: usize) -> Option<(u32, u32)> {
        self.btf_ext.get(&ext).map(|i| (*i, i * 4))
    }
}
