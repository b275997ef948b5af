//! Links an entry program with the sub-programs it calls, the way libbpf does.
//!
//! The entry function comes first; each sub-program is appended the first time it is reached
//! (depth first, in instruction order), so the result matches what libbpf hands the kernel.
//! Calls and callback references get offsets relative to the linked stream; map, data and
//! extern references become fd_array indices or run-time relocations.

use super::code::{symbol_name, Code, INSN_SIZE};
use super::LowerError;
use crate::btf::{Btf, CoreReloRec, FuncInfoRec, LineInfoRec};
use crate::elf::ElfFile;
use crate::ir::{CoreRelo, FuncInfo, Insn, LineInfo, RelocKind, Relocation};
use crate::uapi;
use std::collections::HashMap;

/// `BPF_LD | BPF_IMM | BPF_DW`.
const LD_IMM64: u8 = 0x18;
/// `BPF_JMP | BPF_CALL`.
const CALL: u8 = 0x85;

/// `.BTF.ext` records grouped by section name.
#[derive(Debug, Default)]
pub(crate) struct ExtInfo {
    pub func_info: HashMap<String, Vec<FuncInfoRec>>,
    pub line_info: HashMap<String, Vec<LineInfoRec>>,
    pub core_relos: HashMap<String, Vec<CoreReloRec>>,
}

/// Where references from instructions point.
#[derive(Debug, Default)]
pub(crate) struct Targets {
    /// ELF index of `.maps`.
    pub maps_section: Option<usize>,
    /// Map index by the map variable's offset in `.maps`.
    pub user_maps: HashMap<u64, usize>,
    /// Map index by the ELF index of a global-data section.
    pub data_maps: HashMap<usize, usize>,
    /// Extern by symbol index: (extern index, how instructions refer to it).
    pub externs: HashMap<usize, (usize, ExternRef)>,
    /// Index of the `.kconfig` map, when there are kconfig externs.
    pub kconfig_map: Option<usize>,
}

/// How an instruction refers to an extern.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ExternRef {
    /// A `.kconfig` value at this offset of the kconfig map.
    Kconfig { offset: u32 },
    /// A kfunc, called.
    Kfunc,
    /// A typed ksym, loaded by BTF id.
    KsymTyped,
    /// A typeless ksym, loaded by address.
    KsymTypeless,
}

/// One linked program.
#[derive(Debug, Default)]
pub(crate) struct Linked {
    pub insns: Vec<Insn>,
    pub func_info: Vec<FuncInfo>,
    pub line_info: Vec<LineInfo>,
    pub core_relos: Vec<CoreRelo>,
    pub relocations: Vec<Relocation>,
}

/// Everything the linker reads.
pub(crate) struct Linker<'a> {
    pub elf: &'a ElfFile<'a>,
    pub btf: &'a Btf,
    pub code: &'a Code,
    pub ext: &'a ExtInfo,
    pub targets: &'a Targets,
}

impl Linker<'_> {
    /// Links the entry function `entry` (an index into `code.funcs`).
    pub fn link(&self, entry: usize) -> Result<Linked, LowerError> {
        let mut out = Linked::default();
        let mut placed = HashMap::new();
        self.place(entry, &mut out, &mut placed)?;
        out.core_relos.sort_by_key(|r| r.insn);
        out.relocations.sort_by_key(|r| r.insn);
        Ok(out)
    }

    /// Appends `func` to the stream, then resolves its instructions (recursing into callees).
    fn place(
        &self,
        func: usize,
        out: &mut Linked,
        placed: &mut HashMap<usize, usize>,
    ) -> Result<(), LowerError> {
        let base = out.insns.len();
        placed.insert(func, base);
        out.insns.extend_from_slice(self.code.insns(func));
        self.copy_ext_info(func, base, out)?;
        let len = self.code.funcs[func].len;
        let mut i = 0;
        while i < len {
            let insn = out.insns[base + i];
            match insn.code() {
                LD_IMM64 => {
                    if i + 1 >= len {
                        return Err(self
                            .bad_program(func, "ld_imm64 is cut off at the end of the function"));
                    }
                    self.resolve_ld_imm64(func, i, base, out, placed)?;
                    i += 2;
                    continue;
                }
                CALL => self.resolve_call(func, i, base, out, placed)?,
                _ => {}
            }
            i += 1;
        }
        Ok(())
    }

    fn resolve_call(
        &self,
        func: usize,
        i: usize,
        base: usize,
        out: &mut Linked,
        placed: &mut HashMap<usize, usize>,
    ) -> Result<(), LowerError> {
        let insn = out.insns[base + i];
        let reloc = self.code.reloc(func, i);
        if let Some(r) = reloc {
            if let Some(&(ext, eref)) = self.targets.externs.get(&r.symbol) {
                return self.apply_extern(func, i, base, ext, eref, out);
            }
        }
        if insn.src() != uapi::BPF_PSEUDO_CALL {
            return Ok(()); // a helper call
        }
        let (section, target) = match reloc {
            Some(r) => {
                let sym = self.symbol(func, i, r.symbol)?;
                let target = (sym.value / INSN_SIZE) as i64 + insn.imm() as i64 + 1;
                (sym.section, target)
            }
            None => {
                let f = &self.code.funcs[func];
                (
                    Some(f.section),
                    (f.start + i) as i64 + insn.imm() as i64 + 1,
                )
            }
        };
        self.link_subprog(func, i, base, section, target, out, placed)
    }

    fn resolve_ld_imm64(
        &self,
        func: usize,
        i: usize,
        base: usize,
        out: &mut Linked,
        placed: &mut HashMap<usize, usize>,
    ) -> Result<(), LowerError> {
        let insn = out.insns[base + i];
        let Some(r) = self.code.reloc(func, i) else {
            if insn.src() == uapi::BPF_PSEUDO_FUNC {
                let f = &self.code.funcs[func];
                let target = (f.start + i) as i64 + insn.imm() as i64 + 1;
                return self.link_subprog(func, i, base, Some(f.section), target, out, placed);
            }
            return Ok(()); // a plain 64-bit constant
        };
        if let Some(&(ext, eref)) = self.targets.externs.get(&r.symbol) {
            return self.apply_extern(func, i, base, ext, eref, out);
        }
        let sym = self.symbol(func, i, r.symbol)?;
        let Some(sym_sec) = sym.section else {
            return Err(self.bad_reloc(
                func,
                i,
                r.symbol,
                "refers to an undefined symbol that is not a .kconfig or .ksyms extern",
            ));
        };
        if self.code.sections.contains_key(&sym_sec) {
            // The address of a function: a callback such as bpf_loop's.
            if (sym.value + insn.imm() as u64) % INSN_SIZE != 0 {
                return Err(self.bad_reloc(
                    func,
                    i,
                    r.symbol,
                    "function address is not on an instruction",
                ));
            }
            let target = ((sym.value as i64) + insn.imm() as i64) / INSN_SIZE as i64;
            return self.link_subprog(func, i, base, Some(sym_sec), target, out, placed);
        }
        if Some(sym_sec) == self.targets.maps_section {
            let Some(&map) = self.targets.user_maps.get(&sym.value) else {
                return Err(self.bad_reloc(
                    func,
                    i,
                    r.symbol,
                    "no map is defined at this offset of .maps",
                ));
            };
            out.insns[base + i].set_src(uapi::BPF_PSEUDO_MAP_IDX);
            out.insns[base + i].set_imm(map as i32);
            out.relocations.push(Relocation {
                insn: (base + i) as u32,
                kind: RelocKind::Map { map },
            });
            return Ok(());
        }
        let Some(&map) = self.targets.data_maps.get(&sym_sec) else {
            return Err(self.bad_reloc(
                func,
                i,
                r.symbol,
                "refers to a section that is neither a map nor global data",
            ));
        };
        let offset = (insn.imm() as i64)
            .checked_add(sym.value as i64)
            .and_then(|o| u32::try_from(o).ok());
        let Some(offset) = offset else {
            return Err(self.bad_reloc(
                func,
                i,
                r.symbol,
                "offset into global data is out of range",
            ));
        };
        self.set_map_value(base + i, map, offset, out);
        Ok(())
    }

    fn set_map_value(&self, at: usize, map: usize, offset: u32, out: &mut Linked) {
        out.insns[at].set_src(uapi::BPF_PSEUDO_MAP_IDX_VALUE);
        out.insns[at].set_imm(map as i32);
        out.insns[at + 1].set_imm(offset as i32);
        out.relocations.push(Relocation {
            insn: at as u32,
            kind: RelocKind::MapValue { map, offset },
        });
    }

    fn apply_extern(
        &self,
        func: usize,
        i: usize,
        base: usize,
        ext: usize,
        eref: ExternRef,
        out: &mut Linked,
    ) -> Result<(), LowerError> {
        let at = base + i;
        let is_call = out.insns[at].code() == CALL;
        let kind = match (eref, is_call) {
            (ExternRef::Kfunc, true) => {
                out.insns[at].set_src(uapi::BPF_PSEUDO_KFUNC_CALL);
                out.insns[at].set_imm(0);
                out.insns[at].set_off(0);
                RelocKind::Kfunc { ext }
            }
            (ExternRef::Kconfig { offset }, false) => {
                let map = self
                    .targets
                    .kconfig_map
                    .expect("kconfig externs imply a kconfig map");
                self.set_map_value(at, map, offset, out);
                return Ok(());
            }
            (ExternRef::KsymTyped, false) | (ExternRef::KsymTypeless, false) => {
                let src = if matches!(eref, ExternRef::KsymTyped) {
                    uapi::BPF_PSEUDO_BTF_ID
                } else {
                    0
                };
                out.insns[at].set_src(src);
                out.insns[at].set_imm(0);
                out.insns[at + 1].set_imm(0);
                RelocKind::Ksym { ext }
            }
            _ => {
                let r = self.code.reloc(func, i).map(|r| r.symbol).unwrap_or(0);
                return Err(self.bad_reloc(
                    func,
                    i,
                    r,
                    "extern is used as neither a call of a kfunc nor a load of a variable",
                ));
            }
        };
        out.relocations.push(Relocation {
            insn: at as u32,
            kind,
        });
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn link_subprog(
        &self,
        func: usize,
        i: usize,
        base: usize,
        section: Option<usize>,
        target: i64,
        out: &mut Linked,
        placed: &mut HashMap<usize, usize>,
    ) -> Result<(), LowerError> {
        let callee = match (section, usize::try_from(target)) {
            (Some(sec), Ok(t)) if Some(sec) == self.code.text => self.code.func_at(sec, t),
            _ => None,
        };
        let Some(callee) = callee else {
            return Err(self.bad_program(func, &format!(
                "instruction {i} calls or takes the address of instruction {target}, which does not start a function in .text"
            )));
        };
        if !placed.contains_key(&callee) {
            self.place(callee, out, placed)?;
        }
        let rel = placed[&callee] as i64 - (base + i) as i64 - 1;
        let rel = i32::try_from(rel)
            .map_err(|_| self.bad_program(func, "linked program is too large"))?;
        out.insns[base + i].set_imm(rel);
        if out.insns[base + i].code() == LD_IMM64 {
            // The compiler may leave src_reg 0 on a relocated function address; the kernel
            // needs it marked as one.
            out.insns[base + i].set_src(uapi::BPF_PSEUDO_FUNC);
        }
        Ok(())
    }

    fn copy_ext_info(&self, func: usize, base: usize, out: &mut Linked) -> Result<(), LowerError> {
        let f = &self.code.funcs[func];
        let sec = self.code.section_name(func);
        let range = (f.start as u64 * INSN_SIZE)..((f.start + f.len) as u64 * INSN_SIZE);
        let rebase = |off: u32| (off as u64 / INSN_SIZE) as u32 - f.start as u32 + base as u32;
        for r in self.ext.func_info.get(sec).into_iter().flatten() {
            if range.contains(&(r.insn_off as u64)) {
                out.func_info.push(FuncInfo {
                    insn: rebase(r.insn_off),
                    type_id: r.type_id,
                });
            }
        }
        for r in self.ext.line_info.get(sec).into_iter().flatten() {
            if range.contains(&(r.insn_off as u64)) {
                out.line_info.push(LineInfo {
                    insn: rebase(r.insn_off),
                    file_name_off: r.file_name_off,
                    line_off: r.line_off,
                    line_col: r.line_col,
                });
            }
        }
        for r in self.ext.core_relos.get(sec).into_iter().flatten() {
            if range.contains(&(r.insn_off as u64)) {
                let access = self
                    .btf
                    .string_at(r.access_str_off)
                    .map_err(LowerError::btf_ext)?;
                out.core_relos.push(CoreRelo {
                    insn: rebase(r.insn_off),
                    type_id: r.type_id,
                    access_str_off: r.access_str_off,
                    kind: r.kind,
                    access: access.to_string(),
                });
            }
        }
        Ok(())
    }

    fn symbol(
        &self,
        func: usize,
        i: usize,
        index: usize,
    ) -> Result<&crate::elf::Symbol, LowerError> {
        self.elf
            .symbols()
            .get(index)
            .ok_or_else(|| self.bad_reloc(func, i, index, "symbol index is out of range"))
    }

    fn bad_reloc(&self, func: usize, i: usize, symbol: usize, reason: &str) -> LowerError {
        let f = &self.code.funcs[func];
        LowerError::BadRelocation {
            section: self.code.section_name(func).to_string(),
            offset: (f.start + i) as u64 * INSN_SIZE,
            symbol: symbol_name(self.elf, symbol),
            reason: reason.into(),
        }
    }

    fn bad_program(&self, func: usize, reason: &str) -> LowerError {
        LowerError::BadProgram {
            section: self.code.section_name(func).to_string(),
            program: self.code.funcs[func].name.clone(),
            reason: reason.into(),
        }
    }
}
