//! Snapshots of every example object's summary and ObjectSpec, in `snapshots/`.
//!
//! Bless after a deliberate change with `INSTA_UPDATE=always cargo test --test snapshots`
//! (or `cargo insta review`), and read every diff.

mod support;

use std::path::Path;
use support::example_objects as examples;

fn snapshot_name(path: &Path) -> String {
    let file = path.file_name().unwrap().to_string_lossy();
    file.trim_end_matches(".bpf.o").to_string()
}

#[test]
fn summaries() {
    for obj in examples() {
        let data = std::fs::read(&obj).unwrap();
        let source = format!("{}", obj.file_name().unwrap().to_string_lossy());
        let options = skelgen::Options::default();
        let text = skelgen::generate(&data, &source, &options)
            .unwrap_or_else(|e| panic!("{}: {e}", obj.display()));
        let text = String::from_utf8(text).expect("the summary is text");
        support::snapshot_settings()
            .bind(|| insta::assert_snapshot!(format!("{}.summary", snapshot_name(&obj)), text));
    }
}

#[test]
fn object_specs() {
    for obj in examples() {
        let data = std::fs::read(&obj).unwrap();
        let source = format!("{}", obj.file_name().unwrap().to_string_lossy());
        let spec = skelgen::parse_object(&data, &source)
            .unwrap_or_else(|e| panic!("{}: {e}", obj.display()));
        support::snapshot_settings()
            .bind(|| insta::assert_json_snapshot!(format!("{}.ir", snapshot_name(&obj)), spec));
    }
}

#[test]
fn ir_round_trips_through_json() {
    for obj in examples() {
        let data = std::fs::read(&obj).unwrap();
        let spec = skelgen::parse_object(&data, "x.bpf.o").unwrap();
        let json = serde_json::to_string(&spec).unwrap();
        let back: skelgen::ObjectSpec = serde_json::from_str(&json).unwrap();
        assert_eq!(back, spec, "{}", obj.display());
    }
}

#[test]
fn output_is_deterministic() {
    for obj in examples() {
        let data = std::fs::read(&obj).unwrap();
        let options = skelgen::Options {
            emit: skelgen::Emit::Ir,
            ..Default::default()
        };
        let a = skelgen::generate(&data, "x.bpf.o", &options).unwrap();
        let b = skelgen::generate(&data, "x.bpf.o", &options).unwrap();
        assert_eq!(a, b, "{}", obj.display());
    }
}

#[test]
fn loader_plans() {
    for obj in examples() {
        let data = std::fs::read(&obj).unwrap();
        let source = format!("{}", obj.file_name().unwrap().to_string_lossy());
        let options = skelgen::Options {
            emit: skelgen::Emit::Plan,
            ..Default::default()
        };
        let text = skelgen::generate(&data, &source, &options)
            .unwrap_or_else(|e| panic!("{}: {e}", obj.display()));
        let text = String::from_utf8(text).expect("the plan is text");
        support::snapshot_settings()
            .bind(|| insta::assert_snapshot!(format!("{}.plan", snapshot_name(&obj)), text));
    }
}

#[test]
fn emitted_blob_is_the_compiled_blob_and_stable() {
    for obj in examples() {
        let data = std::fs::read(&obj).unwrap();
        let spec = skelgen::parse_object(&data, "x.bpf.o").unwrap();
        let compiled = skelgen::loader::compile(&spec).unwrap();
        for emit in [skelgen::Emit::Blob, skelgen::Emit::Asm, skelgen::Emit::Plan] {
            let options = skelgen::Options {
                emit,
                ..Default::default()
            };
            let a = skelgen::generate(&data, "x.bpf.o", &options).unwrap();
            let b = skelgen::generate(&data, "x.bpf.o", &options).unwrap();
            assert_eq!(a, b, "{} {emit:?} differs between runs", obj.display());
            if emit == skelgen::Emit::Blob {
                assert_eq!(a, compiled.data, "{}", obj.display());
            }
        }
    }
}
