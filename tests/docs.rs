//! Generated documentation is up to date with the code it is generated from.

use std::path::Path;

/// `docs/backends.md` matches `skelgen::backend::matrix`; `SKELGEN_BLESS=1` rewrites it.
#[test]
fn backend_matrix_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/backends.md");
    let want = skelgen::backend::matrix::markdown();
    if std::env::var_os("SKELGEN_BLESS").is_some() {
        std::fs::write(&path, &want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/backends.md is stale; regenerate it with `SKELGEN_BLESS=1 cargo test --test docs`"
    );
}
