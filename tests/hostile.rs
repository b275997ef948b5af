//! Hostile names: objects whose names are not identifiers, or try to break out of the
//! generated code. Each backend must rename them by its documented rule (docs/naming.md) or
//! refuse them with an error naming the thing; a raw hostile name never reaches the output.
//!
//! The objects are examples/bpf/hostile.bpf.o with names patched in place (same length), so
//! the ELF stays well formed and only the name is hostile.

use skelgen::{Lang, Options};
use std::path::Path;

fn hostile_object() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bpf/hostile.bpf.o");
    std::fs::read(path).unwrap()
}

/// `data` with every NUL-terminated occurrence of `from` replaced by `to` (same length).
fn patched(data: &[u8], from: &str, to: &str) -> Vec<u8> {
    assert_eq!(from.len(), to.len(), "patches keep the length");
    let needle: Vec<u8> = [from.as_bytes(), b"\0"].concat();
    let mut out = data.to_vec();
    let mut hits = 0;
    let mut i = 0;
    while i + needle.len() <= out.len() {
        // Only whole strings: the byte before must end the previous string.
        if out[i..].starts_with(&needle) && (i == 0 || out[i - 1] == 0) {
            out[i..i + from.len()].copy_from_slice(to.as_bytes());
            hits += 1;
            i += needle.len();
        } else {
            i += 1;
        }
    }
    assert!(hits > 0, "{from:?} not found");
    out
}

/// Names that no target language may emit raw, each as long as the name it replaces.
const HOSTILE: &[(&str, &str)] = &[
    // a global variable (BTF VAR and ELF symbol)
    ("weird_counter", "w*/\"\n#}\\x{;ab"),
    ("weird_counter", "0starts_digit"),
    ("weird_counter", "has space_abc"),
    ("weird_counter", "caf\u{e9}_counter"),
    // a map
    ("chan", "c\"h}"),
    // a program
    ("func", "f*/x"),
    // a struct field
    ("interface", "in\"t*/#\\x"),
    // a type
    ("Self", "S\n{}"),
];

/// What a backend made of a hostile object: compiled output must not hold the raw name,
/// and an error must name it.
fn check(lang: Lang, data: &[u8], name: &str) {
    let options = Options::for_lang(lang);
    match skelgen::generate(data, "hostile.bpf.o", &options) {
        Ok(out) => {
            let text = String::from_utf8(out).expect("skeletons are UTF-8");
            assert!(
                !text.contains(name),
                "{}: the raw name {name:?} reached the skeleton",
                lang.as_str()
            );
        }
        Err(err) => {
            let msg = err.to_string();
            assert!(
                msg.contains("hostile.bpf.o") && msg.contains(&format!("{name:?}")),
                "{}: the error should name the object and the name {name:?}: {msg}",
                lang.as_str()
            );
        }
    }
}

#[test]
fn hostile_names_are_renamed_or_refused() {
    let base = hostile_object();
    for lang in available_langs() {
        for (from, to) in HOSTILE {
            check(lang, &patched(&base, from, to), to);
        }
    }
}

/// Languages whose backend renders the unpatched hostile example.
fn available_langs() -> Vec<Lang> {
    let base = hostile_object();
    Lang::ALL
        .into_iter()
        .filter(
            |&lang| match skelgen::generate(&base, "hostile.bpf.o", &Options::for_lang(lang)) {
                Ok(_) => true,
                Err(e) => {
                    eprintln!("hostile: skipping --lang {}: {e}", lang.as_str());
                    assert!(
                        e.to_string().contains("not available yet"),
                        "the hostile example itself must generate: {e}"
                    );
                    false
                }
            },
        )
        .collect()
}

/// Generation is refused or renamed the same way every time: a long name is kept whole.
#[test]
fn long_names_survive() {
    let data = hostile_object();
    let long = "a_very_long_variable_name_that_keeps_going_well_past_what_anyone_would_type_by_hand_for_sure";
    for lang in available_langs() {
        let out = skelgen::generate(&data, "hostile.bpf.o", &Options::for_lang(lang)).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.to_lowercase()
                .contains(&long.replace('_', "")[..40].to_lowercase())
                || text.contains(long),
            "{}: the long name should appear",
            lang.as_str()
        );
    }
}
