//! Generates the Rust skeleton of every object in examples/bpf into OUT_DIR.

use std::path::Path;

fn main() {
    let bpf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bpf");
    println!("cargo:rerun-if-changed={}", bpf.display());
    let mut objects: Vec<_> = std::fs::read_dir(&bpf)
        .expect("examples/bpf exists")
        .map(|e| e.expect("a readable directory").path())
        .filter(|p| p.to_string_lossy().ends_with(".bpf.o"))
        .collect();
    objects.sort();
    let mut builder = skelgen::build::Builder::new();
    for object in &objects {
        builder.object(object);
    }
    if let Err(err) = builder.generate() {
        panic!("skelgen: {err}");
    }
}
