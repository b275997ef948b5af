//! Reading the ELF container of a compiled BPF object: sections, symbols and relocations.
//!
//! This layer only reads. It knows ELF64 relocatable files for `EM_BPF` in either byte order and
//! nothing about maps, programs or BTF. Every offset and count in the input is checked before
//! use, so malformed input yields an [`ElfError`] naming the structure at fault, never a panic.

mod bytes;
mod error;
mod parse;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_corrupt;

pub use error::ElfError;

/// `STV_INTERNAL` symbol visibility.
pub const STV_INTERNAL: u8 = 1;
/// `STV_HIDDEN` symbol visibility (`__hidden`, `__attribute__((visibility("hidden")))`).
pub const STV_HIDDEN: u8 = 2;

/// `R_BPF_64_64`: the 64-bit immediate of an `ld_imm64` instruction (maps, globals, callbacks).
pub const R_BPF_64_64: u32 = 1;
/// `R_BPF_64_ABS64`: a 64-bit absolute data value (DWARF, static pointers in data).
pub const R_BPF_64_ABS64: u32 = 2;
/// `R_BPF_64_ABS32`: a 32-bit absolute data value (DWARF, `.BTF` / `.BTF.ext`, `.maps` slots).
pub const R_BPF_64_ABS32: u32 = 3;
/// `R_BPF_64_NODYLD32`: a 32-bit value the dynamic loader leaves alone (`.BTF.ext` offsets).
pub const R_BPF_64_NODYLD32: u32 = 4;
/// `R_BPF_64_32`: the 32-bit immediate of a call instruction (BPF-to-BPF calls, kfuncs).
pub const R_BPF_64_32: u32 = 10;

/// A parsed BPF object file. Section contents borrow from the input bytes.
#[derive(Debug, Clone)]
pub struct ElfFile<'data> {
    big_endian: bool,
    sections: Vec<Section<'data>>,
    symbols: Vec<Symbol>,
}

/// The type of a section (`sh_type`), reduced to the kinds a BPF object uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionKind {
    /// `SHT_PROGBITS`: code or initialised data.
    Progbits,
    /// `SHT_NOBITS`: zero-initialised data with no bytes in the file (`.bss`).
    Nobits,
    /// `SHT_SYMTAB`.
    Symtab,
    /// `SHT_STRTAB`.
    Strtab,
    /// `SHT_REL`: relocations for the section named by `sh_info`.
    Rel,
    /// Any other type, with its `sh_type` value (0 for the null section).
    Other(u32),
}

/// One section.
#[derive(Debug, Clone)]
pub struct Section<'data> {
    /// ELF section index.
    pub index: usize,
    /// Section name (`xdp`, `.text`, `.rodata`, `.maps`, `.BTF`).
    pub name: String,
    /// Section type.
    pub kind: SectionKind,
    /// `SHF_EXECINSTR`: holds instructions.
    pub exec: bool,
    /// `SHF_WRITE`: writable data.
    pub write: bool,
    /// `SHF_ALLOC`: occupies memory at run time.
    pub alloc: bool,
    /// `sh_size` in bytes (also for `SHT_NOBITS`, which has no bytes in the file).
    pub size: u64,
    /// `sh_offset`.
    pub file_offset: u64,
    /// `sh_addralign`.
    pub align: u64,
    /// `sh_link`.
    pub link: u32,
    /// `sh_info`.
    pub info: u32,
    /// Contents; empty for `SHT_NOBITS` and the null section.
    pub data: &'data [u8],
    /// Relocations from every `SHT_REL` section that targets this one, in file order.
    pub relocs: Vec<Reloc>,
}

/// The type of a symbol (`ELF64_ST_TYPE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymbolKind {
    /// `STT_NOTYPE` (labels, externs).
    NoType,
    /// `STT_OBJECT`: a variable or map definition.
    Object,
    /// `STT_FUNC`: a function.
    Func,
    /// `STT_SECTION`: stands for its section.
    Section,
    /// `STT_FILE`: the source file name.
    File,
    /// Any other type.
    Other,
}

/// The binding of a symbol (`ELF64_ST_BIND`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    /// `STB_LOCAL`: `static`.
    Local,
    /// `STB_GLOBAL`.
    Global,
    /// `STB_WEAK`: `__weak`.
    Weak,
}

/// One `.symtab` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    /// Index in `.symtab` (0 is the null symbol).
    pub index: usize,
    /// Name; empty for section symbols and the null symbol.
    pub name: String,
    /// Index of the section it is defined in; `None` when undefined, absolute or common.
    pub section: Option<usize>,
    /// `st_value`: the offset inside its section.
    pub value: u64,
    /// `st_size`.
    pub size: u64,
    /// Symbol type.
    pub kind: SymbolKind,
    /// Symbol binding.
    pub binding: Binding,
    /// `ELF64_ST_VISIBILITY` (`STV_DEFAULT` 0, `STV_INTERNAL` 1, `STV_HIDDEN` 2,
    /// `STV_PROTECTED` 3).
    pub visibility: u8,
}

/// One `SHT_REL` entry, attached to the section it patches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reloc {
    /// Byte offset inside the target section.
    pub offset: u64,
    /// Index into [`ElfFile::symbols`].
    pub symbol: usize,
    /// Relocation type (`R_BPF_*`).
    pub r_type: u32,
}

impl<'data> ElfFile<'data> {
    /// Parses an ELF64 relocatable object for `EM_BPF`, little or big endian.
    pub fn parse(data: &'data [u8]) -> Result<Self, ElfError> {
        let parsed = parse::parse(data)?;
        Ok(ElfFile {
            big_endian: parsed.big_endian,
            sections: parsed.sections,
            symbols: parsed.symbols,
        })
    }

    /// Whether the object is big-endian (`-target bpfeb`).
    pub fn big_endian(&self) -> bool {
        self.big_endian
    }

    /// All sections; the position in the slice is the ELF section index (0 is the null section).
    pub fn sections(&self) -> &[Section<'data>] {
        &self.sections
    }

    /// The first section with this name.
    pub fn section_by_name(&self, name: &str) -> Option<&Section<'data>> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// All `.symtab` entries; the position in the slice is the symbol index.
    pub fn symbols(&self) -> &[Symbol] {
        &self.symbols
    }

    /// The symbol libbpf matches to a global BTF variable: the first `STT_OBJECT` symbol with
    /// this name and binding `STB_GLOBAL` or `STB_WEAK`, restricted here to `section`.
    pub fn data_symbol(&self, section: &str, symbol: &str) -> Option<&Symbol> {
        let index = self.section_by_name(section)?.index;
        self.symbols.iter().find(|s| {
            s.kind == SymbolKind::Object
                && matches!(s.binding, Binding::Global | Binding::Weak)
                && s.name == symbol
                && s.section == Some(index)
        })
    }
}
