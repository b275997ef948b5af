//! The example objects (`examples/bpf/*.bpf.o`) and their skeletons, generated through the
//! library.

use super::env::ROOT;
use std::path::{Path, PathBuf};

/// The path of example object `name` (`examples/bpf/<name>.bpf.o`).
pub fn object_path(name: &str) -> PathBuf {
    Path::new(ROOT).join(format!("examples/bpf/{name}.bpf.o"))
}

/// The bytes of example object `name`.
pub fn object(name: &str) -> Vec<u8> {
    let path = object_path(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The example object most tests use.
pub fn minimal() -> PathBuf {
    object_path("minimal")
}

/// Every example object, sorted.
pub fn example_objects() -> Vec<PathBuf> {
    let dir = Path::new(ROOT).join("examples/bpf");
    let mut objs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("examples/bpf exists")
        .map(|e| e.expect("readable directory").path())
        .filter(|p| p.to_string_lossy().ends_with(".bpf.o"))
        .collect();
    objs.sort();
    assert!(!objs.is_empty(), "no example objects in {}", dir.display());
    objs
}

/// The name of every example object (`minimal` for `examples/bpf/minimal.bpf.o`), sorted.
pub fn example_names() -> Vec<String> {
    example_objects()
        .iter()
        .map(|p| {
            let file = p.file_name().unwrap().to_string_lossy();
            file.trim_end_matches(".bpf.o").to_string()
        })
        .collect()
}

/// What skelgen writes for `object` (named after `file_name`, `tcpca.bpf.o` → `tcpca`)
/// with `options`: a skeleton, or the blob of `--emit blob`.
pub fn generate_bytes(object: &[u8], file_name: &str, options: &skelgen::Options) -> Vec<u8> {
    skelgen::generate(object, file_name, options).unwrap_or_else(|e| panic!("{file_name}: {e}"))
}

/// The skeleton of `object` generated with `options`, as text.
pub fn generate_with(object: &[u8], file_name: &str, options: &skelgen::Options) -> String {
    String::from_utf8(generate_bytes(object, file_name, options)).expect("skeletons are UTF-8")
}

/// The named types (`--type`) the consumers of example object `name` use: `events` sends
/// its `struct event` through buffers (examples/go/events/gen.go, examples/rust/build.rs).
pub fn example_types(name: &str) -> Vec<String> {
    match name {
        "events" => vec!["event".into(), "event_kind".into()],
        _ => Vec::new(),
    }
}

/// The `lang` skeleton of example object `name`, with its named types.
pub fn skeleton(name: &str, lang: skelgen::Lang) -> String {
    let options = skelgen::Options {
        types: example_types(name),
        ..skelgen::Options::for_lang(lang)
    };
    generate_with(&object(name), &format!("{name}.bpf.o"), &options)
}

/// Whether example object `name` has struct_ops maps, which the kernel-module skeleton
/// refuses.
pub fn has_struct_ops(name: &str) -> bool {
    let spec = skelgen::parse_object(&object(name), name).unwrap_or_else(|e| panic!("{name}: {e}"));
    spec.maps.iter().any(|m| m.struct_ops.is_some())
}
