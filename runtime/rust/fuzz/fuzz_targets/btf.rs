//! The runtime's kernel-BTF reader and struct_ops layout on arbitrary bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| skelgen_runtime::fuzzing::btf(data));
