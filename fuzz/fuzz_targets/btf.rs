//! The BTF and BTF.ext readers must reject any input with an error, never panic, and what
//! `Btf::parse` accepts must survive a round trip through `to_bytes`.
//!
//! Input layout: a little-endian `u32` length `n`, then `n` bytes of `.BTF`, then the
//! rest as `.BTF.ext` (`n` is clamped to what is there). `fuzz/seed.sh` writes real
//! sections in this layout.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skelgen::btf::{Btf, BtfExt};

fuzz_target!(|data: &[u8]| {
    let (btf_part, ext_part) = split(data);
    if let Ok(btf) = Btf::parse(btf_part) {
        let bytes = btf.to_bytes();
        match Btf::parse(&bytes) {
            Ok(again) => assert_eq!(again, btf, "to_bytes output parses to different BTF"),
            Err(e) => panic!("to_bytes output does not parse: {e}"),
        }
        for id in 0..btf.types_len() {
            let _ = btf.resolve_size(id);
        }
        let _ = BtfExt::parse(ext_part, &btf);
    }
});

fn split(data: &[u8]) -> (&[u8], &[u8]) {
    let Some((len, rest)) = data.split_first_chunk::<4>() else {
        return (data, &[]);
    };
    let len = (u32::from_le_bytes(*len) as usize).min(rest.len());
    rest.split_at(len)
}
