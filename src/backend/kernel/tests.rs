//! Unit tests of the kernel backend on the example objects.

use crate::Lang;
use std::path::Path;

fn header(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("examples/bpf/{name}.bpf.o"));
    let data = std::fs::read(path).unwrap();
    let options = crate::Options {
        lang: Some(Lang::Kernel),
        ..Default::default()
    };
    String::from_utf8(crate::generate(&data, &format!("{name}.bpf.o"), &options).unwrap()).unwrap()
}

#[test]
fn templates_parse() {
    super::tera().unwrap();
}

#[test]
fn first_comment_names_version_and_abi() {
    let h = header("minimal");
    let first = h.split("*/").next().unwrap();
    assert!(first.starts_with("/* SPDX-License-Identifier: "), "{first}");
    assert!(
        first.contains(&format!("skelgen {}", env!("CARGO_PKG_VERSION"))),
        "{first}"
    );
    assert!(first.contains("(loader ABI 1)"), "{first}");
}
