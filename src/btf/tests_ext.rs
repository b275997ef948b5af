use super::testutil::*;
use super::*;

/// Strings: 1 "int", 5 "s" ... as in the sample; 5 is used as a section name.
fn btf() -> Btf {
    Btf::parse(&sample(Endian::Little)).unwrap()
}

/// A `.BTF.ext` blob with the given header length (24 or 32) and three areas of words.
fn ext(hdr_len: u32, fi: &[u32], li: &[u32], cr: &[u32]) -> Vec<u8> {
    let mut out = vec![0x9f, 0xeb, 1, 0];
    let (fl, ll, cl) = (
        fi.len() as u32 * 4,
        li.len() as u32 * 4,
        cr.len() as u32 * 4,
    );
    let mut hdr = vec![hdr_len, 0, fl, fl, ll];
    if hdr_len >= 32 {
        hdr.extend([fl + ll, cl]);
    }
    for w in hdr
        .iter()
        .chain(fi)
        .chain(li)
        .chain(if hdr_len >= 32 { cr } else { &[] })
    {
        out.extend_from_slice(&w.to_le_bytes());
    }
    out
}

#[test]
fn parses_all_three_areas() {
    let fi = [8, 5, 2, 0, 1, 16, 1];
    let li = [16, 5, 1, 0, 1, 7, (3 << 10) | 2];
    let cr = [16, 5, 1, 8, 3, 9, 0];
    let e = BtfExt::parse(&ext(32, &fi, &li, &cr), &btf()).unwrap();
    assert_eq!(e.func_info.len(), 1);
    assert_eq!(e.func_info[0].section, "s");
    assert_eq!(
        e.func_info[0].records,
        vec![
            FuncInfoRec {
                insn_off: 0,
                type_id: 1
            },
            FuncInfoRec {
                insn_off: 16,
                type_id: 1
            }
        ]
    );
    assert_eq!(
        e.line_info[0].records[0],
        LineInfoRec {
            insn_off: 0,
            file_name_off: 1,
            line_off: 7,
            line_col: (3 << 10) | 2
        }
    );
    assert_eq!(
        e.core_relos[0].records[0],
        CoreReloRec {
            insn_off: 8,
            type_id: 3,
            access_str_off: 9,
            kind: 0
        }
    );
}

#[test]
fn old_header_has_no_core_relos() {
    let e = BtfExt::parse(&ext(24, &[8, 5, 1, 0, 1], &[], &[]), &btf()).unwrap();
    assert_eq!(e.func_info[0].records.len(), 1);
    assert!(e.line_info.is_empty() && e.core_relos.is_empty());
}

#[test]
fn larger_records_read_their_known_prefix() {
    let fi = [12, 5, 2, 0, 1, 0xdead, 8, 1, 0xbeef];
    let e = BtfExt::parse(&ext(32, &fi, &[], &[]), &btf()).unwrap();
    assert_eq!(
        e.func_info[0].records[1],
        FuncInfoRec {
            insn_off: 8,
            type_id: 1
        }
    );
}

#[test]
fn record_size_and_count_errors() {
    let b = btf();
    let e = BtfExt::parse(&ext(32, &[4, 5, 1, 0], &[], &[]), &b).unwrap_err();
    assert!(matches!(
        e,
        BtfError::BadExtRecordSize {
            section: "func_info",
            offset: 32,
            rec_size: 4,
            min: 8
        }
    ));
    assert_eq!(
        e.to_string(),
        "func_info at byte offset 32: record size 4, expected a multiple of 4 and at least 8"
    );
    let e = BtfExt::parse(&ext(32, &[], &[18, 5, 1, 0, 0, 0, 0], &[]), &b).unwrap_err();
    assert!(matches!(
        e,
        BtfError::BadExtRecordSize {
            section: "line_info",
            rec_size: 18,
            ..
        }
    ));
    let e = BtfExt::parse(&ext(32, &[8], &[], &[]), &b).unwrap_err();
    assert!(matches!(
        e,
        BtfError::EmptyExtSection {
            section: "func_info",
            ..
        }
    ));
    let e = BtfExt::parse(&ext(32, &[8, 5, 0], &[], &[]), &b).unwrap_err();
    assert!(matches!(e, BtfError::EmptyExtSection { offset: 36, .. }));
    // A count far beyond the bytes present fails before anything is allocated for it.
    let e = BtfExt::parse(&ext(32, &[8, 5, 0x4000_0000, 0, 1], &[], &[]), &b).unwrap_err();
    assert!(matches!(e, BtfError::Truncated { offset: 44, .. }));
    let e = BtfExt::parse(&ext(32, &[8, 99, 1, 0, 1], &[], &[]), &b).unwrap_err();
    assert!(matches!(e, BtfError::StringOffsetOutOfRange { offset: 99 }));
}

#[test]
fn header_errors() {
    let b = btf();
    let good = ext(32, &[8, 5, 1, 0, 1], &[], &[]);
    let with = |at: usize, bytes: &[u8]| {
        let mut d = good.clone();
        d[at..at + bytes.len()].copy_from_slice(bytes);
        BtfExt::parse(&d, &b).unwrap_err()
    };
    assert!(matches!(with(0, &[0, 0]), BtfError::BadMagic { .. }));
    assert!(matches!(
        with(2, &[3]),
        BtfError::BadHeader {
            field: "version",
            ..
        }
    ));
    assert!(matches!(
        with(4, &[16, 0, 0, 0]),
        BtfError::BadHeader {
            field: "hdr_len",
            ..
        }
    ));
    assert!(matches!(
        with(4, &[0, 1, 0, 0]),
        BtfError::Truncated {
            offset: 0,
            needed: 256,
            ..
        }
    ));
    assert!(matches!(
        with(8, &[2, 0, 0, 0]),
        BtfError::BadHeader {
            field: "func_info_off",
            ..
        }
    ));
    assert!(matches!(
        with(12, &[0, 1, 0, 0]),
        BtfError::Truncated {
            offset: 32,
            needed: 256,
            ..
        }
    ));
    assert!(matches!(
        BtfExt::parse(&good[..6], &b),
        Err(BtfError::Truncated { .. })
    ));
    for len in 0..good.len() {
        let _ = BtfExt::parse(&good[..len], &b);
    }
}

/// Everything the fix-up asks, answered from a table.
struct Facts;

impl DataFacts for Facts {
    fn section_size(&self, name: &str) -> Option<u32> {
        (name == ".data").then_some(16)
    }
    fn symbol_offset(&self, _section: &str, symbol: &str) -> Option<u32> {
        match symbol {
            "a" => Some(8),
            "b" => Some(0),
            _ => None,
        }
    }
    fn symbol_hidden(&self, _section: &str, symbol: &str) -> bool {
        symbol == "b"
    }
}

/// [1] int, [2] var a (global), [3] var b (global), [4] var s (static, offset 12),
/// [5] datasec `.data` (size 0) with entries a, b, s all at offset 0 except s.
fn datasec_btf(sec_name: &[u8]) -> Btf {
    let mut strings = b"\0int\0a\0b\0s\0".to_vec();
    strings.extend_from_slice(sec_name);
    strings.push(0);
    #[rustfmt::skip]
    let types = [
        1, info(1, 0, false), 4, 0x0100_0020,
        5, info(14, 0, false), 1, 1,
        7, info(14, 0, false), 1, 1,
        9, info(14, 0, false), 1, 0,
        11, info(15, 3, false), 0, 2, 0, 4, 3, 0, 4, 4, 12, 4,
    ];
    Btf::parse(&blob(&types, &strings, Endian::Little)).unwrap()
}

#[test]
fn datasec_fixup_follows_libbpf() {
    let mut b = datasec_btf(b".data");
    b.fixup_datasecs(&Facts).unwrap();
    let BtfType::Datasec { size, vars, .. } = b.type_by_id(5).unwrap() else {
        panic!()
    };
    assert_eq!(*size, 16);
    let order: Vec<(u32, u32)> = vars.iter().map(|v| (v.ty, v.offset)).collect();
    assert_eq!(order, vec![(3, 0), (2, 8), (4, 12)]);
    assert!(matches!(
        b.type_by_id(3).unwrap(),
        BtfType::Var { linkage: 0, .. }
    ));
    assert!(matches!(
        b.type_by_id(2).unwrap(),
        BtfType::Var { linkage: 1, .. }
    ));
    assert_eq!(Btf::parse(&b.to_bytes()).unwrap(), b);
}

#[test]
fn datasec_fixup_errors_and_extern_sections() {
    let mut b = datasec_btf(b".bss");
    let e = b.fixup_datasecs(&Facts).unwrap_err();
    assert_eq!(e.to_string(), "datasec .bss: no elf section gives its size");
    // Extern sections are only sorted.
    let mut b = datasec_btf(b".kconfig");
    b.fixup_datasecs(&Facts).unwrap();
    let BtfType::Datasec { size: 0, vars, .. } = b.type_by_id(5).unwrap() else {
        panic!()
    };
    assert_eq!(
        vars.iter().map(|v| v.offset).collect::<Vec<_>>(),
        vec![0, 0, 12]
    );
    // A sized datasec keeps its offsets but still needs every global's symbol.
    let mut b = datasec_btf(b".data");
    if let BtfType::Datasec { size, .. } = b.type_by_id_mut(5).unwrap() {
        *size = 16;
    }
    let name_c = b.add_string("c");
    if let BtfType::Var { name_off, .. } = b.type_by_id_mut(2).unwrap() {
        *name_off = name_c;
    }
    let e = b.fixup_datasecs(&Facts).unwrap_err();
    assert!(matches!(e, BtfError::MissingSymbol { ref var, .. } if var == "c"));
}

#[test]
fn mark_func_static_changes_first_global() {
    let s = b"\0f\0";
    let types = [0, info(13, 0, false), 0, 1, info(12, 1, false), 1];
    let mut b = Btf::parse(&blob(&types, s, Endian::Little)).unwrap();
    assert!(b.mark_func_static("f"));
    assert!(matches!(
        b.type_by_id(2).unwrap(),
        BtfType::Func { linkage: 0, .. }
    ));
    assert!(!b.mark_func_static("f"));
}

/// `.BTF` and `.BTF.ext` of every example object: parse, re-encode byte for byte, and build
/// every type's size where it has one.
#[test]
fn example_objects_round_trip() {
    use object::{Object, ObjectSection};
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/bpf");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut seen = 0;
    for path in entries.flatten().map(|e| e.path()) {
        if !path.to_string_lossy().ends_with(".bpf.o") {
            continue;
        }
        seen += 1;
        let data = std::fs::read(&path).unwrap();
        let file = object::File::parse(&*data).unwrap();
        let raw = file.section_by_name(".BTF").unwrap().data().unwrap();
        let btf = Btf::parse(raw).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(btf.to_bytes(), raw, "{}", path.display());
        for id in 0..btf.types_len() {
            let _ = btf.resolve_size(id);
            btf.type_name(id).unwrap();
        }
        if let Some(sec) = file.section_by_name(".BTF.ext") {
            let ext = BtfExt::parse(sec.data().unwrap(), &btf).unwrap();
            assert!(!ext.func_info.is_empty(), "{}", path.display());
        }
    }
    assert!(seen > 0, "no example objects in {dir}");
}
