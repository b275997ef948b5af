//! Generates the Rust skeleton of every object in examples/bpf into OUT_DIR, and
//! `skeletons.rs`, which includes them all. `events` also gets its event types (`--type`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let bpf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bpf");
    println!("cargo:rerun-if-changed={}", bpf.display());
    let mut objects: Vec<PathBuf> = std::fs::read_dir(&bpf)
        .expect("examples/bpf exists")
        .map(|e| e.expect("a readable directory").path())
        .filter(|p| p.to_string_lossy().ends_with(".bpf.o"))
        .collect();
    objects.sort();
    let (typed, plain): (Vec<&PathBuf>, Vec<&PathBuf>) =
        objects.iter().partition(|p| p.ends_with("events.bpf.o"));
    let mut builder = skelgen::build::Builder::new();
    for object in plain {
        builder.object(object);
    }
    let mut files = builder
        .generate()
        .unwrap_or_else(|err| panic!("skelgen: {err}"));
    let mut builder = skelgen::build::Builder::new();
    builder.type_name("event").type_name("event_kind");
    for object in typed {
        builder.object(object);
    }
    files.extend(
        builder
            .generate()
            .unwrap_or_else(|err| panic!("skelgen: {err}")),
    );
    files.sort();
    let mut all = String::new();
    for file in &files {
        let name = file.file_name().expect("a file name").to_string_lossy();
        writeln!(all, "include!(concat!(env!(\"OUT_DIR\"), \"/{name}\"));").unwrap();
    }
    let out = Path::new(&std::env::var_os("OUT_DIR").expect("OUT_DIR")).join("skeletons.rs");
    skelgen::write_if_changed(&out, all.as_bytes()).unwrap_or_else(|err| panic!("{err}"));
}
