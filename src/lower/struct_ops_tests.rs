//! struct_ops maps read from the tcpca example, from that object with a broken
//! relocation, and from hand-built BTF with what libbpf refuses.

use super::*;
use crate::btf::testutil::{blob, info};
use crate::btf::Endian;
use crate::elf::SectionKind;

fn tcpca() -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/bpf/tcpca.bpf.o");
    std::fs::read(path).expect("examples/bpf/tcpca.bpf.o")
}

#[test]
fn flavours_are_cut_as_libbpf_cuts_them() {
    assert_eq!(essential_name("tcp_congestion_ops"), "tcp_congestion_ops");
    assert_eq!(
        essential_name("tcp_congestion_ops___v2"),
        "tcp_congestion_ops"
    );
    assert_eq!(essential_name("a___b___c"), "a___b");
    assert_eq!(essential_name("a____b"), "a____b");
    assert_eq!(essential_name("ops"), "ops");
    assert_eq!(essential_name(""), "");
}

#[test]
fn section_names() {
    assert_eq!(section_kind(".struct_ops"), Some((true, false)));
    assert_eq!(section_kind(".struct_ops.link"), Some((true, true)));
    assert_eq!(section_kind("?.struct_ops"), Some((false, false)));
    assert_eq!(section_kind("?.struct_ops.link"), Some((false, true)));
    assert_eq!(section_kind(".struct_opsx"), None);
    assert_eq!(section_kind("struct_ops/init"), None);
}

#[test]
fn tcpca_has_a_plain_and_a_link_map_with_members_by_name() {
    let spec = crate::parse_object(&tcpca(), "tcpca.bpf.o").unwrap();
    let names: Vec<&str> = spec.maps.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, [".bss", "tcpca", "tcpca_link"]);
    let prog = |n: &str| spec.program_index(n).unwrap();
    for (i, link) in [(1, false), (2, true)] {
        let m = &spec.maps[i];
        let s = m.struct_ops.as_ref().unwrap();
        assert_eq!(
            (m.map_type, m.key_size, m.max_entries),
            (MapType::StructOps, 4, 1)
        );
        assert_eq!(m.flags, if link { BPF_F_LINK } else { 0 });
        assert_eq!(
            (s.type_name.as_str(), s.link, s.autocreate),
            ("tcp_congestion_ops", link, true)
        );
        assert_eq!(s.image.0.len(), 48);
        let members: Vec<(&str, u32, u32, MemberValue)> = s
            .members
            .iter()
            .map(|m| (m.name.as_str(), m.offset, m.size, m.value))
            .collect();
        assert_eq!(
            members,
            [
                ("name", 0, 16, MemberValue::Data { zero: false }),
                (
                    "undo_cwnd",
                    16,
                    8,
                    MemberValue::Prog {
                        prog: prog("tcpca_undo_cwnd")
                    }
                ),
                (
                    "init",
                    24,
                    8,
                    MemberValue::Prog {
                        prog: prog("tcpca_init")
                    }
                ),
                (
                    "cong_avoid",
                    32,
                    8,
                    MemberValue::Prog {
                        prog: prog("tcpca_cong_avoid")
                    }
                ),
                (
                    "ssthresh",
                    40,
                    8,
                    MemberValue::Prog {
                        prog: prog("tcpca_ssthresh")
                    }
                ),
            ]
        );
    }
    let name = &spec.maps[2].struct_ops.as_ref().unwrap().image.0[..15];
    assert_eq!(name, b"skg_tcpca_link\0");
}

/// Points the first relocation of `.rel.struct_ops` at symbol `to`.
fn retarget_first_reloc(data: &mut [u8], to: &str) {
    let elf = ElfFile::parse(data).unwrap();
    let rel = elf
        .sections()
        .iter()
        .find(|s| s.name == ".rel.struct_ops" && s.kind == SectionKind::Rel)
        .unwrap()
        .file_offset as usize;
    let sym = elf.symbols().iter().position(|s| s.name == to).unwrap() as u64;
    let r_info = (sym << 32) | u64::from(R_BPF_64_ABS64);
    data[rel + 8..rel + 16].copy_from_slice(&r_info.to_le_bytes());
}

#[test]
fn a_function_pointer_set_to_data_is_refused_by_name() {
    let mut data = tcpca();
    retarget_first_reloc(&mut data, "LICENSE");
    let err = crate::parse_object(&data, "tcpca.bpf.o")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("tcpca.bpf.o: section .struct_ops, variable tcpca, member ")
            && err.contains("it is set to LICENSE, which is not a program"),
        "{err}"
    );
}

/// BTF: [1] int, [2] fn proto, [3] pointer to it, [4] struct ops { fn *f; int b:3; } or
/// with `b` whole, [5] var v of type `var_ty`, [6] DATASEC .struct_ops.
fn ops_btf(bitfield: bool, var_ty: u32) -> Btf {
    let b_off = if bitfield { (3 << 24) | 64 } else { 64 };
    #[rustfmt::skip]
    let types = vec![
        1, info(1, 0, false), 4, 0x0100_0020,
        0, info(13, 0, false), 1,
        0, info(2, 0, false), 2,
        5, info(4, 2, bitfield), 16, 9, 3, 0, 11, 1, b_off,
        13, info(14, 0, false), var_ty, 1,
        15, info(15, 1, false), 16, 5, 0, 16,
    ];
    let strings = b"\0int\0ops\0f\0b\0v\0.struct_ops\0";
    Btf::parse(&blob(&types, strings, Endian::Little)).unwrap()
}

fn ops_section(name: &str) -> Section<'static> {
    Section {
        index: 3,
        name: name.into(),
        kind: SectionKind::Progbits,
        exec: false,
        write: true,
        alloc: true,
        size: 16,
        file_offset: 0,
        align: 8,
        link: 0,
        info: 0,
        data: &[0; 16],
        relocs: Vec::new(),
    }
}

fn refusal(btf: &Btf, section: &str) -> String {
    match variables(btf, &ops_section(section)) {
        Ok(_) => panic!("accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn what_libbpf_refuses_is_refused_by_name() {
    let vars = variables(&ops_btf(false, 4), &ops_section(".struct_ops")).unwrap();
    assert_eq!(vars[0].name, "v");
    assert_eq!(vars[0].func_ptr, [true, false]);
    assert_eq!(
        refusal(&ops_btf(true, 4), ".struct_ops"),
        "section .struct_ops, variable v, member b: bitfield members are not supported \
         (libbpf refuses them too)"
    );
    let not_struct = refusal(&ops_btf(false, 1), ".struct_ops");
    assert!(
        not_struct.starts_with("section .struct_ops, variable v: its type is int, not a struct"),
        "{not_struct}"
    );
    assert!(refusal(&ops_btf(false, 4), ".struct_ops.link")
        .starts_with("section .struct_ops.link: no BTF DATASEC describes it"));
    // A type id past the table never gets here: parsing the BTF refuses it.
    let var_of_nothing = blob(&[1, info(14, 0, false), 40, 1], b"\0v\0", Endian::Little);
    let err = Btf::parse(&var_of_nothing).unwrap_err().to_string();
    assert!(err.contains("40"), "{err}");
}
