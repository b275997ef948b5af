//! What the BTF DATASEC fix-up needs from the ELF file: the adapter between the two readers,
//! which know nothing of each other.

use crate::btf::DataFacts;
use crate::elf::{ElfFile, STV_HIDDEN, STV_INTERNAL};

impl DataFacts for ElfFile<'_> {
    fn section_size(&self, name: &str) -> Option<u32> {
        self.section_by_name(name)
            .and_then(|s| u32::try_from(s.size).ok())
    }

    fn symbol_offset(&self, section: &str, symbol: &str) -> Option<u32> {
        self.data_symbol(section, symbol)
            .and_then(|s| u32::try_from(s.value).ok())
    }

    fn symbol_hidden(&self, section: &str, symbol: &str) -> bool {
        self.data_symbol(section, symbol)
            .is_some_and(|s| matches!(s.visibility, STV_INTERNAL | STV_HIDDEN))
    }
}
