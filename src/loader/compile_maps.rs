//! Map steps: `BPF_MAP_CREATE` with the context's knobs, global data, and static slots of
//! maps of maps and program arrays.

use super::attr::{self, map_create, map_elem};
use super::compile::Compiler;
use super::ctx;
use super::error::CompileError;
use super::insn::{self, JmpOp, Reg, Size};
use crate::ir::SlotTarget;

impl Compiler<'_> {
    /// The prototype of map `outer`'s inner maps: its fd goes to its slot and to the outer
    /// map's attr.
    pub(super) fn create_inner_map(
        &mut self,
        outer: usize,
        attr: u32,
        len: usize,
    ) -> Result<(), CompileError> {
        self.sys_bpf(attr::BPF_MAP_CREATE, attr, len);
        self.check();
        self.e.store(Size::W, self.l.slots.inner(), Reg::R0);
        let user = self.l.inner_fd_user.get(&outer).copied();
        let user = user.ok_or_else(|| CompileError::BadMap {
            map: self.spec.maps[outer].name.clone(),
            reason: "inner prototype without its outer map".into(),
        })?;
        self.e.store(Size::W, user, Reg::R0);
        Ok(())
    }

    /// `BPF_MAP_CREATE` of map `i` with the context's knobs; the fd goes to its slot and to
    /// every attr that names the map.
    pub(super) fn create_map(
        &mut self,
        i: usize,
        attr: u32,
        len: usize,
    ) -> Result<(), CompileError> {
        let skip = match self.plan.struct_ops_map_slot(i) {
            Some(k) => {
                let skip = self.e.label();
                self.struct_ops_knobs(i, k, attr, skip)?;
                Some(skip)
            }
            None => {
                self.map_knobs(i, attr)?;
                None
            }
        };
        self.sys_bpf(attr::BPF_MAP_CREATE, attr, len);
        self.check();
        self.e.store(Size::W, self.l.slots.map(i), Reg::R0);
        for at in self.l.map_fd_users[i].clone() {
            self.e.safe_point();
            self.e.store(Size::W, at, Reg::R0);
        }
        if self.spec.maps[i].inner.is_some() {
            // The outer map keeps its own copy of the prototype's metadata; the prototype
            // was just created, so its slot holds an fd.
            let inner = self.l.slots.inner();
            self.e.load(Size::W, Reg::R1, inner);
            self.e.push(&[insn::call_helper(insn::BPF_FUNC_SYS_CLOSE)]);
            self.e.store_imm(Size::W, inner, 0);
        }
        if let Some(skip) = skip {
            self.e.bind(skip);
        }
        Ok(())
    }

    /// A struct_ops map (descriptor `k`): skipped unless `autocreate`; value size and kernel
    /// value type from the context, both required (the runtime finds them in the kernel's
    /// BTF); `max_entries` as for any map.
    fn struct_ops_knobs(
        &mut self,
        i: usize,
        k: u32,
        attr: u32,
        skip: super::emit::Label,
    ) -> Result<(), CompileError> {
        self.e.note(format!(
            "struct_ops map: skipped unless struct_ops_maps[{k}].autocreate; value_size and \
             btf_vmlinux_value_type_id from maps[{i}], neither 0"
        ));
        let autocreate = ctx::STRUCT_OPS_AUTOCREATE;
        let autocreate = self.ctx_field(self.plan.counts().struct_ops_map_field(k, autocreate))?;
        self.e
            .push(&[insn::ldx_mem(Size::W, Reg::R1, Reg::R6, autocreate)]);
        self.e.jmp_imm(JmpOp::Jeq, Reg::R1, 0, skip);
        let desc = i as u32;
        for (field, attr_field) in [
            (ctx::MAP_VALUE_SIZE, map_create::VALUE_SIZE),
            (
                ctx::MAP_BTF_VMLINUX_VALUE_TYPE_ID,
                map_create::BTF_VMLINUX_VALUE_TYPE_ID,
            ),
        ] {
            let off = self.ctx_field(ctx::map_field(desc, field))?;
            self.e
                .push(&[insn::ldx_mem(Size::W, Reg::R1, Reg::R6, off)]);
            let einval = self.einval;
            self.e.jmp_imm(JmpOp::Jeq, Reg::R1, 0, einval);
            self.e.store(Size::W, attr + attr_field, Reg::R1);
        }
        self.max_entries_knob(desc, attr)
    }

    /// Applies the context's `max_entries` of map `i` to the attr when it is not 0 (a
    /// signed loader refuses it unless it is a knob there).
    fn max_entries_knob(&mut self, i: u32, attr: u32) -> Result<(), CompileError> {
        let max = self.ctx_field(ctx::map_field(i, ctx::MAP_MAX_ENTRIES))?;
        let keep = self.e.label();
        self.e
            .push(&[insn::ldx_mem(Size::W, Reg::R1, Reg::R6, max)]);
        if !self.max_entries_is_knob(i as usize) {
            let einval = self.einval;
            self.e.jmp_imm(JmpOp::Jne, Reg::R1, 0, einval);
            return Ok(());
        }
        self.e.jmp_imm(JmpOp::Jeq, Reg::R1, 0, keep);
        self.e
            .store(Size::W, attr + map_create::MAX_ENTRIES, Reg::R1);
        self.e.bind(keep);
        Ok(())
    }

    /// Applies the context's `max_entries` and `value_size` (when not 0) to the attr.
    fn map_knobs(&mut self, i: usize, attr: u32) -> Result<(), CompileError> {
        let m = &self.spec.maps[i];
        let (data_size, i) = (m.data.as_ref().map(|_| m.value_size), i as u32);
        let value = self.ctx_field(ctx::map_field(i, ctx::MAP_VALUE_SIZE))?;
        self.max_entries_knob(i, attr)?;
        let skip = self.e.label();
        self.e
            .push(&[insn::ldx_mem(Size::W, Reg::R1, Reg::R6, value)]);
        self.e.jmp_imm(JmpOp::Jeq, Reg::R1, 0, skip);
        match data_size {
            // Signed data: the map is created as compiled or not at all.
            _ if self.signed => {
                let l = self.einval;
                self.e.jmp_imm(JmpOp::Jne, Reg::R1, 0, l);
            }
            // The initial image in the blob has the compiled size; a different size would
            // make MAP_UPDATE_ELEM read past it.
            Some(size) => {
                let l = self.einval;
                self.e.jmp_imm(JmpOp::Jne, Reg::R1, size as i32, l);
            }
            None => self
                .e
                .store(Size::W, attr + map_create::VALUE_SIZE, Reg::R1),
        }
        self.e.bind(skip);
        Ok(())
    }

    /// Global data: the context's `initial_value` (when set) over the blob's image, then
    /// `BPF_MAP_UPDATE_ELEM` of key 0.
    pub(super) fn update_elem(
        &mut self,
        map: usize,
        attr: u32,
        image: u32,
        len: usize,
    ) -> Result<(), CompileError> {
        let size =
            i32::try_from(len).map_err(|_| CompileError::too_large("global data image", len))?;
        let init = self.ctx_field(ctx::map_field(map as u32, ctx::MAP_INITIAL_VALUE))?;
        let (done, kernel, copied) = (self.e.label(), self.e.label(), self.e.label());
        self.e
            .push(&[insn::ldx_mem(Size::DW, Reg::R3, Reg::R6, init)]);
        if !self.initial_value_is_knob(map) {
            // A signed loader writes the signed image only.
            let einval = self.einval;
            self.e.jmp_imm(JmpOp::Jne, Reg::R3, 0, einval);
            self.e.bind(done);
            return self.update_from_blob(attr);
        }
        self.e.jmp_imm(JmpOp::Jeq, Reg::R3, 0, done);
        self.e.blob_addr(Reg::R1, image);
        self.e.push(&[
            insn::mov64_imm(Reg::R2, size),
            insn::ldx_mem(Size::W, Reg::R4, Reg::R6, ctx::FLAGS),
        ]);
        self.e
            .jmp_imm(JmpOp::Jset, Reg::R4, ctx::FLAG_KERNEL as i32, kernel);
        self.e
            .push(&[insn::call_helper(insn::BPF_FUNC_COPY_FROM_USER)]);
        self.e.ja(copied);
        self.e.bind(kernel);
        self.e
            .push(&[insn::call_helper(insn::BPF_FUNC_PROBE_READ_KERNEL)]);
        self.e.bind(copied);
        self.check();
        self.e.bind(done);
        self.update_from_blob(attr)
    }

    /// `BPF_MAP_UPDATE_ELEM` of key 0 with the image in the blob.
    fn update_from_blob(&mut self, attr: u32) -> Result<(), CompileError> {
        self.sys_bpf(
            attr::BPF_MAP_UPDATE_ELEM,
            attr,
            map_elem::UPDATE_SIZE as usize,
        );
        self.check();
        Ok(())
    }

    /// One static slot; a program left out by `autoload = 0` has no fd to put in it.
    pub(super) fn fill_slot(&mut self, target: SlotTarget, attr: u32, len: usize) {
        let skip = self.e.label();
        if let SlotTarget::Program(p) = target {
            self.e.load(Size::W, Reg::R1, self.l.slots.prog(p));
            self.e.jmp_imm(JmpOp::Jeq, Reg::R1, 0, skip);
        }
        self.sys_bpf(attr::BPF_MAP_UPDATE_ELEM, attr, len);
        self.check();
        self.e.bind(skip);
    }
}
