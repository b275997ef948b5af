//! Hostile names: objects whose names are not identifiers, or try to break out of the
//! generated code. Each backend must rename them by its documented rule (docs/naming.md) or
//! refuse them with an error naming the thing; a raw hostile name never reaches the output.
//!
//! The objects are examples/bpf/hostile.bpf.o with names patched in place (same length), so
//! the ELF stays well formed and only the name is hostile.

use skelgen::{Lang, Options};
use std::path::Path;
use std::process::Command;

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

/// What a backend made of a hostile object: the output must not hold the raw name outside
/// a line comment, and an error must name it.
fn check(lang: Lang, data: &[u8], name: &str) {
    let options = Options::for_lang(lang);
    match skelgen::generate(data, "hostile.bpf.o", &options) {
        Ok(out) => {
            let text = String::from_utf8(out).expect("skeletons are UTF-8");
            // Inside a line comment a name without a newline is inert; anywhere else it is
            // code. (Names holding a newline can only appear once it is replaced.)
            // A name needing no escape may stand inside a string literal as it is; one with a
            // quote, backslash or newline may not stand anywhere but a line comment.
            let needs_escape = name.contains(['"', '\\', '\n']);
            let raw = text
                .lines()
                .filter(|l| needs_escape && l.contains(name))
                .find(|l| !l.trim_start().starts_with("//"));
            assert!(
                raw.is_none(),
                "{}: the raw name {name:?} reached the skeleton: {raw:?}",
                lang.as_str()
            );
            compiles(lang, &text, name);
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

/// The skeleton of a patched object compiles where a compiler is at hand: gcc for C, the Go
/// toolchain for Go (`go vet` in a scratch module). Rust and kernel-module output of the
/// unpatched object are compiled by their own tests.
fn compiles(lang: Lang, text: &str, name: &str) {
    let dir = std::env::temp_dir().join(format!("skelgen-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let status = match lang {
        Lang::C => {
            std::fs::write(dir.join("h.h"), text).unwrap();
            std::fs::write(
                dir.join("h.c"),
                "#include \"h.h\"\nint main(void) { return 0; }\n",
            )
            .unwrap();
            Command::new("gcc")
                .args([
                    "-std=c11",
                    "-Wall",
                    "-Wextra",
                    "-Werror",
                    "-pedantic",
                    "-fsyntax-only",
                ])
                .arg(dir.join("h.c"))
                .status()
        }
        Lang::Go => {
            std::fs::write(dir.join("go.mod"), "module hostile\n\ngo 1.21\n").unwrap();
            std::fs::write(dir.join("hostile_skel.go"), text).unwrap();
            Command::new("go")
                .arg("vet")
                .arg(".")
                .current_dir(&dir)
                .status()
        }
        Lang::Rust | Lang::Kernel => return,
    };
    match status {
        Ok(s) => assert!(
            s.success(),
            "{}: the skeleton with {name:?} does not compile",
            lang.as_str()
        ),
        Err(e) => eprintln!("hostile: not compiling the {} skeleton: {e}", lang.as_str()),
    }
}
