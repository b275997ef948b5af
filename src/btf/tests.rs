use super::testutil::*;
use super::*;

fn parse_err(types: &[u32], strings: &[u8]) -> BtfError {
    Btf::parse(&blob(types, strings, Endian::Little)).unwrap_err()
}

#[test]
fn sample_parses_in_both_byte_orders() {
    for endian in [Endian::Little, Endian::Big] {
        let data = sample(endian);
        let btf = Btf::parse(&data).unwrap();
        assert_eq!(btf.endian(), endian);
        assert_eq!(btf.types_len(), 9);
        assert_eq!(btf.type_name(1).unwrap(), Some("int"));
        assert_eq!(btf.type_name(2).unwrap(), None);
        assert_eq!(btf.to_bytes(), data);
        assert_eq!(Btf::parse(&btf.to_bytes()).unwrap(), btf);
        let BtfType::Struct {
            members, kind_flag, ..
        } = btf.type_by_id(3).unwrap()
        else {
            panic!()
        };
        assert_eq!(members[1].bit_offset(*kind_flag), 32);
        assert_eq!(members[1].bitfield_size(*kind_flag), 3);
        let BtfType::Enum {
            values, kind_flag, ..
        } = btf.type_by_id(7).unwrap()
        else {
            panic!()
        };
        assert_eq!(values[0].value(*kind_flag), -1);
    }
}

#[test]
fn sizes_alignments_and_lookups() {
    let btf = Btf::parse(&sample(Endian::Little)).unwrap();
    assert_eq!(btf.resolve_size(5).unwrap(), 8); // const -> typedef -> struct
    assert_eq!(btf.resolve_size(6).unwrap(), 16);
    assert_eq!(btf.resolve_size(2).unwrap(), 8);
    assert_eq!(btf.resolve_align(3).unwrap(), 4);
    assert_eq!(btf.resolve_align(2).unwrap(), 8);
    assert_eq!(btf.skip_mods_and_typedefs(5).unwrap(), 3);
    assert_eq!(btf.skip_mods(5).unwrap(), 4);
    assert_eq!(btf.find_by_name_kind("t", BtfKind::Typedef), Some(4));
    assert_eq!(btf.find_by_name_kind("t", BtfKind::Struct), None);
    assert!(matches!(
        btf.resolve_size(0),
        Err(BtfError::Unsized {
            id: 0,
            kind: BtfKind::Void
        })
    ));
    assert!(matches!(
        btf.type_by_id(9),
        Err(BtfError::TypeIdOutOfRange { id: 9, .. })
    ));
}

#[test]
fn added_strings_and_types_round_trip() {
    let mut btf = Btf::parse(&sample(Endian::Big)).unwrap();
    assert_eq!(btf.add_string("int"), 1);
    let off = btf.add_string("fresh");
    assert_eq!(off as usize, SAMPLE_STRINGS.len());
    let id = btf.add_type(BtfType::Var {
        name_off: off,
        ty: 1,
        linkage: 1,
    });
    assert_eq!(id, 9);
    let again = Btf::parse(&btf.to_bytes()).unwrap();
    assert_eq!(again, btf);
    assert_eq!(again.type_name(9).unwrap(), Some("fresh"));
    assert_eq!(again.resolve_size(9).unwrap(), 4);
}

#[test]
fn header_errors() {
    let good = sample(Endian::Little);
    assert!(matches!(
        Btf::parse(&[0x9f]),
        Err(BtfError::Truncated {
            offset: 0,
            needed: 2,
            ..
        })
    ));
    assert!(matches!(
        Btf::parse(&[1, 2, 3]),
        Err(BtfError::BadMagic { found: 0x0201 })
    ));
    assert!(matches!(
        Btf::parse(&good[..20]),
        Err(BtfError::Truncated {
            offset: 0,
            needed: 24,
            ..
        })
    ));
    let with = |at: usize, bytes: &[u8]| {
        let mut d = good.clone();
        d[at..at + bytes.len()].copy_from_slice(bytes);
        Btf::parse(&d).unwrap_err()
    };
    assert!(matches!(
        with(2, &[2]),
        BtfError::BadHeader {
            field: "version",
            value: 2,
            ..
        }
    ));
    assert!(matches!(
        with(3, &[1]),
        BtfError::BadHeader { field: "flags", .. }
    ));
    assert!(matches!(
        with(4, &[8, 0, 0, 0]),
        BtfError::BadHeader {
            field: "hdr_len",
            ..
        }
    ));
    assert!(matches!(
        with(4, &[0, 1, 0, 0]),
        BtfError::Truncated { needed: 256, .. }
    ));
    assert!(matches!(
        with(8, &[2, 0, 0, 0]),
        BtfError::BadHeader {
            field: "type_off",
            ..
        }
    ));
    assert!(matches!(
        with(12, &[0xff, 0, 0, 0]),
        BtfError::BadHeader {
            field: "type_off + type_len",
            ..
        }
    ));
    assert!(matches!(
        with(20, &[0xff, 0, 0, 0]),
        BtfError::Truncated { .. }
    ));
    assert!(matches!(
        with(12, &[0xff, 0xff, 0xff, 0xff]),
        BtfError::BadHeader { .. }
    ));
    let msg = with(2, &[2]).to_string();
    assert_eq!(msg, "bad header field version = 2: expected 1");
}

#[test]
fn unknown_data_is_kept_exactly() {
    // A longer header, a gap before the types, one between the areas, and trailing bytes.
    let types = sample_types();
    let mut d = Endian::Little.u16_bytes(0xeb9f).to_vec();
    d.extend_from_slice(&[1, 0]);
    let tl = types.len() as u32 * 4;
    for v in [28u32, 4, tl, 4 + tl + 2, SAMPLE_STRINGS.len() as u32, 0] {
        d.extend_from_slice(&v.to_le_bytes());
    }
    d.extend_from_slice(&[9, 9, 9, 9]);
    types
        .iter()
        .for_each(|w| d.extend_from_slice(&w.to_le_bytes()));
    d.extend_from_slice(&[7, 7]);
    d.extend_from_slice(SAMPLE_STRINGS);
    d.extend_from_slice(&[5]);
    let btf = Btf::parse(&d).unwrap();
    assert_eq!(btf.to_bytes(), d);
}

#[test]
fn string_section_errors() {
    let int = [1, info(1, 0, false), 4, 32];
    assert!(matches!(
        parse_err(&int, b""),
        BtfError::BadStringSection { what: "empty", .. }
    ));
    assert!(matches!(
        parse_err(&int, b"x\0"),
        BtfError::BadStringSection { offset: 40, .. }
    ));
    assert!(matches!(
        parse_err(&int, b"\0int"),
        BtfError::BadStringSection { .. }
    ));
    assert!(matches!(
        parse_err(&int, b"\0"),
        BtfError::StringOffsetOutOfRange { offset: 1 }
    ));
    let btf = Btf::parse(&blob(&int, b"\0i\xffx\0", Endian::Little)).unwrap();
    assert!(matches!(
        btf.type_name(1),
        Err(BtfError::BadString { offset: 1 })
    ));
    assert!(matches!(
        btf.string_at(99),
        Err(BtfError::StringOffsetOutOfRange { offset: 99 })
    ));
}

#[test]
fn type_record_errors() {
    let s = b"\0int\0";
    let e = parse_err(&[0, info(20, 0, false), 0], s);
    assert!(matches!(
        e,
        BtfError::UnknownKind {
            id: 1,
            kind: 20,
            offset: 24
        }
    ));
    assert_eq!(
        e.to_string(),
        "type 1 at byte offset 24 has unknown kind 20"
    );
    assert!(matches!(
        parse_err(&[0, 0, 0], s),
        BtfError::UnknownKind { kind: 0, .. }
    ));
    let e = parse_err(&[0, info(2, 0, false) | 0x10000, 1], s);
    assert!(matches!(e, BtfError::BadTypeField { field: "info", .. }));
    let e = parse_err(&[1, info(1, 1, false), 4, 32], s);
    assert!(matches!(e, BtfError::BadTypeField { field: "vlen", .. }));
    let e = parse_err(&[0, info(2, 0, true), 0], s);
    assert!(matches!(
        e,
        BtfError::BadTypeField {
            field: "kind_flag",
            ..
        }
    ));
    let e = parse_err(&[0, info(3, 0, false), 4, 0, 0, 1], s);
    assert!(matches!(
        e,
        BtfError::BadTypeField {
            field: "size_or_type",
            ..
        }
    ));
    let e = parse_err(&[1, info(1, 0, false), 4, 0x4000_0020], s);
    assert!(matches!(
        e,
        BtfError::BadTypeField {
            field: "int data",
            ..
        }
    ));
    // A record cut short, and a member count far beyond the bytes present: no allocation
    // happens for it, the bound is checked first.
    let e = parse_err(&[1, info(1, 0, false), 4], s);
    assert!(matches!(
        e,
        BtfError::Truncated {
            offset: 36,
            needed: 4,
            available: 0
        }
    ));
    let e = parse_err(&[0, info(4, 0xffff, false), 4, 0, 0], s);
    assert!(matches!(
        e,
        BtfError::Truncated {
            offset: 36,
            needed: 786420,
            available: 8
        }
    ));
}

#[test]
fn reference_errors() {
    let s = b"\0int\0";
    let e = parse_err(&[0, info(2, 0, false), 5], s);
    assert!(matches!(
        e,
        BtfError::TypeIdOutOfRange {
            id: 5,
            referenced_from: 1
        }
    ));
    assert_eq!(
        e.to_string(),
        "type id 5 referenced from type 1 is out of range"
    );
    let e = parse_err(&[99, info(2, 0, false), 0], s);
    assert!(matches!(e, BtfError::StringOffsetOutOfRange { offset: 99 }));
    let e = parse_err(&[0, info(4, 1, false), 4, 77, 0, 0], s);
    assert!(matches!(e, BtfError::StringOffsetOutOfRange { offset: 77 }));
}

#[test]
fn cycles_end_in_bounded_time() {
    let s = b"\0t\0";
    // [1] typedef t -> 2, [2] const -> 1: a modifier cycle.
    let btf = Btf::parse(&blob(
        &[1, info(8, 0, false), 2, 0, info(10, 0, false), 1],
        s,
        Endian::Little,
    ))
    .unwrap();
    assert!(matches!(
        btf.resolve_size(1),
        Err(BtfError::TooDeep { id: 1 })
    ));
    assert!(matches!(
        btf.skip_mods_and_typedefs(2),
        Err(BtfError::TooDeep { id: 2 })
    ));
    assert!(matches!(
        btf.resolve_align(1),
        Err(BtfError::TooDeep { .. })
    ));
    // [1] array of itself.
    let btf = Btf::parse(&blob(
        &[0, info(3, 0, false), 0, 1, 1, 1],
        s,
        Endian::Little,
    ))
    .unwrap();
    assert!(matches!(
        btf.resolve_size(1),
        Err(BtfError::TooDeep { id: 1 })
    ));
    // [1] struct containing itself by value; [2] struct with a pointer to itself is fine.
    #[rustfmt::skip]
    let types = [
        1, info(4, 1, false), 4, 0, 1, 0,
        1, info(4, 1, false), 8, 0, 3, 0,
        0, info(2, 0, false), 2,
    ];
    let btf = Btf::parse(&blob(&types, s, Endian::Little)).unwrap();
    assert!(matches!(
        btf.resolve_align(1),
        Err(BtfError::TooDeep { .. })
    ));
    assert_eq!(btf.resolve_align(2).unwrap(), 8);
    assert_eq!(btf.resolve_size(2).unwrap(), 8);
}

#[test]
fn size_errors() {
    let s = b"\0int\0";
    // [1] int, [2] array of 2^20 ints, [3] array of 2^20 of those: overflow.
    #[rustfmt::skip]
    let types = [
        1, info(1, 0, false), 4, 32,
        0, info(3, 0, false), 0, 1, 1, 1 << 20,
        0, info(3, 0, false), 0, 2, 1, 1 << 20,
    ];
    let btf = Btf::parse(&blob(&types, s, Endian::Little)).unwrap();
    assert_eq!(btf.resolve_size(2).unwrap(), 4 << 20);
    assert!(matches!(
        btf.resolve_size(3),
        Err(BtfError::SizeOverflow { id: 3 })
    ));
    let fwd = [1, info(7, 0, false), 0];
    let btf = Btf::parse(&blob(&fwd, s, Endian::Little)).unwrap();
    let e = btf.resolve_size(1).unwrap_err();
    assert_eq!(
        e.to_string(),
        "type 1 is a fwd, which has no size or alignment"
    );
}

#[test]
fn packed_and_old_style_bitfields() {
    let s = b"\0int\0c\0";
    // [1] int, [2] char, [3] struct { char c; int a; } packed (a at byte 1), size 5,
    // [4] int with 3 bits (old bitfield encoding), [5] struct { int a:3 via [4] at bit 4 } size 4.
    #[rustfmt::skip]
    let types = [
        1, info(1, 0, false), 4, 0x0100_0020,
        5, info(1, 0, false), 1, 0x0100_0008,
        0, info(4, 2, false), 5, 5, 2, 0, 1, 1, 8,
        1, info(1, 0, false), 4, 0x0100_0003,
        0, info(4, 1, false), 4, 1, 4, 4,
    ];
    let btf = Btf::parse(&blob(&types, s, Endian::Little)).unwrap();
    assert_eq!(btf.resolve_align(3).unwrap(), 1);
    assert_eq!(btf.resolve_align(5).unwrap(), 4);
    let (members, kf) = btf.type_by_id(5).unwrap().members().unwrap();
    assert_eq!(btf.member_bitfield_size(&members[0], kf).unwrap(), 3);
    assert_eq!(btf.member_bit_offset(&members[0], kf).unwrap(), 4);
}

#[test]
fn no_panic_on_truncation_or_corruption() {
    let data = sample(Endian::Little);
    for len in 0..data.len() {
        let _ = Btf::parse(&data[..len]);
    }
    for i in 0..data.len() {
        for v in [0u8, 1, 0x7f, 0x80, 0xff] {
            let mut d = data.clone();
            d[i] = v;
            if let Ok(btf) = Btf::parse(&d) {
                for id in 0..btf.types_len() {
                    let _ = (
                        btf.resolve_size(id),
                        btf.resolve_align(id),
                        btf.type_name(id),
                    );
                }
            }
        }
    }
}
