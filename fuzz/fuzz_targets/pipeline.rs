//! The whole front end, from object bytes to `ObjectSpec`, must reject any input with an
//! error, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = skelgen::parse_object(data, "fuzz.bpf.o");
});
