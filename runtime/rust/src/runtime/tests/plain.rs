use super::super::*;

#[test]
fn bitfields_read_and_write_little_endian() {
    let mut unit = [0u8; 4];
    set_bits(&mut unit, 3, 5, 0b10110);
    assert_eq!(u32::from_le_bytes(unit), 0b10110 << 3);
    assert_eq!(bits(&unit, 3, 5), 0b10110);
    assert_eq!(bits_signed(&unit, 3, 5), -10);
    set_bits(&mut unit, 3, 5, u128::MAX);
    assert_eq!(
        u32::from_le_bytes(unit),
        0b11111 << 3,
        "only the field's bits change"
    );
}

#[test]
fn whole_units_and_wide_fields() {
    let mut unit = [0xffu8; 16];
    assert_eq!(bits(&unit, 0, 128), u128::MAX);
    assert_eq!(bits_signed(&unit, 0, 128), -1);
    set_bits(&mut unit, 64, 64, 0);
    assert_eq!(bits(&unit, 0, 64), u128::from(u64::MAX));
    assert_eq!(bits(&unit, 64, 64), 0);
}
