//! Unit tests of the kernel backend on the example objects.

use crate::Lang;
use std::path::Path;

fn header(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("examples/bpf/{name}.bpf.o"));
    let data = std::fs::read(path).unwrap();
    let options = crate::Options {
        lang: vec![Lang::Kernel.into()],
        ..Default::default()
    };
    String::from_utf8(crate::generate(&data, &format!("{name}.bpf.o"), &options).unwrap()).unwrap()
}

#[test]
fn templates_parse() {
    super::templates().unwrap();
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
    let abi = crate::loader::plan::LOADER_ABI_VERSION;
    assert!(first.contains(&format!("(loader ABI {abi})")), "{first}");
}

/// The support matrix claims an attach kind for the kernel module exactly when the
/// kernel header generates a function for it.
#[test]
fn matrix_attach_rows_follow_the_generated_kinds() {
    use crate::backend::matrix::{Support, FEATURES};
    for f in FEATURES {
        let Some(kind) = f.name.strip_prefix("attach: ") else {
            continue;
        };
        let claimed = matches!(
            f.support.get(crate::Lang::Kernel),
            Support::Yes | Support::Partly(_)
        );
        assert_eq!(
            claimed,
            super::attach::KINDS.contains(&kind),
            "attach: {kind}"
        );
    }
}

/// Which programs of the examples get which kernel attach function.
#[test]
fn example_attach_functions() {
    let probes = header("probes");
    for f in [
        "probes__fentry_unlinkat__attach(",
        "probes__fexit_unlinkat__attach(",
        "probes__fmod_ret_file_open__attach(",
        "probes__lsm_file_open__attach(",
    ] {
        assert!(probes.contains(f), "{f}");
    }
    assert!(!probes.contains("probes__kprobe_unlinkat__attach"));
    assert!(!probes.contains("probes__uprobe_entry__attach"));
    let subprogs = header("subprogs");
    assert!(
        subprogs.contains("skelgen_raw_tp_open(skel->progs.on_sys_enter.prog_fd, \"sys_enter\")")
    );
    assert!(!subprogs.contains("subprogs__on_getppid__attach"));
    let iterators = header("iterators");
    assert!(iterators.contains("skelgen_link_create(skel->progs.dump_bpf_map.prog_fd, 0, 28, 0)"));
}

/// Every kernel header sets the KERNEL flag of the loader context and declares
/// kern_sys_bpf.
#[test]
fn kernel_flag_and_kern_sys_bpf() {
    let h = header("minimal");
    assert!(h.contains("skel->ctx.flags = SKELGEN_LOADER_KERNEL;"));
    assert!(h.contains(&format!(
        "#define SKELGEN_LOADER_KERNEL {}",
        crate::loader::ctx::FLAG_KERNEL
    )));
    assert!(h.contains("int kern_sys_bpf(int cmd, union bpf_attr *attr, unsigned int size);"));
}
