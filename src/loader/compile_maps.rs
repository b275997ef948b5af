//! Map steps: `BPF_MAP_CREATE` with the context's knobs, global data, freezing and static
//! slots of maps of maps and program arrays.

use super::attr::{self, map_create, map_elem, Attr};
use super::compile::{ctx_off16, too_large, Compiler, EINVAL};
use super::ctx;
use super::error::CompileError;
use super::insn::{self, JmpOp, Reg, Size};
use crate::ir::{MapSpec, SlotTarget};
use crate::uapi::MapType;

impl Compiler<'_> {
    /// `BPF_MAP_CREATE` of `m`; `index` is `None` for an inner prototype.
    pub(super) fn create_map(
        &mut self,
        m: &MapSpec,
        index: Option<usize>,
    ) -> Result<(), CompileError> {
        check_map(m)?;
        let use_btf =
            (m.btf_key_type_id != 0 || m.btf_value_type_id != 0) && !self.spec.btf.0.is_empty();
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
        let a = a.finish();
        let attr_off = self.d.add(&a)?;
        if let Some(i) = index {
            self.map_knobs(m, i as u32, attr_off)?;
        }
        if use_btf {
            self.blob_to_blob32(self.slots.btf(), attr_off + map_create::BTF_FD);
        }
        if m.inner.is_some() {
            self.blob_to_blob32(self.slots.inner(), attr_off + map_create::INNER_MAP_FD);
        }
        self.sys_bpf(attr::BPF_MAP_CREATE, attr_off, a.len());
        let slot = match index {
            Some(i) => self.slots.map(i),
            None => self.slots.inner(),
        };
        self.e.store_blob(Size::W, slot, Reg::R7, Reg::R1);
        if index.is_some() && m.inner.is_some() {
            // The outer map keeps its own copy of the prototype's metadata.
            self.close_slot(self.slots.inner());
        }
        Ok(())
    }

    /// Applies the context's `max_entries` and `value_size` to a `BPF_MAP_CREATE` attr.
    fn map_knobs(&mut self, m: &MapSpec, i: u32, attr_off: u32) -> Result<(), CompileError> {
        let skip = self.e.label();
        self.e.push(&[insn::ldx_mem(
            Size::W,
            Reg::R1,
            Reg::R6,
            ctx_off16(ctx::map_field(i, ctx::MAP_MAX_ENTRIES))?,
        )]);
        self.e.jmp_imm(JmpOp::Jeq, Reg::R1, 0, skip);
        self.e.store_blob(
            Size::W,
            attr_off + map_create::MAX_ENTRIES,
            Reg::R1,
            Reg::R2,
        );
        self.e.bind(skip);
        let skip = self.e.label();
        self.e.push(&[insn::ldx_mem(
            Size::W,
            Reg::R1,
            Reg::R6,
            ctx_off16(ctx::map_field(i, ctx::MAP_VALUE_SIZE))?,
        )]);
        self.e.jmp_imm(JmpOp::Jeq, Reg::R1, 0, skip);
        if m.data.is_some() {
            // The initial image in the blob has the compiled size; a different size would make
            // MAP_UPDATE_ELEM read past it.
            self.e
                .jmp_imm(JmpOp::Jeq, Reg::R1, m.value_size as i32, skip);
            self.e.push(&[insn::mov64_imm(Reg::R7, -EINVAL)]);
            let l = self.cleanup;
            self.e.ja(l);
        } else {
            self.e
                .store_blob(Size::W, attr_off + map_create::VALUE_SIZE, Reg::R1, Reg::R2);
        }
        self.e.bind(skip);
        Ok(())
    }

    pub(super) fn update_elem(&mut self, map: usize) -> Result<(), CompileError> {
        let m = &self.spec.maps[map];
        let image = m
            .data
            .as_ref()
            .map(|d| d.initial.0.clone())
            .unwrap_or_default();
        let value_off = self.d.add(&image)?;
        self.copy_initial_value(map as u32, value_off, image.len())?;
        let key_off = self.d.add(&0u32.to_le_bytes())?;
        self.map_update(self.slots.map(map), key_off, value_off)
    }

    /// Overwrites the blob's image of a global-data map with the bytes at the context's
    /// `initial_value`, when it is set.
    fn copy_initial_value(
        &mut self,
        i: u32,
        value_off: u32,
        len: usize,
    ) -> Result<(), CompileError> {
        let len = i32::try_from(len).map_err(|_| too_large("global data image", len))?;
        let (done, kernel, copied) = (self.e.label(), self.e.label(), self.e.label());
        self.e.push(&[
            insn::ldx_mem(Size::W, Reg::R4, Reg::R6, ctx::FLAGS),
            insn::ldx_mem(
                Size::DW,
                Reg::R3,
                Reg::R6,
                ctx_off16(ctx::map_field(i, ctx::MAP_INITIAL_VALUE))?,
            ),
        ]);
        self.e.jmp_imm(JmpOp::Jeq, Reg::R3, 0, done);
        self.e.blob_addr(Reg::R1, value_off);
        self.e.push(&[insn::mov64_imm(Reg::R2, len)]);
        self.e
            .jmp_imm(JmpOp::Jset, Reg::R4, ctx::FLAG_KERNEL as i32, kernel);
        self.e
            .push(&[insn::call_helper(insn::BPF_FUNC_COPY_FROM_USER)]);
        self.e.ja(copied);
        self.e.bind(kernel);
        self.e
            .push(&[insn::call_helper(insn::BPF_FUNC_PROBE_READ_KERNEL)]);
        self.e.bind(copied);
        self.e.push(&[insn::mov64_reg(Reg::R7, Reg::R0)]);
        self.check_r7();
        self.e.bind(done);
        Ok(())
    }

    /// `BPF_MAP_UPDATE_ELEM` with the map fd, key and value all in the blob.
    fn map_update(
        &mut self,
        map_slot: u32,
        key_off: u32,
        value_off: u32,
    ) -> Result<(), CompileError> {
        let attr_off = self.d.zeros(map_elem::UPDATE_SIZE as usize)?;
        self.blob_to_blob32(map_slot, attr_off + map_elem::MAP_FD);
        self.e.store_blob_ptr(attr_off + map_elem::KEY, key_off);
        self.e.store_blob_ptr(attr_off + map_elem::VALUE, value_off);
        self.sys_bpf(
            attr::BPF_MAP_UPDATE_ELEM,
            attr_off,
            map_elem::UPDATE_SIZE as usize,
        );
        Ok(())
    }

    pub(super) fn freeze(&mut self, map: usize) -> Result<(), CompileError> {
        let attr_off = self.d.zeros(map_elem::FREEZE_SIZE as usize)?;
        self.blob_to_blob32(self.slots.map(map), attr_off + map_elem::MAP_FD);
        self.sys_bpf(
            attr::BPF_MAP_FREEZE,
            attr_off,
            map_elem::FREEZE_SIZE as usize,
        );
        Ok(())
    }

    pub(super) fn fill_slot(
        &mut self,
        outer: usize,
        index: u32,
        target: SlotTarget,
    ) -> Result<(), CompileError> {
        let key_off = self.d.add(&index.to_le_bytes())?;
        let skip = self.e.label();
        let value_slot = match target {
            SlotTarget::Map(t) => self.slots.map(t),
            SlotTarget::Program(p) => {
                // A program left out by `autoload = 0` has no fd to put in the slot.
                let slot = self.slots.prog(p);
                self.e.load_blob(Size::W, Reg::R1, slot);
                self.e.jmp_imm(JmpOp::Jeq, Reg::R1, 0, skip);
                slot
            }
        };
        self.map_update(self.slots.map(outer), key_off, value_slot)?;
        self.e.bind(skip);
        Ok(())
    }
}

/// Rejects map definitions the loader cannot create.
fn check_map(m: &MapSpec) -> Result<(), CompileError> {
    let unsupported = |reason: &str| CompileError::Unsupported {
        what: format!("map {}", m.name),
        reason: reason.into(),
    };
    match m.map_type {
        MapType::StructOps => Err(unsupported(
            "struct_ops maps need their value type resolved against kernel BTF",
        )),
        _ if m.data.is_some() && m.map_type != MapType::Array => {
            Err(unsupported("global data must live in an array map"))
        }
        _ => Ok(()),
    }
}
