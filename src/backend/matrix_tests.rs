//! The matrix covers every attach kind and is enforced before rendering.

use super::*;

fn example(name: &str) -> ObjectSpec {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("examples/bpf/{name}.bpf.o"));
    crate::parse_object(&std::fs::read(path).unwrap(), name).unwrap()
}

#[test]
fn refused_features_are_refused_before_rendering() {
    let tcpca = example("tcpca");
    for lang in [Lang::C, Lang::Rust, Lang::Go] {
        check(lang, &tcpca, false).unwrap();
    }
    let err = check(Lang::Kernel, &tcpca, false).unwrap_err().to_string();
    assert!(
        err.starts_with(
            "struct_ops map tcpca (section .struct_ops): the kernel module skeleton \
                 refuses \"struct_ops maps"
        ),
        "{err}"
    );
    assert!(
        err.contains("C, Rust and Go support it (--lang c, --lang rust, --lang go)"),
        "{err}"
    );
    // Without its maps, the struct_ops programs are named.
    let mut progs_only = tcpca;
    progs_only.maps.retain(|m| m.struct_ops.is_none());
    let err = check(Lang::Kernel, &progs_only, false)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("struct_ops program "), "{err}");
    // A feature every language refuses names no language to turn to.
    let mut pinned = example("minimal");
    pinned.maps[0].pinning = Pinning::ByName;
    for lang in Lang::ALL {
        let err = check(lang, &pinned, false).unwrap_err().to_string();
        assert!(err.starts_with("map counts: the "), "{err}");
        assert!(
            err.contains(" skeleton refuses \"maps pinned by name"),
            "{err}"
        );
        assert!(err.ends_with("; no language supports it"), "{err}");
    }
    // What a language only leaves unattached is not refused.
    check(Lang::Kernel, &example("probes"), false).unwrap();
}

#[test]
fn every_attach_kind_has_a_row() {
    for kind in attach_rows() {
        let row = format!("attach: {kind}");
        assert!(FEATURES.iter().any(|f| f.name == row), "no row for {row}");
    }
}

#[test]
fn a_signed_loader_is_refused_by_the_kernel_skeleton_only_when_signed() {
    let minimal = example("minimal");
    check(Lang::Kernel, &minimal, false).unwrap();
    let err = check(Lang::Kernel, &minimal, true).unwrap_err().to_string();
    assert!(err.starts_with("object minimal (signed): "), "{err}");
    assert!(
        err.contains("kern_sys_bpf, which has no signed variant"),
        "{err}"
    );
}
