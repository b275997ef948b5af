//! The parser behind [`super::ElfFile::parse`].
//!
//! Structures are decoded with `object`'s ELF64 definitions. Because those need aligned memory
//! and the caller's bytes may sit anywhere, every table is first copied into an 8-byte aligned
//! buffer; section contents are still borrowed from the caller's bytes.

use super::bytes::{decode_table, read_at, slice, string_at, Aligned};
use super::{Binding, ElfError, Reloc, Section, SectionKind, Symbol, SymbolKind};
use object::elf::{self, FileHeader64, Rel64, SectionHeader64, Sym64};
use object::read::elf::{FileHeader as _, Rel as _, SectionHeader as _, Sym as _};
use object::Endianness;

const EHDR_SIZE: usize = 64;
/// Size of `e_ident` and the positions of the bytes checked in it.
const EI_NIDENT: u64 = 16;
const EI_CLASS: usize = 4;
const EI_DATA: usize = 5;
const EI_VERSION: usize = 6;
const SHDR_SIZE: u64 = 64;
const SYM_SIZE: u64 = 24;
const REL_SIZE: u64 = 16;

type Shdr = SectionHeader64<Endianness>;

/// What [`parse`] hands back to [`super::ElfFile`].
pub(super) struct Parsed<'data> {
    pub big_endian: bool,
    pub sections: Vec<Section<'data>>,
    pub symbols: Vec<Symbol>,
}

/// Parses the whole file.
pub(super) fn parse(data: &[u8]) -> Result<Parsed<'_>, ElfError> {
    check_ident(data)?;
    let header_bytes = read_at(data, 0, EHDR_SIZE as u64, "ELF header")?;
    let header_buf = Aligned::new(header_bytes);
    let header =
        FileHeader64::<Endianness>::parse(header_buf.bytes()).map_err(|e| ElfError::BadHeader {
            reason: e.to_string(),
        })?;
    let endian = header.endian().map_err(|e| ElfError::BadHeader {
        reason: e.to_string(),
    })?;
    let machine = header.e_machine(endian);
    if machine != elf::EM_BPF {
        return Err(ElfError::WrongMachine { machine });
    }
    let e_type = header.e_type(endian);
    if e_type != elf::ET_REL {
        return Err(ElfError::NotRelocatable { e_type });
    }

    let headers = section_headers(data, header, endian)?;
    let mut sections = build_sections(data, &headers, header, endian)?;
    let symbols = read_symbols(&sections, &headers, endian)?;
    attach_relocs(&mut sections, &headers, symbols.len(), endian)?;
    Ok(Parsed {
        big_endian: endian == Endianness::Big,
        sections,
        symbols,
    })
}

/// Checks `e_ident`: magic, class, byte order and version, with a precise error for each.
fn check_ident(data: &[u8]) -> Result<(), ElfError> {
    let magic = &elf::ELFMAG;
    let head = &data[..data.len().min(magic.len())];
    if head.is_empty() || head != &magic[..head.len()] {
        return Err(ElfError::NotElf);
    }
    let ident = read_at(data, 0, EI_NIDENT, "ELF identification")?;
    let class = ident[EI_CLASS];
    if class != elf::ELFCLASS64 {
        return Err(ElfError::WrongClass { class });
    }
    let encoding = ident[EI_DATA];
    if encoding != elf::ELFDATA2LSB && encoding != elf::ELFDATA2MSB {
        return Err(ElfError::BadHeader {
            reason: format!("unknown data encoding {encoding} (expected 1 or 2)"),
        });
    }
    let version = ident[EI_VERSION];
    if version != elf::EV_CURRENT {
        return Err(ElfError::BadHeader {
            reason: format!("unknown ELF version {version} (expected 1)"),
        });
    }
    Ok(())
}

/// Reads the section header table, honouring extended numbering (`e_shnum == 0`).
fn section_headers(
    data: &[u8],
    header: &FileHeader64<Endianness>,
    endian: Endianness,
) -> Result<Vec<Shdr>, ElfError> {
    let shoff = header.e_shoff(endian);
    if shoff == 0 {
        return Ok(Vec::new());
    }
    let entsize = header.e_shentsize(endian);
    if u64::from(entsize) != SHDR_SIZE {
        return Err(ElfError::BadHeader {
            reason: format!("e_shentsize is {entsize}, expected {SHDR_SIZE}"),
        });
    }
    let first = read_at(data, shoff, SHDR_SIZE, "section header table")?;
    let first: Vec<Shdr> = decode_table(first, "section header")?;
    let count = match header.e_shnum(endian) {
        0 => first.first().map_or(0, |h| h.sh_size(endian)),
        n => u64::from(n),
    };
    let size = count
        .checked_mul(SHDR_SIZE)
        .ok_or_else(|| ElfError::BadHeader {
            reason: format!("section count {count} overflows"),
        })?;
    let table = read_at(data, shoff, size, "section header table")?;
    decode_table(table, "section header")
}

/// Turns section headers into [`Section`]s with names and contents.
fn build_sections<'data>(
    data: &'data [u8],
    headers: &[Shdr],
    header: &FileHeader64<Endianness>,
    endian: Endianness,
) -> Result<Vec<Section<'data>>, ElfError> {
    let names = name_table(data, headers, header, endian)?;
    let mut out = Vec::with_capacity(headers.len());
    for (index, sh) in headers.iter().enumerate() {
        let name = string_at(names, sh.sh_name(endian)).map_err(|reason| ElfError::BadSection {
            index,
            name: None,
            reason: format!("name: {reason}"),
        })?;
        let kind = match sh.sh_type(endian) {
            elf::SHT_PROGBITS => SectionKind::Progbits,
            elf::SHT_NOBITS => SectionKind::Nobits,
            elf::SHT_SYMTAB => SectionKind::Symtab,
            elf::SHT_STRTAB => SectionKind::Strtab,
            elf::SHT_REL => SectionKind::Rel,
            elf::SHT_RELA => {
                return Err(ElfError::Rela {
                    index,
                    section: name,
                })
            }
            other => SectionKind::Other(other),
        };
        let section_data = section_contents(data, sh, endian, index, &name)?;
        let flags = sh.sh_flags(endian);
        out.push(Section {
            index,
            kind,
            exec: flags & u64::from(elf::SHF_EXECINSTR) != 0,
            write: flags & u64::from(elf::SHF_WRITE) != 0,
            alloc: flags & u64::from(elf::SHF_ALLOC) != 0,
            size: sh.sh_size(endian),
            file_offset: sh.sh_offset(endian),
            align: sh.sh_addralign(endian),
            link: sh.sh_link(endian),
            info: sh.sh_info(endian),
            data: section_data,
            relocs: Vec::new(),
            name,
        });
    }
    Ok(out)
}

/// The contents of the section-name string table (`e_shstrndx`), empty if there is none.
fn name_table<'data>(
    data: &'data [u8],
    headers: &[Shdr],
    header: &FileHeader64<Endianness>,
    endian: Endianness,
) -> Result<&'data [u8], ElfError> {
    let mut index = u32::from(header.e_shstrndx(endian));
    if index == u32::from(elf::SHN_XINDEX) {
        index = headers.first().map_or(0, |h| h.sh_link(endian));
    }
    if index == 0 {
        return Ok(&[]);
    }
    let index = index as usize;
    let sh = headers.get(index).ok_or_else(|| ElfError::BadHeader {
        reason: format!(
            "section-name table index {index} is out of range ({} sections)",
            headers.len()
        ),
    })?;
    section_contents(data, sh, endian, index, "<section names>")
}

/// A section's bytes, bounds-checked against the file; empty for `SHT_NOBITS` and `SHT_NULL`.
fn section_contents<'data>(
    data: &'data [u8],
    sh: &Shdr,
    endian: Endianness,
    index: usize,
    name: &str,
) -> Result<&'data [u8], ElfError> {
    let sh_type = sh.sh_type(endian);
    if sh_type == elf::SHT_NOBITS || sh_type == elf::SHT_NULL {
        return Ok(&[]);
    }
    let (offset, size) = (sh.sh_offset(endian), sh.sh_size(endian));
    slice(data, offset, size).ok_or_else(|| ElfError::BadSection {
        index,
        name: Some(name.to_string()),
        reason: format!(
            "contents at offset {offset:#x} with size {size:#x} extend past the end of the file \
             ({:#x} bytes)",
            data.len()
        ),
    })
}

/// Reads `.symtab`, if the object has one.
fn read_symbols(
    sections: &[Section<'_>],
    headers: &[Shdr],
    endian: Endianness,
) -> Result<Vec<Symbol>, ElfError> {
    let mut tables = sections.iter().filter(|s| s.kind == SectionKind::Symtab);
    let Some(symtab) = tables.next() else {
        return Ok(Vec::new());
    };
    if let Some(second) = tables.next() {
        return Err(bad_section(
            second,
            "a second symbol table; an object has at most one",
        ));
    }
    check_entries(symtab, headers, endian, SYM_SIZE)?;
    let strtab = sections
        .get(symtab.link as usize)
        .filter(|s| s.kind == SectionKind::Strtab)
        .ok_or_else(|| {
            bad_section(
                symtab,
                &format!("sh_link {} is not a string table", symtab.link),
            )
        })?;
    let shndx = extended_indices(sections, symtab);
    let entries: Vec<Sym64<Endianness>> = decode_table(symtab.data, "symbol")
        .map_err(|_| bad_section(symtab, "cannot decode symbol entries"))?;
    let mut out = Vec::with_capacity(entries.len());
    for (index, sym) in entries.iter().enumerate() {
        out.push(symbol(
            index,
            sym,
            strtab.data,
            shndx,
            sections.len(),
            endian,
        )?);
    }
    Ok(out)
}

/// Decodes one symbol.
fn symbol(
    index: usize,
    sym: &Sym64<Endianness>,
    strings: &[u8],
    shndx: Option<&[u8]>,
    section_count: usize,
    endian: Endianness,
) -> Result<Symbol, ElfError> {
    let name = string_at(strings, sym.st_name(endian)).map_err(|reason| ElfError::BadSymbol {
        index,
        name: None,
        reason: format!("name: {reason}"),
    })?;
    let bad = |reason: String| ElfError::BadSymbol {
        index,
        name: Some(name.clone()),
        reason,
    };
    let binding = match sym.st_bind() {
        elf::STB_LOCAL => Binding::Local,
        elf::STB_GLOBAL => Binding::Global,
        elf::STB_WEAK => Binding::Weak,
        other => return Err(bad(format!("unsupported binding {other}"))),
    };
    let kind = match sym.st_type() {
        elf::STT_NOTYPE => SymbolKind::NoType,
        elf::STT_OBJECT => SymbolKind::Object,
        elf::STT_FUNC => SymbolKind::Func,
        elf::STT_SECTION => SymbolKind::Section,
        elf::STT_FILE => SymbolKind::File,
        _ => SymbolKind::Other,
    };
    let raw = sym.st_shndx(endian);
    let section = match raw {
        elf::SHN_UNDEF => None,
        elf::SHN_XINDEX => {
            let table = shndx.ok_or_else(|| bad("SHN_XINDEX without SHT_SYMTAB_SHNDX".into()))?;
            let at = index
                .checked_mul(4)
                .and_then(|o| table.get(o..o.checked_add(4)?));
            let bytes = at.ok_or_else(|| bad("no SHT_SYMTAB_SHNDX entry".into()))?;
            let word =
                <[u8; 4]>::try_from(bytes).map_err(|_| bad("short SHT_SYMTAB_SHNDX".into()))?;
            let value = match endian {
                Endianness::Little => u32::from_le_bytes(word),
                Endianness::Big => u32::from_be_bytes(word),
            };
            Some(value as usize)
        }
        n if n >= elf::SHN_LORESERVE => None,
        n => Some(usize::from(n)),
    };
    if let Some(s) = section.filter(|&s| s >= section_count) {
        return Err(bad(format!(
            "section index {s} is out of range ({section_count} sections)"
        )));
    }
    Ok(Symbol {
        index,
        name,
        section,
        value: sym.st_value(endian),
        size: sym.st_size(endian),
        kind,
        binding,
        visibility: sym.st_visibility(),
    })
}

/// The `SHT_SYMTAB_SHNDX` section for `symtab`, if any.
fn extended_indices<'data>(
    sections: &[Section<'data>],
    symtab: &Section<'data>,
) -> Option<&'data [u8]> {
    let found = sections.iter().find(|s| {
        s.kind == SectionKind::Other(elf::SHT_SYMTAB_SHNDX) && s.link as usize == symtab.index
    });
    found.map(|s| s.data)
}

/// Decodes every `SHT_REL` section and attaches its entries to the section it targets.
fn attach_relocs(
    sections: &mut [Section<'_>],
    headers: &[Shdr],
    symbol_count: usize,
    endian: Endianness,
) -> Result<(), ElfError> {
    for rel_index in 0..sections.len() {
        let rel = &sections[rel_index];
        if rel.kind != SectionKind::Rel {
            continue;
        }
        check_entries(rel, headers, endian, REL_SIZE)?;
        let target = rel.info as usize;
        if target == 0 || target >= sections.len() {
            let reason = format!("sh_info {target} names no section to relocate");
            return Err(bad_section(rel, &reason));
        }
        let entries: Vec<Rel64<Endianness>> = decode_table(rel.data, "relocation")
            .map_err(|_| bad_section(rel, "cannot decode relocation entries"))?;
        let mut relocs = Vec::with_capacity(entries.len());
        for (index, entry) in entries.iter().enumerate() {
            let reloc = Reloc {
                offset: entry.r_offset(endian),
                symbol: entry.r_sym(endian) as usize,
                r_type: entry.r_type(endian),
            };
            check_reloc(&reloc, index, rel, &sections[target], symbol_count)?;
            relocs.push(reloc);
        }
        sections[target].relocs.extend(relocs);
    }
    Ok(())
}

/// Checks a relocation's symbol index and that the bytes it patches lie inside its target.
fn check_reloc(
    reloc: &Reloc,
    index: usize,
    rel: &Section<'_>,
    target: &Section<'_>,
    symbol_count: usize,
) -> Result<(), ElfError> {
    let bad = |reason: String| ElfError::BadReloc {
        section: target.name.clone(),
        rel_section: rel.name.clone(),
        index,
        reason,
    };
    if reloc.symbol >= symbol_count {
        return Err(bad(format!(
            "symbol index {} is out of range ({symbol_count} symbols)",
            reloc.symbol
        )));
    }
    let width = match reloc.r_type {
        super::R_BPF_64_ABS32 | super::R_BPF_64_NODYLD32 => 4,
        super::R_BPF_64_64 | super::R_BPF_64_ABS64 | super::R_BPF_64_32 => 8,
        _ => 1,
    };
    let fits = reloc
        .offset
        .checked_add(width)
        .is_some_and(|end| end <= target.size);
    if !fits {
        return Err(bad(format!(
            "offset {:#x} (+{width} bytes) is beyond the section's {:#x} bytes",
            reloc.offset, target.size
        )));
    }
    Ok(())
}

/// Checks `sh_entsize` and that `sh_size` is a whole number of entries.
fn check_entries(
    section: &Section<'_>,
    headers: &[Shdr],
    endian: Endianness,
    entry: u64,
) -> Result<(), ElfError> {
    let entsize = headers
        .get(section.index)
        .map_or(0, |h| h.sh_entsize(endian));
    if entsize != entry {
        return Err(bad_section(
            section,
            &format!("sh_entsize is {entsize}, expected {entry}"),
        ));
    }
    if section.size % entry != 0 {
        let reason = format!("size {:#x} is not a multiple of {entry}", section.size);
        return Err(bad_section(section, &reason));
    }
    Ok(())
}

fn bad_section(section: &Section<'_>, reason: &str) -> ElfError {
    ElfError::BadSection {
        index: section.index,
        name: Some(section.name.clone()),
        reason: reason.to_string(),
    }
}
