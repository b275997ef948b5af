//! The loader's struct_ops descriptors on the running kernel: a map left out by
//! `autocreate` is not created while the programs it shares still load, and a map or
//! program whose descriptor the runtime did not fill (or filled with a type that is not a
//! struct_ops value) fails its own step, handing out and leaking nothing. The descriptors
//! are filled from the kernel's BTF as a runtime fills them. Needs root.

mod support;

use skelgen::ir::ObjectSpec;
use skelgen::loader::{compile, ctx, plan::Step};
use support::loader::*;
use support::root;

/// Closes every fd the loader handed back; returns how many maps it created.
fn close_all(spec: &ObjectSpec, blob: &skelgen::loader::Blob, c: &[u8]) -> usize {
    let mut created = 0;
    for i in 0..spec.maps.len() {
        let fd = map_fd(blob, c, i);
        if fd > 0 {
            created += 1;
            close(fd);
        }
    }
    for j in 0..spec.programs.len() {
        let fd = prog_fd(blob, c, j);
        if fd > 0 {
            close(fd);
        }
    }
    created
}

/// Runs tcpca's loader with one change to the context a runtime would fill, and checks it
/// fails at `step` with EINVAL (or `errnos`), handing out and leaking nothing.
fn struct_ops_refused(what: &str, change: impl Fn(&mut Vec<u8>), step: &Step, errnos: &[i32]) {
    let spec = spec("tcpca");
    let blob = compile(&spec).unwrap();
    let before = open_fds();
    let mut c = default_ctx(&spec, &blob);
    change(&mut c);
    let ret = run_loader(&blob, &mut c);
    assert!(errnos.contains(&-ret), "{what}: returned {ret}");
    let (failed, _) = step_of(&c);
    assert_eq!(
        &blob.plan.steps[failed as usize], step,
        "{what}: failed step"
    );
    assert_eq!(close_all(&spec, &blob, &c), 0, "{what}: fds handed out");
    assert_eq!(open_fds(), before, "{what}: fds left open");
    eprintln!("{what}: errno {} at step {failed}", -ret);
}

#[test]
fn a_struct_ops_map_left_out_is_not_created() {
    let _g = KERNEL.lock().unwrap_or_else(|e| e.into_inner());
    if !root() {
        return;
    }
    let spec = spec("tcpca");
    let blob = compile(&spec).unwrap();
    let plain = spec.map_index("tcpca").unwrap();
    let link = spec.map_index("tcpca_link").unwrap();

    // A map left out (autocreate 0, as on kernels without struct_ops links) gets no fd; the
    // programs it shares with the other map still load.
    let before = open_fds();
    let mut c = default_ctx(&spec, &blob);
    set_autocreate(&blob, &mut c, link, false);
    assert_eq!(run_loader(&blob, &mut c), 0, "{:?}", step_of(&c));
    assert_eq!(map_fd(&blob, &c, link), 0);
    let fd = map_fd(&blob, &c, plain);
    let size = get32(
        &c,
        ctx::map_field(plain as u32, ctx::MAP_VALUE_SIZE) as usize,
    );
    check_map(&spec.maps[plain], fd, size);
    let init = spec.program_index("tcpca_init").unwrap();
    assert!(prog_fd(&blob, &c, init) > 0);
    assert_eq!(close_all(&spec, &blob, &c), spec.maps.len() - 1);
    assert_eq!(open_fds(), before, "fds leaked");
}

#[test]
fn empty_struct_ops_descriptors_fail_their_own_step() {
    let _g = KERNEL.lock().unwrap_or_else(|e| e.into_inner());
    if !root() {
        return;
    }
    let spec = spec("tcpca");
    let blob = compile(&spec).unwrap();
    let plain = spec.map_index("tcpca").unwrap();
    let link = spec.map_index("tcpca_link").unwrap();
    let init = spec.program_index("tcpca_init").unwrap();
    let create = |map: usize| Step::CreateMap {
        map,
        name: spec.maps[map].name.clone(),
    };
    let field = |map: usize, f: u32| ctx::map_field(map as u32, f) as usize;
    struct_ops_refused(
        "no kernel value type (the runtime did not find the struct)",
        |c| put32(c, field(plain, ctx::MAP_BTF_VMLINUX_VALUE_TYPE_ID), 0),
        &create(plain),
        &[libc::EINVAL],
    );
    struct_ops_refused(
        "no value size",
        |c| put32(c, field(link, ctx::MAP_VALUE_SIZE), 0),
        &create(link),
        &[libc::EINVAL],
    );
    struct_ops_refused(
        "a value type that is no struct_ops type",
        |c| {
            let ty = get32(c, field(plain, ctx::MAP_BTF_VMLINUX_VALUE_TYPE_ID));
            put32(c, field(plain, ctx::MAP_BTF_VMLINUX_VALUE_TYPE_ID), ty + 1);
        },
        &create(plain),
        &[libc::EINVAL, libc::ENOTSUP, 524],
    );
    let counts = blob.plan.counts();
    let slot = blob
        .plan
        .struct_ops_progs
        .iter()
        .position(|&p| p == init)
        .unwrap() as u32;
    struct_ops_refused(
        "a program whose member the runtime did not find",
        |c| {
            let at = counts.struct_ops_prog_field(slot, ctx::STRUCT_OPS_ATTACH_BTF_ID);
            put32(c, at as usize, 0);
        },
        &load_step(&spec, init),
        &[libc::EINVAL],
    );
}
