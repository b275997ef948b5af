//! Drives one Rust skeleton through open, load, attach-all, a trigger and drop, and reports
//! where it stopped and what it left behind, for tests/rust_faults.rs to run under the fault
//! injector (tests/faults/inject.c):
//!
//! ```text
//! stage <open|load|attach|buffers|trigger|done> err <errno> step <what failed, or ->
//! error <the error as displayed>      when a stage failed
//! plan_step <n>                       when the loader program failed
//! links_left <n>                      links held after a failed attach-all (must be 0)
//! fds_leaked <n>                      /proc/self/fd, before the open and after the drop
//! maps_leaked <n>                     /proc/self/maps, likewise
//! kernel_progs_leaked <n>             the object's programs and the links to them the
//! kernel_links_leaked <n>             kernel still has after the drop, made during the
//!                                     run and held by no other process
//! kernel_left <kind> <id> <what>      each of them
//! kernel unavailable <why>            instead, when the kernel's lists cannot be read
//! ```
//!
//! `rust-faults-driver minimal|iterators|many [--refuse] [--memlock0] [--forget] [--log]`:
//! `--refuse` sets a `value_size` knob that the loader refuses (`.rodata` of another size),
//! `--memlock0` sets `RLIMIT_MEMLOCK` to 0 before the open, `--forget` leaks the skeleton
//! of a run that succeeded instead of dropping it (its buffers are dropped), to show that
//! the counts see it, and `--log` loads minimal with `load_with_log` (`log_len <n>`: the log
//! an error kept).
#![deny(warnings)]

mod kernel;

include!(concat!(env!("OUT_DIR"), "/minimal.skel.rs"));
include!(concat!(env!("OUT_DIR"), "/iterators.skel.rs"));
include!(concat!(env!("OUT_DIR"), "/many.skel.rs"));

use std::io::Read as _;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Where a run stopped, as the driver prints it.
struct Failure {
    stage: &'static str,
    errno: i32,
    what: String,
    text: String,
    plan_step: Option<u32>,
    links_left: Option<usize>,
}

/// A skeleton error (each module has its own type) as the `Failure` of `stage`.
macro_rules! failed {
    ($stage:expr, $err:expr) => {{
        let err = $err;
        Failure {
            stage: $stage,
            errno: err.errno(),
            what: err.what().to_string(),
            text: err.to_string(),
            plan_step: err.plan_step(),
            links_left: None,
        }
    }};
}

/// Attach-all; on failure, how many links the skeleton holds (none, if it undid its work).
macro_rules! attach_all {
    ($skel:expr) => {
        if let Err(err) = $skel.attach() {
            let mut failure = failed!("attach", err);
            failure.links_left = Some($skel.links.iter().count());
            return Err(failure);
        }
    };
}

impl Failure {
    /// A check of the driver's own that failed after every skeleton call succeeded.
    fn check(stage: &'static str, what: String) -> Self {
        Failure {
            stage,
            errno: libc::ENODATA,
            text: what.clone(),
            what,
            plan_step: None,
            links_left: None,
        }
    }
}

/// What the command line asked for.
#[derive(Clone, Copy)]
struct Flags {
    refuse: bool,
    memlock0: bool,
    forget: bool,
    log: bool,
}

/// A loaded skeleton, which `main` drops (or, with `--forget`, leaks).
type Skeleton = Box<dyn std::any::Any>;

/// minimal.bpf.o: its program counts this process's getpid() calls in a hash map.
fn minimal(flags: Flags) -> Result<Skeleton, Failure> {
    let mut open = minimal::OpenMinimal::open().map_err(|e| failed!("open", e))?;
    if flags.refuse {
        // Global data loads only with its compiled size: the loader refuses this map.
        open.maps.rodata.value_size += 1;
    }
    let loaded = if flags.log {
        open.load_with_log()
    } else {
        open.load()
    };
    let mut skel = loaded.map_err(|e| {
        if let Some(log) = e.log() {
            println!("log_len {}", log.len());
        }
        failed!("load", e)
    })?;
    attach_all!(skel);
    let pid = std::process::id();
    match skel.maps.counts.lookup::<u32, u64>(&pid) {
        Ok(Some(n)) if n > 0 => {}
        Ok(_) => {
            return Err(Failure::check(
                "trigger",
                format!("no getpid() of {pid} counted"),
            ))
        }
        Err(err) => return Err(failed!("trigger", err)),
    }
    Ok(Box::new(skel))
}

/// iterators.bpf.o: attach-all makes two iterator links; a read of one lists the programs.
fn iterators() -> Result<Skeleton, Failure> {
    let open = iterators::OpenIterators::open().map_err(|e| failed!("open", e))?;
    let mut skel = open.load().map_err(|e| failed!("load", e))?;
    attach_all!(skel);
    let mut text = String::new();
    skel.iter_dump_bpf_prog()
        .map_err(|e| failed!("trigger", e))?
        .read_to_string(&mut text)
        .map_err(|e| Failure::check("trigger", format!("read of the iterator: {e}")))?;
    if !text.contains(" dump_bpf_prog ") {
        return Err(Failure::check(
            "trigger",
            format!("the iterator missed itself: {text}"),
        ));
    }
    Ok(Box::new(skel))
}

/// many.bpf.o: attach-all makes its 14 links; a read(2) of this thread reaches the ring
/// buffer and the perf buffer through one of them.
fn many() -> Result<Skeleton, Failure> {
    let open = many::OpenMany::open().map_err(|e| failed!("open", e))?;
    let mut skel = open.load().map_err(|e| failed!("load", e))?;
    attach_all!(skel);
    let mut rb = skel.maps.rb.ringbuf().map_err(|e| failed!("buffers", e))?;
    let mut pb = skel
        .maps
        .events
        .perfbuf(4)
        .map_err(|e| failed!("buffers", e))?;
    // The main thread's bpf_get_current_pid_tgid().
    let pid = u64::from(std::process::id());
    let me = ((pid << 32) | pid).to_ne_bytes();
    let (mut in_rb, mut in_pb) = (false, false);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !(in_rb && in_pb) {
        if Instant::now() > deadline {
            let what = format!("no read(2) of {pid} seen: ring buffer {in_rb}, perf {in_pb}");
            return Err(Failure::check("trigger", what));
        }
        std::fs::read("/proc/self/stat")
            .map_err(|e| Failure::check("trigger", format!("read: {e}")))?;
        let tick = Some(Duration::from_millis(10));
        rb.poll(tick, |rec| in_rb |= rec == me)
            .map_err(|e| failed!("trigger", e))?;
        pb.poll(tick, |_, rec| in_pb |= rec.starts_with(&me))
            .map_err(|e| failed!("trigger", e))?;
    }
    drop((rb, pb));
    Ok(Box::new(skel))
}

fn count_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, Iterator::count)
}

fn count_mappings() -> usize {
    std::fs::read_to_string("/proc/self/maps").map_or(0, |t| t.lines().count())
}

fn set_memlock_zero() -> std::io::Result<()> {
    let zero = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `zero` is a valid rlimit for the call to read.
    if unsafe { libc::setrlimit(libc::RLIMIT_MEMLOCK, &zero) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

fn report(result: &Result<Skeleton, Failure>) {
    match result {
        Ok(_) => println!("stage done err 0 step -"),
        Err(f) => {
            println!("stage {} err {} step {}", f.stage, f.errno, f.what);
            println!("error {}", f.text);
            if let Some(step) = f.plan_step {
                println!("plan_step {step}");
            }
            if let Some(n) = f.links_left {
                println!("links_left {n}");
            }
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().any(|a| a == name);
    let flags = Flags {
        refuse: flag("--refuse"),
        memlock0: flag("--memlock0"),
        forget: flag("--forget"),
        log: flag("--log"),
    };
    let (object, names) = match args.first().map(String::as_str) {
        Some("minimal") => ("minimal", &kernel::MINIMAL),
        Some("iterators") => ("iterators", &kernel::ITERATORS),
        Some("many") => ("many", &kernel::MANY),
        _ => {
            eprintln!(
                "usage: rust-faults-driver minimal|iterators|many [--refuse] [--memlock0] [--forget] \
                 [--log=N]"
            );
            return ExitCode::from(2);
        }
    };
    // A thread run to its end first: what std does for it (futexes, its stack) is
    // neither counted by the injector nor left in the counts below.
    std::thread::spawn(std::process::id)
        .join()
        .expect("a thread");
    if flags.memlock0 {
        if let Err(err) = set_memlock_zero() {
            eprintln!("setrlimit(RLIMIT_MEMLOCK, 0): {err}");
            return ExitCode::from(1);
        }
        println!("memlock 0");
    }
    let census = kernel::Census::start(names);
    let (fds, mappings) = (count_fds(), count_mappings());
    let result = match object {
        "minimal" => minimal(flags),
        "iterators" => iterators(),
        _ => many(),
    };
    report(&result);
    match result {
        Ok(skel) if flags.forget => std::mem::forget(skel),
        result => drop(result),
    }
    println!("fds_leaked {}", count_fds() as i64 - fds as i64);
    println!("maps_leaked {}", count_mappings() as i64 - mappings as i64);
    match census.and_then(|c| c.leaked()) {
        Ok(left) => {
            let (progs, links) = left.counts();
            println!("kernel_progs_leaked {progs}");
            println!("kernel_links_leaked {links}");
            for line in left.lines() {
                println!("kernel_left {line}");
            }
        }
        Err(err) => println!("kernel unavailable {err}"),
    }
    ExitCode::SUCCESS
}
