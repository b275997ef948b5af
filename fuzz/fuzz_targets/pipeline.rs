//! The whole pipeline, from object bytes through the loader compiler to every backend, must
//! reject any input with an error, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(spec) = skelgen::parse_object(data, "fuzz.bpf.o") else {
        return;
    };
    let Ok(blob) = skelgen::loader::compile(&spec) else {
        return;
    };
    for lang in skelgen::Lang::ALL {
        let _ = skelgen::backend::render(lang, &spec, &blob);
    }
});
