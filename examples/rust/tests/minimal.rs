//! minimal: the Rust skeleton of examples/bpf/minimal.bpf.o end to end, the scenarios of
//! examples/c/minimal.c: a refused knob reported by plan step with no fd left open; .rodata
//! knobs, a max_entries knob, load, attach, the hash map and .bss read back, .data written
//! through the live view, detach; a load with stdin closed.

use skelgen_rust_examples::minimal::{Minimal, OpenMinimal};
use skelgen_rust_examples::support::{open_fds, root, serial};
use std::os::fd::AsRawFd;

const CALLS: u64 = 5;

/// getpid(2), which the program counts (std calls the kernel every time).
fn trigger() {
    for _ in 0..CALLS {
        std::hint::black_box(std::process::id());
    }
}

#[test]
fn a_refused_knob_names_its_plan_step_and_leaves_no_fd() {
    if !root() {
        return;
    }
    let _serial = serial();
    let before = open_fds();
    let mut open = OpenMinimal::open().unwrap();
    // Global data loads only with its compiled size.
    open.maps.rodata.value_size = 7;
    // A map create writes no log: the error's must be empty, not the BTF load's.
    let err = open.load_with_log().unwrap_err();
    assert_eq!(err.errno(), libc::EINVAL, "{err}");
    assert_eq!(err.what(), "MAP_CREATE .rodata");
    assert!(err.plan_step().is_some_and(|s| s > 0), "{err:?}");
    assert_eq!(err.log(), Some(""));
    assert!(err.to_string().contains("MAP_CREATE .rodata"), "{err}");
    assert_eq!(
        std::io::Error::from(err).kind(),
        std::io::ErrorKind::InvalidInput
    );
    assert_eq!(open_fds(), before, "a failed load left fds open");
}

#[test]
fn globals_maps_and_links_round_trip() {
    if !root() {
        return;
    }
    let _serial = serial();
    let before = open_fds();
    let pid = std::process::id();
    let mut open = OpenMinimal::open().unwrap();
    // The initial values are visible before load.
    assert_eq!(open.data().initialised_int, 42);
    assert_eq!(&open.rodata().cfg.tag, b"skel\0\0");
    assert_eq!(open.data().init_sample.level(), 9);
    assert_eq!(open.data().init_sample.as_u64(), 0x1122_3344_5566_7788);
    open.rodata_mut().target_pid = pid;
    open.rodata_mut().count_step = 3;
    open.rodata_mut().cfg.verbose = 1;
    open.maps.counts.max_entries = 64;
    assert!(open.progs.handle_getpid.autoload);

    let mut skel = open.load().unwrap();
    assert_eq!(skel.maps.counts.max_entries(), 64);
    assert_eq!(
        skel.rodata().count_step,
        3,
        "the .rodata view shows the map"
    );
    skel.attach().unwrap();
    assert_eq!(
        skel.links.iter().map(|(name, _)| name).collect::<Vec<_>>(),
        ["handle_getpid"]
    );
    trigger();

    assert_eq!(skel.maps.counts.lookup::<u32, u64>(&pid).unwrap(), Some(15));
    assert_eq!(skel.maps.counts.lookup::<u32, u64>(&0).unwrap(), None);
    let keys: Vec<u32> = skel.maps.counts.keys().collect::<Result<_, _>>().unwrap();
    assert!(keys.contains(&pid), "{keys:?}");
    let wrong = skel.maps.counts.lookup::<u32, u32>(&pid).unwrap_err();
    assert_eq!(wrong.errno(), libc::EINVAL, "{wrong}");
    let bss = skel.bss();
    assert_eq!(bss.counter, CALLS);
    assert_eq!(bss.last_pid, pid);
    let sample = bss.last_sample;
    assert_eq!((sample.kind, sample.flags(), sample.level()), (2, 5, 9));
    assert_eq!(sample.lo(), pid);
    assert_eq!(sample.tail, 68);
    assert_eq!(skel.data().initialised_int, 47);
    assert_eq!(skel.data_custom().custom_val, 12);

    // .data is live in both directions: written here, the program sees it.
    skel.data_mut().initialised_int = 1000;
    skel.data_custom_mut().custom_val = 0;
    trigger();
    assert_eq!(skel.bss().last_sample.tail, 1019);
    assert_eq!(skel.bss().counter, 2 * CALLS);

    skel.detach();
    assert_eq!(skel.links.iter().count(), 0);
    trigger();
    assert_eq!(
        skel.bss().counter,
        2 * CALLS,
        "detached, the program must not run"
    );

    // A link the caller keeps: attached while it lives.
    let link = skel.attach_handle_getpid().unwrap();
    trigger();
    assert_eq!(skel.bss().counter, 3 * CALLS);
    drop(link);
    trigger();
    assert_eq!(skel.bss().counter, 3 * CALLS);
    drop(skel);
    assert_eq!(open_fds(), before, "the skeleton left fds open");
}

#[test]
fn the_bss_view_can_be_written_before_and_after_load() {
    if !root() {
        return;
    }
    let _serial = serial();
    let mut open = OpenMinimal::open().unwrap();
    open.bss_mut().counter = 100;
    open.bss_mut().last_sample.set_level(31);
    open.bss_mut().last_sample.set_hi(7);
    open.rodata_mut().target_pid = u32::MAX; // count no process
    let mut skel = open.load().unwrap();
    assert_eq!(skel.bss().counter, 100, "the initial .bss reached the map");
    assert_eq!(skel.bss().last_sample.level(), 31);
    assert_eq!(skel.bss().last_sample.hi(), 7);
    skel.bss_mut().counter = 7;
    let mut value = [0u8; 40];
    assert!(skel
        .maps
        .bss
        .lookup_bytes(&0u32.to_ne_bytes(), &mut value)
        .unwrap());
    assert_eq!(u64::from_ne_bytes(value[..8].try_into().unwrap()), 7);
}

/// With stdin closed, fd 0 must not end up holding a map: 0 means "no fd" to the loader.
/// Last in its binary's order of names; it leaves /dev/null as stdin.
#[test]
fn z_stdin_closed() {
    if !root() {
        return;
    }
    let _serial = serial();
    // SAFETY: closing stdin, which nothing in this test binary reads.
    unsafe { libc::close(0) };
    let skel = Minimal::open_and_load().unwrap();
    assert!(skel.maps.counts.fd().as_raw_fd() > 0);
    assert!(skel
        .progs
        .handle_getpid
        .fd()
        .is_some_and(|fd| fd.as_raw_fd() > 0));
}
