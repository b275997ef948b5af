//! Helpers that build BTF blobs by hand for tests.

use super::Endian;

/// The `info` word of a type record.
pub(crate) fn info(kind: u32, vlen: u32, kind_flag: bool) -> u32 {
    (u32::from(kind_flag) << 31) | (kind << 24) | vlen
}

/// A `.BTF` blob: header, the type words, the string bytes.
pub(crate) fn blob(types: &[u32], strings: &[u8], endian: Endian) -> Vec<u8> {
    let type_len = (types.len() * 4) as u32;
    let mut out = endian.u16_bytes(0xeb9f).to_vec();
    out.extend_from_slice(&[1, 0]);
    for v in [24, 0, type_len, type_len, strings.len() as u32] {
        out.extend_from_slice(&endian.u32_bytes(v));
    }
    for &w in types {
        out.extend_from_slice(&endian.u32_bytes(w));
    }
    out.extend_from_slice(strings);
    out
}

/// Strings used by [`sample`]: offsets 1 "int", 5 "s", 7 "a", 9 "b", 11 "t", 13 "E", 15 "X".
pub(crate) const SAMPLE_STRINGS: &[u8] = b"\0int\0s\0a\0b\0t\0E\0X\0";

/// Types: [1] int, [2] ptr -> 3, [3] struct s { int a; int b:3 (bitfield); } size 8,
/// [4] typedef t -> 3, [5] const -> 4, [6] array of 1 x4 (index 1), [7] enum E { X = -1 },
/// [8] union (anon) { int a; } size 8.
#[rustfmt::skip]
pub(crate) fn sample_types() -> Vec<u32> {
    vec![
        1, info(1, 0, false), 4, 0x0100_0020, // int: signed, 32 bits
        0, info(2, 0, false), 3,
        5, info(4, 2, true), 8, 7, 1, 0, 9, 1, (3 << 24) | 32,
        11, info(8, 0, false), 3,
        0, info(10, 0, false), 4,
        0, info(3, 0, false), 0, 1, 1, 4,
        13, info(6, 1, true), 4, 15, 0xffff_ffff,
        0, info(5, 1, false), 8, 7, 1, 0,
    ]
}

/// [`sample_types`] as a blob.
pub(crate) fn sample(endian: Endian) -> Vec<u8> {
    blob(&sample_types(), SAMPLE_STRINGS, endian)
}
