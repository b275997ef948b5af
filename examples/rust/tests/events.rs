//! events: the Rust skeleton of examples/bpf/events.bpf.o, generated with `--type event
//! --type event_kind`: each getppid(2) of this process comes back from the kernel as a
//! `types::event` through the ring buffer and the perf event array, every field checked,
//! and a record shorter than the type asked for is an error.

use skelgen_rust_examples::events::types::{event, EVENT_PERF, EVENT_RINGBUF};
use skelgen_rust_examples::events::{Events, OpenEvents};
use skelgen_rust_examples::support::{root, serial};
use std::time::Duration;

/// How many getppid(2) calls `trigger` makes.
const CALLS: usize = 4;

fn loaded() -> Events {
    let mut open = OpenEvents::open().unwrap();
    open.rodata_mut().target_tgid = std::process::id();
    let mut skel = open.load().unwrap();
    skel.attach().unwrap();
    skel
}

/// Calls getppid(2) `n` times; returns this thread's id and name.
fn trigger(n: usize) -> (u32, String) {
    let comm = std::fs::read_to_string("/proc/thread-self/comm").unwrap();
    for _ in 0..n {
        // SAFETY: getppid has no preconditions.
        unsafe { libc::getppid() };
    }
    // SAFETY: gettid has no preconditions.
    let tid = unsafe { libc::syscall(libc::SYS_gettid) } as u32;
    (tid, comm.trim_end().to_string())
}

fn check(e: &event, (tid, comm): &(u32, String), seq: u64, kind: u32) {
    let end = e.comm.iter().position(|&c| c == 0).unwrap_or(e.comm.len());
    assert_eq!(
        (e.pid, e.tgid, e.seq, e.kind, e.flags, e.delta),
        (*tid, std::process::id(), seq, kind, 0x5a, -(seq as i32)),
        "event {seq}"
    );
    assert_eq!(
        String::from_utf8_lossy(&e.comm[..end]),
        comm.as_str(),
        "event {seq}"
    );
}

#[test]
fn ring_buffer_events() {
    if !root() {
        return;
    }
    let _serial = serial();
    let skel = loaded();
    let mut rb = skel.maps.rb.ringbuf().unwrap();
    let me = trigger(CALLS);
    let mut got = Vec::new();
    for _ in 0..20 {
        rb.poll_as(Some(Duration::from_millis(100)), |e: &event| got.push(*e))
            .unwrap();
        if got.len() >= CALLS {
            break;
        }
    }
    assert_eq!(got.len(), CALLS);
    for (i, e) in got.iter().enumerate() {
        check(e, &me, i as u64 + 1, EVENT_RINGBUF);
    }
}

#[test]
fn perf_buffer_events() {
    if !root() {
        return;
    }
    let _serial = serial();
    let skel = loaded();
    let mut pb = skel.maps.samples.perfbuf(8).unwrap();
    let me = trigger(CALLS);
    let mut got = Vec::new();
    for _ in 0..20 {
        pb.poll_as(Some(Duration::from_millis(100)), |_cpu, e: &event| {
            got.push(*e)
        })
        .unwrap();
        if got.len() >= CALLS {
            break;
        }
    }
    assert_eq!(got.len(), CALLS);
    for (i, e) in got.iter().enumerate() {
        check(e, &me, i as u64 + 1, EVENT_PERF);
    }
}

#[test]
fn a_short_record_is_an_error() {
    if !root() {
        return;
    }
    let _serial = serial();
    let skel = loaded();
    let mut rb = skel.maps.rb.ringbuf().unwrap();
    trigger(1);
    let mut called = false;
    let mut result = Ok(0);
    for _ in 0..20 {
        result = rb.poll_as(Some(Duration::from_millis(100)), |_: &[event; 2]| {
            called = true;
        });
        if result.is_err() {
            break;
        }
    }
    let err = result.unwrap_err();
    assert_eq!(err.errno(), libc::EBADMSG, "{err}");
    assert!(!called, "a 48-byte record was read as 96 bytes");
}
