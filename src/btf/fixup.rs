//! The changes libbpf makes to an object's BTF before `BPF_BTF_LOAD`.
//!
//! The compiler cannot know the final size of a data section or where the assembler put each
//! global variable, so it leaves DATASEC sizes (and global VAR offsets) at 0; the ELF section
//! headers and symbol table hold the real values. The kernel checks DATASECs strictly (sorted,
//! in bounds, sized), so these must be filled in before the BTF is loaded.

use super::types::{BTF_FUNC_GLOBAL, BTF_FUNC_STATIC, BTF_VAR_GLOBAL_EXTERN, BTF_VAR_STATIC};
use super::{Btf, BtfError, BtfKind, BtfType};

/// What the ELF side knows that the DATASEC fix-up needs.
pub trait DataFacts {
    /// Size of the ELF section with this name, if there is one.
    fn section_size(&self, name: &str) -> Option<u32>;
    /// Value (`st_value`) of the ELF symbol libbpf would match to the global variable `symbol`
    /// of DATASEC `section`: the first symbol in the symbol table that has this name, type
    /// `STT_OBJECT` and binding `STB_GLOBAL` or `STB_WEAK`. libbpf does not check that the
    /// symbol lies in `section`; an implementation may, since a mismatch cannot load anyway.
    fn symbol_offset(&self, section: &str, symbol: &str) -> Option<u32>;
    /// Whether that same symbol has `STV_HIDDEN` or `STV_INTERNAL` visibility, which makes
    /// libbpf mark the BTF `VAR` static.
    fn symbol_hidden(&self, section: &str, symbol: &str) -> bool;
}

/// Sections whose DATASECs are laid out by the extern handling, not from the ELF file.
const EXTERN_SECTIONS: [&str; 2] = [".kconfig", ".ksyms"];

/// One change to a DATASEC, worked out before anything is modified.
struct VarFix {
    index: usize,
    var_id: u32,
    offset: Option<u32>,
    make_static: bool,
}

impl Btf {
    /// Fixes every DATASEC as libbpf does before loading: except for `.kconfig` and `.ksyms`
    /// (only sorted here), a DATASEC of size 0 takes the ELF section's size and then each
    /// global VAR takes its symbol's value as offset; every global VAR must have a symbol,
    /// and a hidden symbol makes its VAR static. Static and extern VARs are left alone: the
    /// compiler already wrote static offsets. Finally each DATASEC's entries are sorted by
    /// offset (stably).
    pub fn fixup_datasecs(&mut self, facts: &dyn DataFacts) -> Result<(), BtfError> {
        for id in 1..self.types_len() {
            if self.type_by_id(id)?.kind() == BtfKind::Datasec {
                self.fixup_datasec(id, facts)?;
            }
        }
        Ok(())
    }

    fn fixup_datasec(&mut self, id: u32, facts: &dyn DataFacts) -> Result<(), BtfError> {
        let section = self.string_at(self.type_by_id(id)?.name_off())?.to_string();
        let mut new_size = None;
        let mut fixes = Vec::new();
        if !EXTERN_SECTIONS.contains(&section.as_str()) {
            let BtfType::Datasec { size, .. } = self.type_by_id(id)? else {
                return Ok(());
            };
            if *size == 0 {
                let found = facts.section_size(&section).filter(|&s| s != 0);
                let missing = || BtfError::MissingSectionSize {
                    section: section.clone(),
                };
                new_size = Some(found.ok_or_else(missing)?);
            }
            fixes = self.plan_var_fixes(id, &section, new_size.is_some(), facts)?;
        }
        for f in fixes {
            if let (Some(off), BtfType::Datasec { vars, .. }) = (f.offset, self.type_by_id_mut(id)?)
            {
                if let Some(v) = vars.get_mut(f.index) {
                    v.offset = off;
                }
            }
            if let (true, BtfType::Var { linkage, .. }) =
                (f.make_static, self.type_by_id_mut(f.var_id)?)
            {
                *linkage = BTF_VAR_STATIC;
            }
        }
        if let BtfType::Datasec { size, vars, .. } = self.type_by_id_mut(id)? {
            if let Some(s) = new_size {
                *size = s;
            }
            vars.sort_by_key(|v| v.offset);
        }
        Ok(())
    }

    fn plan_var_fixes(
        &self,
        id: u32,
        section: &str,
        set_offsets: bool,
        facts: &dyn DataFacts,
    ) -> Result<Vec<VarFix>, BtfError> {
        let BtfType::Datasec { vars, .. } = self.type_by_id(id)? else {
            return Ok(Vec::new());
        };
        let mut fixes = Vec::new();
        for (index, v) in vars.iter().enumerate() {
            let t = self.type_from(v.ty, id)?;
            let BtfType::Var {
                name_off, linkage, ..
            } = t
            else {
                let kind = t.kind();
                return Err(BtfError::UnexpectedKind {
                    id: v.ty,
                    kind,
                    expected: "var",
                });
            };
            if *linkage == BTF_VAR_STATIC || *linkage == BTF_VAR_GLOBAL_EXTERN {
                continue;
            }
            let name = self.string_at(*name_off)?;
            let missing = || BtfError::MissingSymbol {
                section: section.to_string(),
                var: name.to_string(),
            };
            let value = facts.symbol_offset(section, name).ok_or_else(missing)?;
            fixes.push(VarFix {
                index,
                var_id: v.ty,
                offset: set_offsets.then_some(value),
                make_static: facts.symbol_hidden(section, name),
            });
        }
        Ok(fixes)
    }

    /// Marks the global `FUNC` named `name` static, as libbpf does for a sub-program whose
    /// symbol is hidden (`__hidden`), so the verifier checks it with its caller's context.
    /// Returns whether a function was changed (only the first global match is).
    pub fn mark_func_static(&mut self, name: &str) -> bool {
        let found = (1..self.types_len()).find(|&id| {
            matches!(
                self.type_by_id(id),
                Ok(BtfType::Func {
                    linkage: BTF_FUNC_GLOBAL,
                    ..
                })
            ) && self.type_name(id).ok().flatten() == Some(name)
        });
        match found.map(|id| self.type_by_id_mut(id)) {
            Some(Ok(BtfType::Func { linkage, .. })) => {
                *linkage = BTF_FUNC_STATIC;
                true
            }
            _ => false,
        }
    }
}
