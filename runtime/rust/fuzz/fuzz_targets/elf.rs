//! The runtime's ELF symbol reader (uprobes by name) on arbitrary bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| skelgen_runtime::fuzzing::elf(data));
