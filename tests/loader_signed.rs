//! The signed loader on the running kernel, loaded without a signature (the development
//! host's kernel cannot verify one): with its map exclusive, frozen and hashed it loads every
//! example as the unsigned loader does; a changed blob or an unhashed map fails step 0 with
//! EKEYREJECTED; the exclusive map refuses any other program; knobs that would change signed
//! data fail their step with EINVAL. Nothing stays open after any of it.
//!
//! Needs root and a kernel with exclusive maps and map hashes (6.18 or later); each test
//! says why it skips otherwise.

mod support;

use skelgen::loader::signed::EKEYREJECTED;
use skelgen::loader::{compile, compile_signed, ctx, Blob};
use support::loader::*;
use support::root;
use support::signed::{run_signed_loader, Setup};

/// Whether this kernel has exclusive maps and map hashes; says why not.
fn kernel_can() -> bool {
    if !root() {
        return false;
    }
    let blob = compile_signed(&spec("minimal")).unwrap();
    match support::signed::loader_map(&blob, Setup::RUNTIME) {
        Ok(fd) => {
            close(fd);
            true
        }
        Err((step, e)) => {
            eprintln!("skipped: {step} of an exclusive, hashed map fails with errno {e} (Linux 6.18 or later needed)");
            false
        }
    }
}

#[test]
fn every_example_loads_through_the_signed_loader() {
    let _g = KERNEL.lock().unwrap_or_else(|e| e.into_inner());
    if !kernel_can() {
        return;
    }
    for name in LOADABLE {
        let spec = spec(name);
        let blob = compile_signed(&spec).unwrap_or_else(|e| panic!("{name}: {e}"));
        let before = open_fds();
        let mut c = default_ctx(&spec, &blob);
        let ret = run_signed_loader(&blob, &mut c, Setup::RUNTIME);
        assert_eq!(ret, Ok(0), "{name}: step/error {:?}", step_of(&c));
        let loaded = check_and_close(&spec, &blob, &c);
        assert_eq!(open_fds(), before, "{name}: fds leaked");
        let unsigned = compile(&spec).unwrap();
        eprintln!(
            "{name}: {} loader insns signed, {} unsigned; {loaded} programs loaded",
            blob.insn_count(),
            unsigned.insn_count()
        );
    }
}

/// Runs `blob` prepared as `setup`; expects the run to fail at step 0 with EKEYREJECTED
/// and nothing to stay open.
fn refused_at_step_0(name: &str, blob: &Blob, c: &mut [u8], setup: Setup) {
    let before = open_fds();
    let before_progs = kernel_prog_names();
    assert_eq!(
        run_signed_loader(blob, c, setup),
        Ok(-EKEYREJECTED),
        "{name} {setup:?}"
    );
    assert_eq!(step_of(c), (0, -EKEYREJECTED), "{name} {setup:?}");
    assert_eq!(open_fds(), before, "{name}: fds leaked");
    assert_eq!(
        kernel_prog_names(),
        before_progs,
        "{name}: a program stayed loaded"
    );
}

#[test]
fn a_changed_blob_or_an_unhashed_map_is_refused_at_step_0() {
    let _g = KERNEL.lock().unwrap_or_else(|e| e.into_inner());
    if !kernel_can() {
        return;
    }
    for name in ["minimal", "many"] {
        let spec = spec(name);
        let blob = compile_signed(&spec).unwrap();
        let mut c = default_ctx(&spec, &blob);
        for at in [0, blob.data.len() / 2, blob.data.len() - 1] {
            let setup = Setup {
                tamper: Some(at),
                ..Setup::RUNTIME
            };
            refused_at_step_0(name, &blob, &mut c, setup);
        }
        let unhashed = Setup {
            hash: false,
            ..Setup::RUNTIME
        };
        refused_at_step_0(name, &blob, &mut c, unhashed);
    }
}

#[test]
fn the_exclusive_map_takes_no_other_program() {
    let _g = KERNEL.lock().unwrap_or_else(|e| e.into_inner());
    if !kernel_can() {
        return;
    }
    let spec = spec("minimal");
    let signed = compile_signed(&spec).unwrap();
    let before = open_fds();
    let map_fd = support::signed::loader_map(&signed, Setup::RUNTIME).unwrap();
    // The unsigned loader of the same object reads the same map, but hashes differently.
    let unsigned = compile(&spec).unwrap();
    let refused = load_loader(&unsigned, &[map_fd], None);
    close(map_fd);
    assert!(
        refused.is_err(),
        "a program other than the loader used its exclusive map"
    );
    eprintln!(
        "another program with the exclusive map: errno {:?}",
        refused.err()
    );
    assert_eq!(open_fds(), before);
}

/// Sets a knob of map `map` and expects the signed loader to fail that map's step with
/// EINVAL; the unsigned loader takes it when `unsigned_takes`.
fn knob_refused(name: &str, map: &str, field: u32, value: u64, unsigned_takes: bool) {
    let spec = spec(name);
    let i = spec.maps.iter().position(|m| m.name == map).expect(map);
    let image = vec![0u8; spec.maps[i].value_size as usize];
    let value = if field == ctx::MAP_INITIAL_VALUE {
        image.as_ptr() as u64
    } else {
        value
    };
    let unsigned = unsigned_takes.then(|| (false, compile(&spec)));
    for (signed, blob) in [(true, compile_signed(&spec))].into_iter().chain(unsigned) {
        let blob = blob.unwrap();
        let mut c = default_ctx(&spec, &blob);
        let at = ctx::map_field(i as u32, field) as usize;
        match field {
            ctx::MAP_INITIAL_VALUE => put64(&mut c, at, value),
            _ => put32(&mut c, at, value as u32),
        }
        let before = open_fds();
        let ret = run_signed_loader(&blob, &mut c, Setup::RUNTIME).unwrap();
        if !signed {
            assert_eq!(ret, 0, "{name} {map}: unsigned loader refused the knob");
            (0..spec.maps.len()).for_each(|i| close(map_fd(&blob, &c, i)));
            (0..spec.programs.len()).for_each(|j| close(prog_fd(&blob, &c, j)));
            assert_eq!(open_fds(), before, "{name}: fds leaked");
            continue;
        }
        let (step, err) = step_of(&c);
        assert_eq!((ret, err), (-22, -22), "{name} {map} field {field}");
        let line = blob
            .plan
            .describe(&spec)
            .into_iter()
            .find(|l| l.trim_start().starts_with(&format!("{step} ")))
            .unwrap_or_default();
        assert!(
            line.contains(map),
            "{name}: step {step} is not {map}'s: {line}"
        );
        assert_eq!(open_fds(), before, "{name}: fds leaked");
    }
}

#[test]
fn knobs_that_change_signed_data_are_refused() {
    let _g = KERNEL.lock().unwrap_or_else(|e| e.into_inner());
    if !kernel_can() {
        return;
    }
    knob_refused("minimal", ".rodata", ctx::MAP_INITIAL_VALUE, 0, true);
    knob_refused("minimal", ".bss", ctx::MAP_INITIAL_VALUE, 0, true);
    knob_refused("minimal", "counts", ctx::MAP_MAX_ENTRIES, 64, true);
    // The map's BTF value type fixes its size: the unsigned loader's kernel refuses it too.
    knob_refused("minimal", "counts", ctx::MAP_VALUE_SIZE, 16, false);
    knob_refused("minimal", ".data", ctx::MAP_VALUE_SIZE, 32, false);
}

#[test]
fn kconfig_values_and_per_cpu_sizes_still_come_from_the_target() {
    let _g = KERNEL.lock().unwrap_or_else(|e| e.into_inner());
    if !kernel_can() {
        return;
    }
    // ksyms' .kconfig: the runtime's values of the target kernel pass into the map.
    let ksyms = spec("ksyms");
    let (spec, many) = (ksyms, spec("many"));
    let blob = compile_signed(&spec).unwrap();
    let i = spec.maps.iter().position(|m| m.name == ".kconfig").unwrap();
    let mut image = vec![0u8; spec.maps[i].value_size as usize];
    image[..4].copy_from_slice(&250u32.to_le_bytes());
    let mut c = default_ctx(&spec, &blob);
    put64(
        &mut c,
        ctx::map_field(i as u32, ctx::MAP_INITIAL_VALUE) as usize,
        image.as_ptr() as u64,
    );
    let before = open_fds();
    assert_eq!(run_signed_loader(&blob, &mut c, Setup::RUNTIME), Ok(0));
    assert_eq!(lookup_value(map_fd(&blob, &c, i), image.len()), image);
    check_and_close(&spec, &blob, &c);
    // many's perf event array: max_entries 0 compiled, one per CPU from the context (the
    // default context sets it); check_and_close checks the kernel's map has that size.
    let blob = compile_signed(&many).unwrap();
    let mut c = default_ctx(&many, &blob);
    assert_eq!(run_signed_loader(&blob, &mut c, Setup::RUNTIME), Ok(0));
    check_and_close(&many, &blob, &c);
    assert_eq!(open_fds(), before, "fds leaked");
}
