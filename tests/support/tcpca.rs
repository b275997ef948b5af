//! Variants of examples/bpf/tcpca.bpf.o that a kernel cannot take as they are, patched in
//! place: the struct_ops tests of every skeleton load them to see the load refused by name.

use std::path::Path;

/// examples/bpf/tcpca.bpf.o.
fn tcpca() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bpf/tcpca.bpf.o");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// tcpca.bpf.o with every occurrence of `from` replaced by `to` (same length).
pub fn patched_tcpca(from: &str, to: &str) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let mut data = tcpca();
    let mut found = 0;
    let mut i = 0;
    while i + from.len() <= data.len() {
        if &data[i..i + from.len()] == from.as_bytes() {
            data[i..i + from.len()].copy_from_slice(to.as_bytes());
            found += 1;
        }
        i += 1;
    }
    assert!(found > 0, "{from} not in tcpca.bpf.o");
    data
}

/// tcpca.bpf.o with the relocations that set member `init` (offset 24) moved to
/// `ssthresh` (offset 40), which a later relocation sets to tcpca_ssthresh: no structure
/// names tcpca_init any more.
pub fn tcpca_without_init() -> Vec<u8> {
    let mut data = tcpca();
    let elf = skelgen::elf::ElfFile::parse(&data).unwrap();
    let rels: Vec<(usize, usize)> = elf
        .sections()
        .iter()
        .filter(|s| s.name.starts_with(".rel.struct_ops"))
        .map(|s| (s.file_offset as usize, s.size as usize))
        .collect();
    drop(elf);
    let mut moved = 0;
    for (start, size) in rels {
        for at in (start..start + size).step_by(16) {
            if data[at..at + 8] == 24u64.to_le_bytes() {
                data[at..at + 8].copy_from_slice(&40u64.to_le_bytes());
                moved += 1;
            }
        }
    }
    assert_eq!(moved, 2, "the init relocations of both maps");
    data
}
