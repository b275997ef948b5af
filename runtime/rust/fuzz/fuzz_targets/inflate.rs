//! The runtime's gzip reader on arbitrary bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| skelgen_runtime::fuzzing::inflate(data));
