//! Rendering whole Go skeletons from the example objects.

use std::path::Path;

fn spec(name: &str) -> crate::ObjectSpec {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("examples/bpf/{name}.bpf.o"));
    let data = std::fs::read(path).unwrap();
    crate::parse_object(&data, &format!("{name}.bpf.o")).unwrap()
}

#[test]
fn every_example_renders() {
    for name in ["minimal", "many", "ksyms", "iterators", "probes"] {
        let s = spec(name);
        let blob = crate::loader::compile(&s).unwrap();
        super::render(&s, &blob, None).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
