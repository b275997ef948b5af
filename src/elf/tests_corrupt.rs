//! Corrupted, truncated and random inputs: every one is an error naming its cause, never a panic.

use super::tests::{contents, put, sample, shdr};
use super::*;

#[test]
fn every_truncation_is_an_error() {
    let bytes = sample(false);
    for len in 0..bytes.len() {
        assert!(
            ElfFile::parse(&bytes[..len]).is_err(),
            "length {len} parsed"
        );
    }
    assert_eq!(ElfFile::parse(&[]).unwrap_err(), ElfError::NotElf);
    assert!(matches!(
        ElfFile::parse(&bytes[..10]).unwrap_err(),
        ElfError::Truncated {
            what: "ELF identification",
            offset: 0,
            needed: 16,
            available: 10
        }
    ));
    assert!(matches!(
        ElfFile::parse(&bytes[..40]).unwrap_err(),
        ElfError::Truncated {
            what: "ELF header",
            ..
        }
    ));
    let err = ElfFile::parse(&bytes[..bytes.len() - 1]).unwrap_err();
    assert!(
        matches!(
            err,
            ElfError::Truncated {
                what: "section header table",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn rejects_wrong_identity() {
    let bytes = sample(false);
    assert_eq!(
        ElfFile::parse(b"MZ\x90\0 not elf at all").unwrap_err(),
        ElfError::NotElf
    );

    let mut b = bytes.clone();
    b[4] = 1;
    let err = ElfFile::parse(&b).unwrap_err();
    assert_eq!(err, ElfError::WrongClass { class: 1 });
    assert!(err
        .to_string()
        .contains("32-bit ELF; BPF objects are ELF64"));

    let mut b = bytes.clone();
    put(&mut b, 18, 62, 2, false);
    let err = ElfFile::parse(&b).unwrap_err();
    assert_eq!(err, ElfError::WrongMachine { machine: 62 });
    assert!(err
        .to_string()
        .contains("expected EM_BPF (247); was this built with -target bpf?"));

    let mut b = bytes.clone();
    put(&mut b, 16, 2, 2, false);
    assert_eq!(
        ElfFile::parse(&b).unwrap_err(),
        ElfError::NotRelocatable { e_type: 2 }
    );

    let mut b = bytes.clone();
    b[5] = 7;
    assert!(matches!(
        ElfFile::parse(&b).unwrap_err(),
        ElfError::BadHeader { .. }
    ));
}

#[test]
fn rejects_bad_sections() {
    let bytes = sample(false);

    let mut b = bytes.clone();
    let h = shdr(&b, 2);
    put(&mut b, h + 32, bytes.len() as u64, 8, false);
    let err = ElfFile::parse(&b).unwrap_err();
    assert!(
        matches!(&err, ElfError::BadSection { index: 2, name: Some(n), .. } if n == "xdp"),
        "{err}"
    );
    assert!(err.to_string().contains("section #2 'xdp'"), "{err}");

    let mut b = bytes.clone();
    put(&mut b, shdr(&bytes, 3) + 4, 4, 4, false); // SHT_RELA
    let err = ElfFile::parse(&b).unwrap_err();
    assert_eq!(
        err,
        ElfError::Rela {
            index: 3,
            section: ".relxdp".into()
        }
    );

    let mut b = bytes.clone();
    put(&mut b, shdr(&bytes, 2), 0xffff, 4, false); // name offset past .shstrtab
    assert!(matches!(
        ElfFile::parse(&b).unwrap_err(),
        ElfError::BadSection {
            index: 2,
            name: None,
            ..
        }
    ));

    let mut b = bytes.clone();
    put(&mut b, shdr(&bytes, 5) + 56, 16, 8, false); // symtab entsize
    assert!(matches!(
        ElfFile::parse(&b).unwrap_err(),
        ElfError::BadSection { index: 5, .. }
    ));

    let mut b = bytes.clone();
    put(&mut b, shdr(&bytes, 3) + 44, 99, 4, false); // reloc target out of range
    assert!(matches!(
        ElfFile::parse(&b).unwrap_err(),
        ElfError::BadSection { index: 3, .. }
    ));

    let mut b = bytes.clone();
    put(&mut b, 62, 200, 2, false); // e_shstrndx
    assert!(matches!(
        ElfFile::parse(&b).unwrap_err(),
        ElfError::BadHeader { .. }
    ));
}

#[test]
fn rejects_huge_counts_and_offsets() {
    let bytes = sample(false);
    let mut b = bytes.clone();
    put(&mut b, 60, 0xffff, 2, false);
    assert!(matches!(
        ElfFile::parse(&b).unwrap_err(),
        ElfError::Truncated { .. }
    ));

    let mut b = bytes.clone();
    put(&mut b, 60, 0, 2, false); // extended numbering: count in section 0's sh_size
    put(&mut b, shdr(&bytes, 0) + 32, u64::MAX, 8, false);
    assert!(ElfFile::parse(&b).is_err());

    let mut b = bytes.clone();
    put(&mut b, 40, u64::MAX - 10, 8, false);
    assert!(matches!(
        ElfFile::parse(&b).unwrap_err(),
        ElfError::Truncated { .. }
    ));

    let mut b = bytes.clone();
    put(&mut b, shdr(&bytes, 5) + 24, u64::MAX, 8, false); // symtab offset
    assert!(matches!(
        ElfFile::parse(&b).unwrap_err(),
        ElfError::BadSection { index: 5, .. }
    ));
}

#[test]
fn rejects_bad_symbols_and_relocs() {
    let bytes = sample(false);

    let mut b = bytes.clone();
    let r = contents(&b, 3);
    put(&mut b, r + 8, (6 << 32) | 1, 8, false); // symbol 6 of 6
    let err = ElfFile::parse(&b).unwrap_err();
    assert!(
        matches!(&err, ElfError::BadReloc { section, index: 0, .. } if section == "xdp"),
        "{err}"
    );
    assert!(err.to_string().contains("symbol index 6"), "{err}");

    let mut b = bytes.clone();
    put(&mut b, r + 16, 32, 8, false); // second reloc at the end of the 32-byte section
    let err = ElfFile::parse(&b).unwrap_err();
    assert!(matches!(err, ElfError::BadReloc { index: 1, .. }), "{err}");

    let mut b = bytes.clone();
    let s = contents(&b, 5);
    put(&mut b, s + 24 * 3 + 6, 40, 2, false); // counter's st_shndx
    let err = ElfFile::parse(&b).unwrap_err();
    assert!(matches!(&err, ElfError::BadSymbol { index: 3, name: Some(n), .. } if n == "counter"));

    let mut b = bytes.clone();
    put(&mut b, s + 24 * 2, 0x7fff, 4, false); // helper's st_name
    assert!(matches!(
        ElfFile::parse(&b).unwrap_err(),
        ElfError::BadSymbol {
            index: 2,
            name: None,
            ..
        }
    ));
}

#[test]
fn never_panics_on_corrupted_input() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for big in [false, true] {
        let bytes = sample(big);
        for _ in 0..3000 {
            let mut b = bytes.clone();
            for _ in 0..(next() % 4 + 1) {
                let at = (next() % b.len() as u64) as usize;
                b[at] = next() as u8;
            }
            let _ = ElfFile::parse(&b);
        }
    }
    for len in [0usize, 16, 64, 200, 4096] {
        let noise: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        let mut elfish = noise.clone();
        if len >= 4 {
            elfish[..4].copy_from_slice(b"\x7fELF");
        }
        let _ = ElfFile::parse(&noise);
        let _ = ElfFile::parse(&elfish);
    }
    let zeros = vec![0u8; 4096];
    assert_eq!(ElfFile::parse(&zeros).unwrap_err(), ElfError::NotElf);
}
