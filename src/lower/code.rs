//! Functions found in executable sections, and the per-instruction relocations that apply to them.
//!
//! This is the raw material for linking: every function (entry program or sub-program) with
//! its instructions, section and position, and a lookup from (section, instruction) to the ELF
//! relocation at that instruction.

use super::LowerError;
use crate::elf::{Binding, ElfFile, Reloc, SymbolKind, R_BPF_64_32, R_BPF_64_64};
use crate::ir::Insn;
use std::collections::BTreeMap;

/// Size of one BPF instruction in bytes.
pub(crate) const INSN_SIZE: u64 = 8;

/// One function in an executable section.
#[derive(Debug, Clone)]
pub(crate) struct Func {
    /// Symbol name.
    pub name: String,
    /// ELF index of its section.
    pub section: usize,
    /// First instruction, counted from the start of the section.
    pub start: usize,
    /// Number of instruction slots.
    pub len: usize,
    /// Whether this is an entry program (any function outside `.text`).
    pub entry: bool,
}

/// Instructions and relocations of one executable section.
#[derive(Debug, Clone)]
pub(crate) struct SectionCode {
    /// Section name.
    pub name: String,
    /// All instructions of the section.
    pub insns: Vec<Insn>,
    /// Relocations by instruction index.
    pub relocs: BTreeMap<usize, Reloc>,
}

/// All code of the object.
#[derive(Debug, Clone, Default)]
pub(crate) struct Code {
    /// Functions ordered by (section index, start): libbpf's program order.
    pub funcs: Vec<Func>,
    /// Executable sections by ELF index.
    pub sections: BTreeMap<usize, SectionCode>,
    /// ELF index of `.text`, if present.
    pub text: Option<usize>,
}

impl Code {
    /// Collects every function of every executable section.
    pub fn collect(elf: &ElfFile<'_>) -> Result<Code, LowerError> {
        let mut code = Code::default();
        for sec in elf
            .sections()
            .iter()
            .filter(|s| s.exec && !s.data.is_empty())
        {
            if sec.data.len() as u64 % INSN_SIZE != 0 {
                return Err(LowerError::BadSection {
                    section: sec.name.clone(),
                    reason: format!(
                        "size {} is not a multiple of the 8-byte instruction size",
                        sec.data.len()
                    ),
                });
            }
            let insns = sec
                .data
                .chunks_exact(8)
                .map(|c| Insn(c.try_into().expect("chunks_exact yields 8 bytes")))
                .collect();
            let mut relocs = BTreeMap::new();
            for r in &sec.relocs {
                if r.offset % INSN_SIZE != 0 || r.offset >= sec.data.len() as u64 {
                    return Err(LowerError::BadRelocation {
                        section: sec.name.clone(),
                        offset: r.offset,
                        symbol: symbol_name(elf, r.symbol),
                        reason: "offset is not on an instruction inside the section".into(),
                    });
                }
                if !matches!(r.r_type, R_BPF_64_64 | R_BPF_64_32) {
                    return Err(LowerError::BadRelocation {
                        section: sec.name.clone(),
                        offset: r.offset,
                        symbol: symbol_name(elf, r.symbol),
                        reason: format!(
                            "unsupported relocation type {}; program code takes only R_BPF_64_64 (1) and R_BPF_64_32 (10)",
                            r.r_type
                        ),
                    });
                }
                relocs.insert((r.offset / INSN_SIZE) as usize, *r);
            }
            if sec.name == ".text" {
                code.text = Some(sec.index);
            }
            let section = SectionCode {
                name: sec.name.clone(),
                insns,
                relocs,
            };
            code.sections.insert(sec.index, section);
        }
        code.collect_funcs(elf)?;
        Ok(code)
    }

    fn collect_funcs(&mut self, elf: &ElfFile<'_>) -> Result<(), LowerError> {
        for sym in elf.symbols() {
            let Some(sec_idx) = sym.section else { continue };
            let Some(sec) = self.sections.get(&sec_idx) else {
                continue;
            };
            if sym.kind != SymbolKind::Func {
                continue;
            }
            let entry = Some(sec_idx) != self.text;
            if entry && sym.binding == Binding::Local {
                return Err(LowerError::BadProgram {
                    section: sec.name.clone(),
                    program: sym.name.clone(),
                    reason:
                        "a static function cannot be a program; remove `static` or move it to .text"
                            .into(),
                });
            }
            let bad = |reason: &str| LowerError::BadProgram {
                section: sec.name.clone(),
                program: sym.name.clone(),
                reason: reason.into(),
            };
            if sym.value % INSN_SIZE != 0 || sym.size % INSN_SIZE != 0 || sym.size == 0 {
                return Err(bad(
                    "symbol offset or size is not a whole number of instructions",
                ));
            }
            let start = (sym.value / INSN_SIZE) as usize;
            let len = (sym.size / INSN_SIZE) as usize;
            if start
                .checked_add(len)
                .is_none_or(|end| end > sec.insns.len())
            {
                return Err(bad("function extends past the end of its section"));
            }
            let func = Func {
                name: sym.name.clone(),
                section: sec_idx,
                start,
                len,
                entry,
            };
            self.funcs.push(func);
        }
        self.funcs.sort_by_key(|f| (f.section, f.start));
        for pair in self.funcs.windows(2) {
            if pair[0].section == pair[1].section && pair[0].start + pair[0].len > pair[1].start {
                return Err(LowerError::BadProgram {
                    section: self.sections[&pair[1].section].name.clone(),
                    program: pair[1].name.clone(),
                    reason: format!("overlaps function {}", pair[0].name),
                });
            }
        }
        Ok(())
    }

    /// The function in `section` that starts exactly at instruction `start`.
    pub fn func_at(&self, section: usize, start: usize) -> Option<usize> {
        self.funcs
            .iter()
            .position(|f| f.section == section && f.start == start)
    }

    /// Instructions of a function.
    pub fn insns(&self, func: usize) -> &[Insn] {
        let f = &self.funcs[func];
        &self.sections[&f.section].insns[f.start..f.start + f.len]
    }

    /// The relocation at instruction `idx` of a function, counted from the function's start.
    pub fn reloc(&self, func: usize, idx: usize) -> Option<&Reloc> {
        let f = &self.funcs[func];
        self.sections[&f.section].relocs.get(&(f.start + idx))
    }

    /// Section name of a function.
    pub fn section_name(&self, func: usize) -> &str {
        &self.sections[&self.funcs[func].section].name
    }
}

/// Name of a symbol for messages, tolerating an index out of range.
pub(crate) fn symbol_name(elf: &ElfFile<'_>, index: usize) -> String {
    match elf.symbols().get(index) {
        Some(s) if !s.name.is_empty() => s.name.clone(),
        Some(s) => format!("symbol #{} (section {:?})", index, s.section),
        None => format!("symbol #{index}"),
    }
}
