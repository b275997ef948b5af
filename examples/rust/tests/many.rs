//! many: the Rust skeleton of examples/bpf/many.bpf.o (52 programs, 80 maps), as
//! examples/c/many.c: the verifier log of a refused load, `attach()` undoing a partial
//! attach, every attach kind with a target, ring buffer and perf buffer reads, a syscall
//! program run and an iterator read, with no fd left behind.
//!
//! It runs in a new network namespace (its loopback takes the XDP and tcx programs) and
//! attaches the cgroup programs to a new, empty cgroup, so the host is not affected.

use skelgen_rust_examples::many::{Link, Many, OpenMany};
use skelgen_rust_examples::support::{isolated, open_fds, root, run_isolated, serial};
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

/// This thread's pid_tgid, as bpf_get_current_pid_tgid() gives it.
fn pid_tgid() -> u64 {
    // SAFETY: gettid has no preconditions.
    let tid = unsafe { libc::syscall(libc::SYS_gettid) } as u64;
    (u64::from(std::process::id()) << 32) | tid
}

/// read(2)s that tp_read reports into the ring buffer and the perf event array.
fn reads(n: usize) {
    let mut null = File::open("/dev/null").unwrap();
    let mut byte = [0u8; 1];
    for _ in 0..n {
        assert_eq!(null.read(&mut byte).unwrap(), 0);
    }
}

fn ring_buffer(skel: &Many) {
    let mut rb = skel.maps.rb.ringbuf().unwrap();
    let me = pid_tgid();
    reads(3);
    let mut mine = 0;
    for _ in 0..10 {
        rb.poll(Some(Duration::from_millis(100)), |data| {
            mine +=
                usize::from(data.len() == 8 && u64::from_ne_bytes(data.try_into().unwrap()) == me);
        })
        .unwrap();
        if mine >= 3 {
            break;
        }
    }
    assert!(mine >= 3, "{mine} of our records in the ring buffer");
    let err = skel.maps.events.ringbuf().unwrap_err();
    assert_eq!(err.errno(), libc::EINVAL, "{err}");
}

fn perf_buffer(skel: &Many) {
    let mut pb = skel.maps.events.perfbuf(8).unwrap();
    let me = pid_tgid();
    reads(3);
    let mut mine = 0;
    for _ in 0..10 {
        // Samples carry the raw data padded to 8 bytes after its u32 size: 12 here.
        pb.poll(Some(Duration::from_millis(100)), |_cpu, data| {
            mine += usize::from(
                data.len() >= 8 && u64::from_ne_bytes(data[..8].try_into().unwrap()) == me,
            );
        })
        .unwrap();
        if mine >= 3 {
            break;
        }
    }
    assert!(mine >= 3, "{mine} of our samples in the perf buffer");
    assert_eq!(pb.lost(), 0);
}

/// A software CPU-clock perf event of this process, for the perf_event program.
fn cpu_clock_event() -> OwnedFd {
    #[repr(C)]
    #[derive(Default)]
    struct PerfAttr {
        kind: u32,
        size: u32,
        config: u64,
        sample_period: u64,
        rest: [u64; 6],
    }
    let mut attr = PerfAttr {
        kind: 1, // PERF_TYPE_SOFTWARE; config 0: PERF_COUNT_SW_CPU_CLOCK
        size: std::mem::size_of::<PerfAttr>() as u32,
        sample_period: 1_000_000,
        ..Default::default()
    };
    // SAFETY: a complete perf_event_attr of the size it states.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_perf_event_open,
            &mut attr as *mut PerfAttr,
            0,
            -1,
            -1,
            8,
        )
    };
    assert!(
        fd >= 0,
        "perf_event_open: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: a new fd this process owns.
    unsafe { OwnedFd::from_raw_fd(fd as i32) }
}

/// Where cgroup v2 is mounted.
fn cgroup2_root() -> Option<String> {
    let mounts = std::fs::read_to_string("/proc/self/mounts").ok()?;
    mounts.lines().find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f.get(2) == Some(&"cgroup2")).then(|| f[1].to_string())
    })
}

/// Every attach kind that needs a target; returns the links.
fn attach_targets(skel: &Many, cgroup: &File, netns: &File) -> Vec<Link> {
    let perf = cpu_clock_event();
    let links = vec![
        skel.attach_tail_raw("sys_enter").unwrap(),
        skel.attach_xdp_to_dev(1, 0).unwrap(),
        skel.attach_tcx_in(1).unwrap(),
        skel.attach_tcx_out(1).unwrap(),
        skel.attach_cg_skb_in(cgroup).unwrap(),
        skel.attach_cg_sock_create(cgroup).unwrap(),
        skel.attach_cg_connect4(cgroup).unwrap(),
        skel.attach_cg_getsockopt(cgroup).unwrap(),
        skel.attach_cg_sysctl(cgroup).unwrap(),
        skel.attach_cg_dev(cgroup).unwrap(),
        skel.attach_sock_ops(cgroup).unwrap(),
        skel.attach_skb_parser(skel.maps.socks.fd()).unwrap(),
        skel.attach_skb_verdict(skel.maps.socks.fd()).unwrap(),
        skel.attach_msg_verdict(skel.maps.socks_hash.fd()).unwrap(),
        skel.attach_lookup(netns).unwrap(),
        skel.attach_dissect(netns).unwrap(),
        // The link keeps the perf event alive after `perf` is closed.
        skel.attach_on_perf_event(&perf).unwrap(),
    ];
    let twice = skel.attach_xdp_to_dev(1, 0).unwrap_err();
    assert_eq!(twice.errno(), libc::EBUSY, "{twice}");
    assert_eq!(twice.what(), "attach xdp_to_dev");
    links
}

/// A load the verifier refuses (the queue's values made larger than what the program
/// pushes), with a log: the failing step and the verifier's words come back.
fn verifier_log() {
    let mut open = OpenMany::open().unwrap();
    open.maps.fifo.value_size = 64;
    let err = open.load_with_log().unwrap_err();
    assert_eq!(err.errno(), libc::EINVAL, "{err}");
    assert_eq!(err.what(), "PROG_LOAD tp_write");
    let log = err.log().expect("the load kept its log");
    assert!(log.contains("invalid read from stack"), "{log}");
}

#[test]
fn every_attach_kind_buffers_and_no_fd_left() {
    if !root() {
        return;
    }
    let _serial = serial();
    // SAFETY: moves this thread (only) into a new network namespace.
    assert_eq!(
        unsafe { libc::unshare(libc::CLONE_NEWNET) },
        0,
        "{}",
        std::io::Error::last_os_error()
    );
    let root_dir = cgroup2_root().expect("a cgroup2 mount");
    let cgroup_dir = format!("{root_dir}/skelgen-rust-many-{}", std::process::id());
    std::fs::create_dir(&cgroup_dir).unwrap();
    let cgroup = File::open(&cgroup_dir).unwrap();
    // /proc/thread-self: the namespace of this thread, not the process's first one.
    let netns = File::open("/proc/thread-self/ns/net").unwrap();
    let before = open_fds();

    verifier_log();
    assert_eq!(open_fds(), before, "a failed load left fds open");

    let open = OpenMany::open().unwrap();
    // A perf event array compiled with max_entries 0 gets one entry per possible CPU.
    assert_eq!(
        open.maps.events.max_entries,
        skelgen_rust_examples::many::possible_cpus()
    );
    assert!(open.maps.events.max_entries > 0);
    let mut skel = open.load().unwrap();
    assert_eq!(
        skel.maps.events.max_entries(),
        skelgen_rust_examples::many::possible_cpus()
    );
    skel.attach().unwrap();
    let auto: Vec<&str> = skel.links.iter().map(|(name, _)| name).collect();
    assert_eq!(auto.len(), 14, "{auto:?}");
    ring_buffer(&skel);
    perf_buffer(&skel);
    let links = attach_targets(&skel, &cgroup, &netns);
    assert_eq!(links.len(), 17);
    assert_eq!(skel.run_run_syscall(&mut []).unwrap(), 0);
    let mut text = String::new();
    skel.iter_iter_tasks()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    assert!(!text.is_empty());
    drop(links);
    skel.detach();
    assert_eq!(skel.links.iter().count(), 0);
    drop(skel);
    assert_eq!(open_fds(), before, "fds leaked");
    drop(cgroup);
    std::fs::remove_dir(&cgroup_dir).unwrap();
    assert!(netns.as_raw_fd() > 0);
}

/// Run by `a_failed_attach_detaches_what_it_attached` with the tracepoint of tp_fork
/// hidden: `attach()` links six tracepoints, fails on the seventh, and must undo all.
#[test]
#[ignore = "run by a_failed_attach_detaches_what_it_attached, with a tracepoint hidden"]
fn failed_attach_inner() {
    assert!(
        isolated(),
        "run this through a_failed_attach_detaches_what_it_attached"
    );
    let mut skel = Many::open_and_load().unwrap();
    let before = open_fds();
    let err = skel.attach().unwrap_err();
    assert_eq!(err.what(), "attach tp_fork", "{err}");
    assert_eq!(err.errno(), libc::ENOENT, "{err}");
    assert_eq!(skel.links.iter().count(), 0);
    assert_eq!(open_fds(), before, "the failed attach left links open");
    // What was not hidden still attaches one by one.
    drop(skel.attach_tp_read().unwrap());
}

#[test]
fn a_failed_attach_detaches_what_it_attached() {
    if !root() {
        return;
    }
    let setup = "for t in /sys/kernel/tracing /sys/kernel/debug/tracing; do\n\
                 d=$t/events/sched/sched_process_fork\n\
                 if [ -d $d ]; then mount -t tmpfs none $d || exit 1; fi\n\
                 done";
    let _serial = serial();
    let Some((passed, text)) = run_isolated("failed_attach_inner", setup) else {
        return;
    };
    assert!(passed, "{text}");
}
