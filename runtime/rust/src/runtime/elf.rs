/// A reader of ELF symbol tables, for uprobes by function name and usdt: a function's
/// symbol in `.symtab`, else `.dynsym`, and a virtual address turned into a file offset
/// through the `PT_LOAD` program headers (executables, PIE or not, and shared objects
/// alike). ELF64 of either byte order; every read is bounds-checked, and a malformed file
/// is an [`ElfError`] saying what is wrong and where.
pub(super) struct Elf<'a> {
    data: &'a [u8],
    big_endian: bool,
    shoff: u64,
    shnum: u64,
    phoff: u64,
    phnum: u64,
}

/// What is wrong with a file, or what it lacks, and the errno that goes with it
/// (`ENOEXEC`: malformed, `ENOENT`: not there, `ENOTUNIQ`: ambiguous).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ElfError {
    pub(super) errno: i32,
    pub(super) why: String,
}

const ELF_SHDR_SIZE: u64 = 64;
const ELF_PHDR_SIZE: u64 = 56;
const ELF_SYM_SIZE: u64 = 24;
const SHT_SYMTAB: u32 = 2;
const SHT_NOBITS: u32 = 8;
const SHT_DYNSYM: u32 = 11;
const PT_LOAD: u32 = 1;
const STT_FUNC: u8 = 2;
const STT_GNU_IFUNC: u8 = 10;

/// One section header, as read.
#[derive(Debug, Clone, Copy)]
pub(super) struct ElfSection {
    pub(super) name: u32,
    pub(super) kind: u32,
    pub(super) addr: u64,
    pub(super) offset: u64,
    pub(super) size: u64,
    pub(super) link: u32,
    pub(super) entsize: u64,
}

fn elf_bad(what: &str, at: u64) -> ElfError {
    ElfError {
        errno: libc::ENOEXEC,
        why: format!("{what} (at offset {at:#x})"),
    }
}

/// Whether a table of `n` entries of `entsize` bytes at `off` lies inside `len` bytes.
fn table_inside(len: usize, off: u64, n: u64, entsize: u64) -> bool {
    let len = len as u64;
    off <= len && n <= (len - off) / entsize
}

impl<'a> Elf<'a> {
    /// Reads the ELF header and checks that the section and program header tables fit.
    pub(super) fn parse(data: &'a [u8]) -> Result<Self, ElfError> {
        if data.len() < 64 || &data[..4] != b"\x7fELF" {
            return Err(elf_bad("not an ELF file", 0));
        }
        if data[4] != 2 {
            return Err(elf_bad("not a 64-bit ELF file", 4));
        }
        if data[5] != 1 && data[5] != 2 {
            return Err(elf_bad("unknown byte order", 5));
        }
        let mut e = Elf {
            data,
            big_endian: data[5] == 2,
            shoff: 0,
            shnum: 0,
            phoff: 0,
            phnum: 0,
        };
        e.phoff = e.uint(32, 8);
        e.shoff = e.uint(40, 8);
        let phentsize = e.uint(54, 2);
        e.phnum = e.uint(56, 2);
        let shentsize = e.uint(58, 2);
        e.shnum = if e.shoff == 0 { 0 } else { e.uint(60, 2) };
        if e.shoff != 0 {
            if shentsize != ELF_SHDR_SIZE {
                return Err(elf_bad("section headers are not 64 bytes", 58));
            }
            if !table_inside(data.len(), e.shoff, 1, ELF_SHDR_SIZE) {
                return Err(elf_bad("section header table past the end of the file", 40));
            }
            // Extended numbering: counts too large for the header live in section 0.
            if e.shnum == 0 {
                e.shnum = e.uint(e.shoff + 32, 8).min(u64::from(u32::MAX));
            }
            if e.phnum == 0xffff {
                e.phnum = e.uint(e.shoff + 44, 4);
            }
            if !table_inside(data.len(), e.shoff, e.shnum, ELF_SHDR_SIZE) {
                return Err(elf_bad(
                    "section header table past the end of the file",
                    e.shoff,
                ));
            }
        }
        if e.phnum != 0 && phentsize != ELF_PHDR_SIZE {
            return Err(elf_bad("program headers are not 56 bytes", 54));
        }
        if e.phnum != 0 && !table_inside(data.len(), e.phoff, e.phnum, ELF_PHDR_SIZE) {
            return Err(elf_bad(
                "program header table past the end of the file",
                e.phoff,
            ));
        }
        Ok(e)
    }

    /// The `len`-byte integer at `off`, which the caller checked lies inside the file.
    fn uint(&self, off: u64, len: usize) -> u64 {
        let bytes = &self.data[off as usize..off as usize + len];
        let fold = |v: u64, b: &u8| (v << 8) | u64::from(*b);
        if self.big_endian {
            bytes.iter().fold(0, fold)
        } else {
            bytes.iter().rev().fold(0, fold)
        }
    }

    /// The number of sections.
    pub(super) fn sections(&self) -> u64 {
        self.shnum
    }

    /// Section header `i` (< [`Elf::sections`]).
    pub(super) fn section(&self, i: u64) -> ElfSection {
        let at = self.shoff + i * ELF_SHDR_SIZE;
        ElfSection {
            name: self.uint(at, 4) as u32,
            kind: self.uint(at + 4, 4) as u32,
            addr: self.uint(at + 16, 8),
            offset: self.uint(at + 24, 8),
            size: self.uint(at + 32, 8),
            link: self.uint(at + 40, 4) as u32,
            entsize: self.uint(at + 56, 8),
        }
    }

    /// The bytes of section `i`, or an error when they lie outside the file.
    pub(super) fn section_data(&self, i: u64, what: &str) -> Result<&'a [u8], ElfError> {
        let s = self.section(i);
        let len = self.data.len() as u64;
        if s.kind == SHT_NOBITS || s.offset > len || s.size > len - s.offset {
            return Err(elf_bad(
                &format!("{what} past the end of the file"),
                self.shoff + i * ELF_SHDR_SIZE + 24,
            ));
        }
        Ok(&self.data[s.offset as usize..(s.offset + s.size) as usize])
    }

    /// The function `name` in the symbol table of section `idx`: its address when there
    /// (a global symbol before a weak one before a local one), `None` when not.
    fn search(&self, idx: u64, name: &str) -> Result<Option<u64>, ElfError> {
        let tab = self.section(idx);
        let header = self.shoff + idx * ELF_SHDR_SIZE;
        if tab.entsize != ELF_SYM_SIZE {
            return Err(elf_bad(
                "symbol table entries are not 24 bytes",
                header + 56,
            ));
        }
        let syms = self.section_data(idx, "symbol table")?;
        if tab.link == 0 || u64::from(tab.link) >= self.shnum {
            return Err(elf_bad(
                "symbol table links to no string table",
                header + 40,
            ));
        }
        let strs = self.section_data(u64::from(tab.link), "string table")?;
        let mut best: Option<(u8, u64)> = None;
        for i in 0..syms.len() as u64 / ELF_SYM_SIZE {
            let at = tab.offset + i * ELF_SYM_SIZE;
            let info = self.uint(at + 4, 1) as u8;
            let kind = info & 0xf;
            let rank = match info >> 4 {
                1 => 2, // global
                2 => 1, // weak
                _ => 0,
            };
            // SHN_UNDEF: defined in another file.
            if (kind != STT_FUNC && kind != STT_GNU_IFUNC) || self.uint(at + 6, 2) == 0 {
                continue;
            }
            if !elf_name_is(strs, self.uint(at, 4), name) {
                continue;
            }
            let value = self.uint(at + 8, 8);
            match best {
                Some((r, v)) if r == rank && v != value => {
                    return Err(ElfError {
                        errno: libc::ENOTUNIQ,
                        why: format!(
                            "two function symbols {name}, at {v:#x} and {value:#x}"
                        ),
                    })
                }
                Some((r, _)) if r >= rank => {}
                _ => best = Some((rank, value)),
            }
        }
        Ok(best.map(|(_, v)| v))
    }

    /// The address of the function `name` (or `name@version`): from `.symtab` when the
    /// file has one that holds it, else from `.dynsym`.
    pub(super) fn func(&self, name: &str) -> Result<u64, ElfError> {
        let none = || ElfError {
            errno: libc::ENOENT,
            why: format!("no function symbol {name} in .symtab or .dynsym"),
        };
        if name.is_empty() {
            return Err(none());
        }
        for kind in [SHT_SYMTAB, SHT_DYNSYM] {
            for i in (0..self.shnum).filter(|&i| self.section(i).kind == kind) {
                if let Some(v) = self.search(i, name)? {
                    return Ok(v);
                }
            }
        }
        Err(none())
    }

    /// The file offset of the virtual address `vaddr`, through the `PT_LOAD` segment whose
    /// file image holds it; the offset is inside the file.
    pub(super) fn offset(&self, vaddr: u64) -> Result<u64, ElfError> {
        for i in 0..self.phnum {
            let at = self.phoff + i * ELF_PHDR_SIZE;
            if self.uint(at, 4) as u32 != PT_LOAD {
                continue;
            }
            let (off, addr, filesz) = (
                self.uint(at + 8, 8),
                self.uint(at + 16, 8),
                self.uint(at + 32, 8),
            );
            if vaddr < addr || vaddr - addr >= filesz {
                continue;
            }
            let len = self.data.len() as u64;
            if off > len || vaddr - addr >= len - off {
                return Err(elf_bad("loadable segment past the end of the file", at + 8));
            }
            return Ok(off + (vaddr - addr));
        }
        Err(ElfError {
            errno: libc::ENOENT,
            why: format!("address {vaddr:#x} is in no loadable segment"),
        })
    }

    /// The file offset of the function `name`.
    pub(super) fn func_offset(&self, name: &str) -> Result<u64, ElfError> {
        self.offset(self.func(name)?)
    }
}

/// Whether the NUL-terminated string at `strs[off]` is `name`, or `name@version`.
fn elf_name_is(strs: &[u8], off: u64, name: &str) -> bool {
    let name = name.as_bytes();
    let Some(rest) = usize::try_from(off).ok().and_then(|o| strs.get(o..)) else {
        return false;
    };
    rest.len() > name.len()
        && rest.starts_with(name)
        && (rest[name.len()] == 0 || rest[name.len()] == b'@')
}
