//! Every kind of malformed input gives an error naming the object and what is wrong, never a
//! panic; and the command line writes nothing on failure.

use object::read::elf::{FileHeader, SectionHeader};
use object::{elf, Endianness};

const MINIMAL: &str = "examples/bpf/minimal.bpf.o";

fn minimal() -> Vec<u8> {
    std::fs::read(MINIMAL).expect("example object")
}

fn error_of(data: &[u8]) -> String {
    match skelgen::parse_object(data, "bad.bpf.o") {
        Ok(_) => panic!("malformed input was accepted"),
        Err(e) => e.to_string(),
    }
}

fn assert_error(data: &[u8], expected: &[&str]) {
    let msg = error_of(data);
    assert!(
        msg.starts_with("bad.bpf.o: "),
        "error does not name the object: {msg}"
    );
    for e in expected {
        assert!(msg.contains(e), "error {msg:?} does not mention {e:?}");
    }
}

/// (file offset of the section header, the section's file offset, size, name) for each section.
fn sections(data: &[u8]) -> Vec<(usize, usize, usize, String)> {
    let header = elf::FileHeader64::<Endianness>::parse(data).unwrap();
    let endian = header.endian().unwrap();
    let table = header.sections(endian, data).unwrap();
    let shoff = header.e_shoff.get(endian) as usize;
    let entsize = header.e_shentsize.get(endian) as usize;
    table
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let name = String::from_utf8_lossy(table.section_name(endian, s).unwrap()).into_owned();
            (
                shoff + i * entsize,
                s.sh_offset(endian) as usize,
                s.sh_size(endian) as usize,
                name,
            )
        })
        .collect()
}

fn section(data: &[u8], name: &str) -> (usize, usize, usize) {
    let (hdr, off, size, _) = sections(data).into_iter().find(|s| s.3 == name).unwrap();
    (hdr, off, size)
}

/// Renames a section in place by overwriting its name in the section-name string table.
fn rename(data: &mut [u8], from: &str, to: &str) {
    assert!(to.len() <= from.len());
    let header = elf::FileHeader64::<Endianness>::parse(&*data).unwrap();
    let shstrndx = header.e_shstrndx.get(header.endian().unwrap()) as usize;
    let (_, start, size, _) = sections(data)[shstrndx].clone();
    let table = &data[start..start + size];
    let pos = table
        .windows(from.len() + 1)
        .position(|w| &w[..from.len()] == from.as_bytes() && w[from.len()] == 0);
    let pos = start + pos.unwrap_or_else(|| panic!("{from} not in the section-name table"));
    data[pos..pos + to.len()].copy_from_slice(to.as_bytes());
    data[pos + to.len()] = 0;
}

#[test]
fn empty_and_non_elf() {
    assert_error(&[], &["ELF"]);
    assert_error(b"this is not an object file at all", &["not an ELF file"]);
}

#[test]
fn truncated_files() {
    let data = minimal();
    for len in [16, 63, 64, 200, data.len() / 2, data.len() - 1] {
        let msg = error_of(&data[..len]);
        assert!(msg.starts_with("bad.bpf.o: "), "{msg}");
        assert!(
            msg.contains("offset") || msg.contains("truncated") || msg.contains("section"),
            "len {len}: {msg}"
        );
    }
}

#[test]
fn wrong_machine_and_class() {
    let mut data = minimal();
    data[18] = 62; // EM_X86_64
    assert_error(&data, &["EM_BPF"]);
    let mut data = minimal();
    data[4] = 1; // ELFCLASS32
    assert_error(&data, &["32-bit"]);
}

#[test]
fn missing_btf() {
    let mut data = minimal();
    rename(&mut data, ".BTF", ".XTF");
    assert_error(&data, &["no .BTF section", "clang -g"]);
}

#[test]
fn corrupt_btf() {
    let mut data = minimal();
    let (_, off, _) = section(&data, ".BTF");
    data[off] = 0; // magic
    assert_error(&data, &[".BTF", "magic"]);

    let mut data = minimal();
    let (_, off, _) = section(&data, ".BTF");
    data[off + 12..off + 16].copy_from_slice(&0x7fff_0000u32.to_le_bytes()); // type_len
    assert_error(&data, &[".BTF"]);
}

#[test]
fn btf_reference_out_of_range() {
    let mut data = minimal();
    let (_, off, _) = section(&data, ".BTF");
    let hdr_len = u32::from_le_bytes(data[off + 4..off + 8].try_into().unwrap()) as usize;
    // The first type record: make its `type` field point far past the last type.
    let first = off + hdr_len;
    data[first + 8..first + 12].copy_from_slice(&0x00ff_ffffu32.to_le_bytes());
    let msg = error_of(&data);
    assert!(msg.contains(".BTF"), "{msg}");
}

#[test]
fn relocation_offset_out_of_range() {
    let mut data = minimal();
    let (_, off, _) = section(&data, ".reltp/syscalls/sys_enter_getpid");
    data[off..off + 8].copy_from_slice(&0x0010_0000u64.to_le_bytes()); // r_offset
    assert_error(&data, &["tp/syscalls/sys_enter_getpid", "offset"]);
}

#[test]
fn relocation_symbol_out_of_range() {
    let mut data = minimal();
    let (_, off, _) = section(&data, ".reltp/syscalls/sys_enter_getpid");
    let info = (0x00ff_ffffu64 << 32) | 1;
    data[off + 8..off + 16].copy_from_slice(&info.to_le_bytes());
    assert_error(&data, &["symbol"]);
}

#[test]
fn unsupported_relocation_type() {
    let mut data = minimal();
    let (_, off, _) = section(&data, ".reltp/syscalls/sys_enter_getpid");
    let info = u64::from_le_bytes(data[off + 8..off + 16].try_into().unwrap());
    let info = (info & !0xffff_ffff) | 7;
    data[off + 8..off + 16].copy_from_slice(&info.to_le_bytes());
    assert_error(
        &data,
        &[
            "tp/syscalls/sys_enter_getpid",
            "unsupported relocation type 7",
        ],
    );
}

#[test]
fn unknown_program_section() {
    let mut data = minimal();
    rename(
        &mut data,
        "tp/syscalls/sys_enter_getpid",
        "zz/syscalls/sys_enter_getpid",
    );
    assert_error(
        &data,
        &["zz/syscalls/sys_enter_getpid", "unknown program section"],
    );
}

#[test]
fn section_past_end_of_file() {
    let mut data = minimal();
    let (hdr, _, _) = section(&data, ".BTF");
    data[hdr + 32..hdr + 40].copy_from_slice(&0x7fff_ffffu64.to_le_bytes()); // sh_size
    assert_error(&data, &[".BTF"]);
}

#[test]
fn cli_writes_nothing_on_failure() {
    let dir = std::env::temp_dir().join(format!("skelgen-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.bpf.o");
    std::fs::write(&bad, b"garbage").unwrap();
    let out = dir.join("out.txt");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_skelgen"))
        .arg("-o")
        .arg(&out)
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&status.stderr);
    assert!(
        stderr.starts_with("skelgen: ") && stderr.contains("bad.bpf.o"),
        "{stderr}"
    );
    assert!(!out.exists(), "output written despite the failure");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn cli_succeeds_on_an_example() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_skelgen"))
        .arg(MINIMAL)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("handle_getpid"));
}
