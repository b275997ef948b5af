//! iterators: BPF iterators through the Rust skeleton, as examples/c/iterators.c: both
//! iterators attached by `attach()`, each read through a new iterator fd, the .bss
//! counters read back.

use skelgen_rust_examples::iterators::OpenIterators;
use skelgen_rust_examples::support::{open_fds, root, serial};
use std::io::Read;

fn read_all(mut file: std::fs::File) -> String {
    let mut text = String::new();
    file.read_to_string(&mut text).unwrap();
    text
}

#[test]
fn iterators_list_maps_and_programs() {
    if !root() {
        return;
    }
    let _serial = serial();
    let before = open_fds();
    let open = OpenIterators::open().unwrap();
    assert_eq!(open.rodata().print_header, 1);
    let mut skel = open.load().unwrap();
    let err = skel.iter_dump_bpf_map().unwrap_err();
    assert_eq!(err.errno(), libc::ENOENT, "{err}");
    skel.attach().unwrap();

    let maps = read_all(skel.iter_dump_bpf_map().unwrap());
    println!("maps:\n{maps}");
    assert!(maps.lines().count() >= 3, "{maps}");
    assert!(
        maps.contains("iterator.bss"),
        "the listing misses its own .bss:\n{maps}"
    );
    let progs = read_all(skel.iter_dump_bpf_prog().unwrap());
    println!("progs:\n{progs}");
    assert!(progs.lines().count() >= 3, "{progs}");
    assert!(
        progs.contains("dump_bpf_prog"),
        "the listing misses itself:\n{progs}"
    );
    // A second read of the same link starts again.
    let again = read_all(
        skel.links
            .dump_bpf_map
            .as_ref()
            .unwrap()
            .open_iter()
            .unwrap(),
    );
    assert!(again.contains("iterator.bss"), "{again}");

    assert!(skel.bss().maps_listed >= 2);
    assert!(skel.bss().progs_listed >= 2);
    drop(skel);
    assert_eq!(open_fds(), before);
}
