/// Types that are plain bytes, which maps and data views hold: integers, floats, arrays of
/// them, and every type of the skeleton's `types` module.
///
/// # Safety
/// Every bit pattern must be a valid value of the type, and it must have no padding bytes.
pub unsafe trait Plain: Copy + 'static {}

macro_rules! plain {
    ($($t:ty),*) => {
        $(
            // SAFETY: integers and floats accept every bit pattern and have no padding.
            unsafe impl Plain for $t {}
        )*
    };
}

plain!(u8, u16, u32, u64, u128, i8, i16, i32, i64, i128, f32, f64);

// SAFETY: an array of plain values has no padding and accepts every bit pattern.
unsafe impl<T: Plain, const N: usize> Plain for [T; N] {}

fn bytes_of<T: Plain>(v: &T) -> &[u8] {
    // SAFETY: `T` has no padding, so all its bytes are initialised.
    unsafe {
        std::slice::from_raw_parts((v as *const T).cast::<u8>(), std::mem::size_of::<T>())
    }
}

fn bytes_of_mut<T: Plain>(v: &mut T) -> &mut [u8] {
    // SAFETY: as in `bytes_of`, and any bytes written leave a valid `T`.
    unsafe {
        std::slice::from_raw_parts_mut((v as *mut T).cast::<u8>(), std::mem::size_of::<T>())
    }
}

pub(super) fn zeroed<T: Plain>() -> T {
    // SAFETY: all-zero bytes are a valid `T`.
    unsafe { std::mem::zeroed() }
}

fn bit_mask(bits: u32) -> u128 {
    if bits >= 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    }
}

/// A bitfield of `bits` bits at bit `offset` of a storage unit (little-endian, as BPF).
pub(super) fn bits(unit: &[u8], offset: u32, bits: u32) -> u128 {
    let mut raw = [0u8; 16];
    let n = unit.len().min(16);
    raw[..n].copy_from_slice(&unit[..n]);
    (u128::from_le_bytes(raw) >> offset) & bit_mask(bits)
}

/// As [`bits`], sign-extended.
pub(super) fn bits_signed(unit: &[u8], offset: u32, bits: u32) -> i128 {
    let shift = 128 - bits.clamp(1, 128);
    ((self::bits(unit, offset, bits) << shift) as i128) >> shift
}

/// Stores the low `bits` bits of `value` at bit `offset` of a storage unit.
pub(super) fn set_bits(unit: &mut [u8], offset: u32, bits: u32, value: u128) {
    let mut raw = [0u8; 16];
    let n = unit.len().min(16);
    raw[..n].copy_from_slice(&unit[..n]);
    let mask = bit_mask(bits) << offset;
    let word = (u128::from_le_bytes(raw) & !mask) | ((value << offset) & mask);
    unit[..n].copy_from_slice(&word.to_le_bytes()[..n]);
}
