//! The runtime's ring buffer and perf event record parsing on arbitrary bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| skelgen_runtime::fuzzing::buffers(data));
