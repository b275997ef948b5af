//! Tests over hand-built objects (both byte orders), corrupted copies of them, and the example
//! objects when they have been built.

use super::*;

/// One section of a hand-built object.
struct Sec {
    name: &'static str,
    sh_type: u32,
    flags: u64,
    data: Vec<u8>,
    nobits_size: u64,
    link: u32,
    info: u32,
    entsize: u64,
}

fn sec(name: &'static str, sh_type: u32, flags: u64, data: Vec<u8>) -> Sec {
    Sec {
        name,
        sh_type,
        flags,
        data,
        nobits_size: 0,
        link: 0,
        info: 0,
        entsize: 0,
    }
}

pub(super) fn put(buf: &mut [u8], off: usize, val: u64, width: usize, big: bool) {
    let bytes = if big {
        val.to_be_bytes()
    } else {
        val.to_le_bytes()
    };
    let field = if big {
        &bytes[8 - width..]
    } else {
        &bytes[..width]
    };
    buf[off..off + width].copy_from_slice(field);
}

pub(super) fn get(buf: &[u8], off: usize, width: usize, big: bool) -> u64 {
    let mut bytes = [0u8; 8];
    if big {
        bytes[8 - width..].copy_from_slice(&buf[off..off + width]);
        u64::from_be_bytes(bytes)
    } else {
        bytes[..width].copy_from_slice(&buf[off..off + width]);
        u64::from_le_bytes(bytes)
    }
}

/// Lays out an ELF64 `EM_BPF` relocatable file; `.shstrtab` is appended as the last section.
fn build(big: bool, secs: Vec<Sec>) -> Vec<u8> {
    let mut shstrtab = vec![0u8];
    let mut names = vec![0u32];
    for s in &secs {
        names.push(shstrtab.len() as u32);
        shstrtab.extend_from_slice(s.name.as_bytes());
        shstrtab.push(0);
    }
    names.push(shstrtab.len() as u32);
    shstrtab.extend_from_slice(b".shstrtab\0");
    let mut all = secs;
    all.push(sec(".shstrtab", 3, 0, shstrtab));

    let mut out = vec![0u8; 64];
    let mut offsets = vec![0u64];
    for s in &all {
        while out.len() % 8 != 0 {
            out.push(0);
        }
        offsets.push(out.len() as u64);
        out.extend_from_slice(&s.data);
    }
    while out.len() % 8 != 0 {
        out.push(0);
    }
    let shoff = out.len();
    out.resize(shoff + 64 * (all.len() + 1), 0);
    for (i, s) in all.iter().enumerate() {
        let h = shoff + 64 * (i + 1);
        let size = if s.sh_type == 8 {
            s.nobits_size
        } else {
            s.data.len() as u64
        };
        put(&mut out, h, u64::from(names[i + 1]), 4, big);
        put(&mut out, h + 4, u64::from(s.sh_type), 4, big);
        put(&mut out, h + 8, s.flags, 8, big);
        put(&mut out, h + 24, offsets[i + 1], 8, big);
        put(&mut out, h + 32, size, 8, big);
        put(&mut out, h + 40, u64::from(s.link), 4, big);
        put(&mut out, h + 44, u64::from(s.info), 4, big);
        put(&mut out, h + 48, 8, 8, big);
        put(&mut out, h + 56, s.entsize, 8, big);
    }
    out[..4].copy_from_slice(b"\x7fELF");
    out[4] = 2;
    out[5] = if big { 2 } else { 1 };
    out[6] = 1;
    put(&mut out, 16, 1, 2, big); // ET_REL
    put(&mut out, 18, 247, 2, big); // EM_BPF
    put(&mut out, 20, 1, 4, big);
    put(&mut out, 40, shoff as u64, 8, big);
    put(&mut out, 52, 64, 2, big);
    put(&mut out, 58, 64, 2, big);
    put(&mut out, 60, (all.len() + 1) as u64, 2, big);
    put(&mut out, 62, all.len() as u64, 2, big);
    out
}

fn sym(big: bool, name: u32, info: u8, shndx: u16, value: u64, size: u64) -> Vec<u8> {
    let mut b = vec![0u8; 24];
    put(&mut b, 0, u64::from(name), 4, big);
    b[4] = info;
    put(&mut b, 6, u64::from(shndx), 2, big);
    put(&mut b, 8, value, 8, big);
    put(&mut b, 16, size, 8, big);
    b
}

fn rel(big: bool, offset: u64, symbol: u64, r_type: u64) -> Vec<u8> {
    let mut b = vec![0u8; 16];
    put(&mut b, 0, offset, 8, big);
    put(&mut b, 8, (symbol << 32) | r_type, 8, big);
    b
}

const EXEC: u64 = 0x6; // SHF_ALLOC | SHF_EXECINSTR
const DATA: u64 = 0x3; // SHF_WRITE | SHF_ALLOC

/// Sections: 1 `.text`, 2 `xdp`, 3 `.relxdp`, 4 `.bss`, 5 `.symtab`, 6 `.strtab`,
/// 7 `.shstrtab`.
pub(super) fn sample(big: bool) -> Vec<u8> {
    let strtab = b"\0helper\0counter\0prog\0ext\0".to_vec();
    let mut symtab = sym(big, 0, 0, 0, 0, 0);
    symtab.extend(sym(big, 0, 0x03, 1, 0, 0)); // 1: section symbol for .text
    symtab.extend(sym(big, 1, 0x12, 1, 0, 16)); // 2: helper, global func
    symtab.extend(sym(big, 8, 0x11, 4, 8, 8)); // 3: counter, global object in .bss
    symtab.extend(sym(big, 16, 0x12, 2, 0, 32)); // 4: prog, global func in xdp
    symtab.extend(sym(big, 21, 0x20, 0, 0, 0)); // 5: ext, weak undefined
    let mut rels = rel(big, 0, 3, 1);
    rels.extend(rel(big, 16, 2, 10));
    let mut bss = sec(".bss", 8, DATA, vec![]);
    bss.nobits_size = 16;
    let mut relsec = sec(".relxdp", 9, 0, rels);
    (relsec.link, relsec.info, relsec.entsize) = (5, 2, 16);
    let mut symsec = sec(".symtab", 2, 0, symtab);
    (symsec.link, symsec.info, symsec.entsize) = (6, 2, 24);
    build(
        big,
        vec![
            sec(".text", 1, EXEC, vec![0x95; 16]),
            sec("xdp", 1, EXEC, vec![0x18; 32]),
            relsec,
            bss,
            symsec,
            sec(".strtab", 3, 0, strtab),
        ],
    )
}

fn check_sample(file: &ElfFile<'_>, big: bool) {
    assert_eq!(file.big_endian(), big);
    let names: Vec<&str> = file.sections().iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "",
            ".text",
            "xdp",
            ".relxdp",
            ".bss",
            ".symtab",
            ".strtab",
            ".shstrtab"
        ]
    );
    for (i, s) in file.sections().iter().enumerate() {
        assert_eq!(s.index, i);
    }
    let xdp = file.section_by_name("xdp").unwrap();
    assert_eq!(
        (xdp.kind, xdp.exec, xdp.write, xdp.alloc),
        (SectionKind::Progbits, true, false, true)
    );
    assert_eq!(xdp.data, &[0x18; 32][..]);
    let want = [
        Reloc {
            offset: 0,
            symbol: 3,
            r_type: R_BPF_64_64,
        },
        Reloc {
            offset: 16,
            symbol: 2,
            r_type: R_BPF_64_32,
        },
    ];
    assert_eq!(xdp.relocs, want);
    let bss = file.section_by_name(".bss").unwrap();
    assert_eq!(
        (bss.kind, bss.size, bss.data.len(), bss.write),
        (SectionKind::Nobits, 16, 0, true)
    );
    assert_eq!(file.sections()[0].kind, SectionKind::Other(0));
    assert_eq!(
        file.section_by_name(".relxdp").unwrap().kind,
        SectionKind::Rel
    );

    let syms = file.symbols();
    assert_eq!(syms.len(), 6);
    assert_eq!(
        (syms[1].kind, syms[1].section),
        (SymbolKind::Section, Some(1))
    );
    assert_eq!(syms[3].name, "counter");
    assert_eq!(
        (syms[3].kind, syms[3].binding, syms[3].section),
        (SymbolKind::Object, Binding::Global, Some(4))
    );
    assert_eq!((syms[3].value, syms[3].size, syms[3].index), (8, 8, 3));
    assert_eq!(
        (syms[5].name.as_str(), syms[5].binding, syms[5].section),
        ("ext", Binding::Weak, None)
    );
    assert_eq!(syms[4].kind, SymbolKind::Func);

    assert_eq!(file.section_by_name(".bss").map(|s| s.size), Some(16));
    assert!(file.section_by_name(".data").is_none());
    let value = |section, name| file.data_symbol(section, name).map(|s| s.value);
    assert_eq!(value(".bss", "counter"), Some(8));
    assert_eq!(value(".text", "counter"), None);
    assert_eq!(
        value(".text", "helper"),
        None,
        "functions are not variables"
    );
    assert_eq!(file.data_symbol(".bss", "counter").unwrap().visibility, 0);
}

#[test]
fn hidden_variables() {
    let bytes = sample(false);
    let mut b = bytes.clone();
    let s = contents(&bytes, 5);
    b[s + 24 * 3 + 5] = STV_HIDDEN; // counter's st_other
    let file = ElfFile::parse(&b).unwrap();
    assert_eq!(
        file.data_symbol(".bss", "counter").unwrap().visibility,
        STV_HIDDEN
    );
}

#[test]
fn reads_little_and_big_endian() {
    for big in [false, true] {
        let bytes = sample(big);
        let file = ElfFile::parse(&bytes).unwrap();
        check_sample(&file, big);
    }
}

#[test]
fn reads_misaligned_input() {
    let bytes = sample(false);
    let mut shifted = vec![0u8];
    shifted.extend_from_slice(&bytes);
    let file = ElfFile::parse(&shifted[1..]).unwrap();
    check_sample(&file, false);
}

/// File offset of section header `index` in a sample object.
pub(super) fn shdr(bytes: &[u8], index: usize) -> usize {
    get(bytes, 40, 8, false) as usize + 64 * index
}

/// File offset of the contents of section `index`.
pub(super) fn contents(bytes: &[u8], index: usize) -> usize {
    get(bytes, shdr(bytes, index) + 24, 8, false) as usize
}

#[test]
fn reads_example_objects() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bpf");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.to_string_lossy().ends_with(".bpf.o") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let file = ElfFile::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            file.section_by_name(".symtab").is_some(),
            "{}",
            path.display()
        );
        for s in file.sections() {
            for r in &s.relocs {
                assert!(r.symbol < file.symbols().len());
                assert!(r.offset < s.size);
            }
        }
        for len in (0..bytes.len()).step_by(97) {
            assert!(ElfFile::parse(&bytes[..len]).is_err());
        }
    }
}
