//! The floor under every skeleton's load: an object's plan performed from user space, call
//! by call, with the attrs the loader program passes (`skelgen::loader::replay`), so the
//! time is the kernel's own work for the object (BTF, maps, global data, programs verified
//! and JIT-ed) and nothing else. Also what the loader itself costs: its `BPF_PROG_LOAD`
//! (verification), the instructions the verifier walked, and its run time (`bpf_stats`).
//!
//!     cargo bench --bench floor -- RUNS EXAMPLE...     (as root)
//!
//! One tab-separated line per example: example, floor (median of RUNS replays, ns), loader
//! instructions, instructions the verifier processed for it, loader load (median ns),
//! loader run (mean ns over the RUNS runs, from bpf_stats), programs loaded, instructions
//! the verifier processed for them. An object the loader cannot load here, or one that
//! needs module BTF, gets a line saying so.

#[path = "../tests/support/mod.rs"]
mod support;

use skelgen::ir::ObjectSpec;
use skelgen::loader::replay::{replay, Made, Replay};
use skelgen::loader::{compile, ctx, Blob};
use std::time::Instant;
use support::loader::{
    bpf, close, default_ctx, get32, info, prog_fd, put64, run_loader_blob, run_loader_then, spec,
    BPF_MAP_CREATE, BPF_PROG_LOAD,
};

const BPF_ENABLE_STATS: u32 = 32;
/// `bpf_prog_info` offsets (linux/bpf.h).
const INFO_RUN_TIME_NS: usize = 192;
const INFO_RUN_CNT: usize = 200;
const INFO_VERIFIED_INSNS: usize = 216;

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let runs: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(50);
    // Keeps bpf_stats on for as long as the fd is open.
    let mut a = vec![0u8; 4];
    let stats = bpf(BPF_ENABLE_STATS, &mut a).ok();
    for name in args {
        match measure(&name, runs) {
            Ok(line) => println!("{name}\t{line}"),
            Err(why) => println!("{name}\t{why}"),
        }
    }
    if let Some(fd) = stats {
        close(fd as i32);
    }
}

fn median(mut v: Vec<u64>) -> u64 {
    v.sort_unstable();
    v[v.len() / 2]
}

/// One example's line, or why it has none.
fn measure(name: &str, runs: usize) -> Result<String, String> {
    let spec = spec(name);
    let blob = compile(&spec).map_err(|e| e.to_string())?;
    let r = replay(&spec).map_err(|e| e.to_string())?;
    let mut c = default_ctx(&spec, &blob);
    let (ret, after) = run_loader_blob(&blob, &mut c);
    if ret != 0 {
        let step = get32(&c, ctx::FAILED_STEP as usize);
        return Err(format!("refused by this kernel (step {step}, errno {ret})"));
    }
    close_all(&blob, &c);
    if r.module_slots
        .iter()
        .any(|&s| get32(&after, s as usize) != 0)
    {
        return Err("uses module BTF, which a replay cannot reproduce".into());
    }
    let autoload: Vec<bool> = (0..blob.plan.nr_progs)
        .map(|j| {
            get32(
                &c,
                ctx::prog_field(blob.plan.nr_maps, j, ctx::PROG_AUTOLOAD) as usize,
            ) != 0
        })
        .collect();
    let mut floor = Vec::with_capacity(runs);
    let mut prog_insns = 0;
    let mut loaded = 0;
    for _ in 0..runs {
        let mut buf = after.clone();
        let t = Instant::now();
        let fds = perform(&r, &mut buf, &autoload)?;
        floor.push(t.elapsed().as_nanos() as u64);
        (loaded, prog_insns) = (0, 0);
        for (made, fd) in fds {
            if let Made::Prog(_) = made {
                loaded += 1;
                prog_insns += get32(&info(fd), INFO_VERIFIED_INSNS);
            }
            close(fd);
        }
    }
    let loader = loader_costs(&spec, &blob, runs)?;
    Ok(format!(
        "{}\t{}\t{}\t{}\t{}\t{loaded}\t{prog_insns}",
        median(floor),
        blob.insn_count(),
        loader.verified,
        loader.load_ns,
        loader.run_ns,
    ))
}

/// The plan's calls on `buf` (a copy of the blob after a loader run): the fds made that
/// outlive the plan, as the loader hands them over.
fn perform(r: &Replay, buf: &mut [u8], autoload: &[bool]) -> Result<Vec<(Made, i32)>, String> {
    buf[..r.fd_region].fill(0);
    let base = buf.as_ptr() as u64;
    for &(field, target) in &r.pointers {
        put64(buf, field as usize, base + u64::from(target));
    }
    let mut fds = Vec::new();
    for call in &r.calls {
        if call.needs_prog.is_some_and(|p| !autoload[p]) {
            continue;
        }
        let attr = &mut buf[call.attr as usize..call.attr as usize + call.len];
        let fd =
            bpf(call.cmd as u32, attr).map_err(|e| format!("step {}: errno {e}", call.step))?;
        let Some(made) = call.makes else { continue };
        for &at in &r.fd_users[&made] {
            buf[at as usize..at as usize + 4].copy_from_slice(&(fd as u32).to_le_bytes());
        }
        fds.push((made, fd as i32));
        if let Made::Map(i) = made {
            // The outer map keeps its own copy of its prototype, as the loader has it.
            if let Some(k) = fds.iter().position(|&(m, _)| m == Made::Inner(i)) {
                close(fds.remove(k).1);
            }
        }
    }
    // The loader closes the object's BTF when it is done: maps and programs hold it.
    if let Some(k) = fds.iter().position(|&(m, _)| m == Made::Btf) {
        close(fds.remove(k).1);
    }
    Ok(fds)
}

/// Closes the fds a loader run handed over in the context.
fn close_all(blob: &Blob, c: &[u8]) {
    for i in 0..blob.plan.nr_maps as usize {
        close(support::loader::map_fd(blob, c, i));
    }
    for j in 0..blob.plan.nr_progs as usize {
        let fd = prog_fd(blob, c, j);
        if fd > 0 {
            close(fd);
        }
    }
}

struct LoaderCosts {
    verified: u32,
    load_ns: u64,
    run_ns: u64,
}

/// The loader's own costs: `BPF_PROG_LOAD` (median), the instructions the verifier
/// processed, and its mean run time from bpf_stats over `runs` runs.
fn loader_costs(spec: &ObjectSpec, blob: &Blob, runs: usize) -> Result<LoaderCosts, String> {
    let mut a = vec![0u8; 48];
    a[0] = 2; // BPF_MAP_TYPE_ARRAY, key 4 bytes, one value: the blob
    a[4] = 4;
    a[8..12].copy_from_slice(&(blob.data.len() as u32).to_le_bytes());
    a[12] = 1;
    let map_fd = bpf(BPF_MAP_CREATE, &mut a).map_err(|e| format!("loader map: errno {e}"))? as i32;
    let fd_array = [map_fd];
    let license = c"Dual BSD/GPL";
    let mut loads = Vec::with_capacity(runs);
    let mut verified = 0;
    for _ in 0..runs {
        let mut a = vec![0u8; 128];
        a[0] = 31; // BPF_PROG_TYPE_SYSCALL
        a[4..8].copy_from_slice(&(blob.insn_count() as u32).to_le_bytes());
        put64(&mut a, 8, blob.insns.as_ptr() as u64);
        put64(&mut a, 16, license.as_ptr() as u64);
        a[44..48].copy_from_slice(&skelgen::loader::compile::LOADER_PROG_FLAGS.to_le_bytes());
        put64(&mut a, 120, fd_array.as_ptr() as u64);
        let t = Instant::now();
        let fd = bpf(BPF_PROG_LOAD, &mut a).map_err(|e| format!("loader load: errno {e}"))?;
        loads.push(t.elapsed().as_nanos() as u64);
        verified = get32(&info(fd as i32), INFO_VERIFIED_INSNS);
        close(fd as i32);
    }
    close(map_fd);
    Ok(LoaderCosts {
        verified,
        load_ns: median(loads),
        run_ns: loader_run_ns(spec, blob, runs),
    })
}

/// Mean run time of the loader program over `runs` full loads, from bpf_stats (0 when the
/// kernel keeps none).
fn loader_run_ns(spec: &ObjectSpec, blob: &Blob, runs: usize) -> u64 {
    let mut total = 0;
    for _ in 0..runs {
        let mut c = default_ctx(spec, blob);
        let (ok, ns) = run_loader_then(blob, &mut c, |_, fd| {
            let i = info(fd);
            let (t, n) = (
                u64::from_le_bytes(
                    i[INFO_RUN_TIME_NS..INFO_RUN_TIME_NS + 8]
                        .try_into()
                        .unwrap(),
                ),
                u64::from_le_bytes(i[INFO_RUN_CNT..INFO_RUN_CNT + 8].try_into().unwrap()),
            );
            t.checked_div(n).unwrap_or(0)
        });
        if ok == 0 {
            close_all(blob, &c);
        }
        total += ns;
    }
    total / runs.max(1) as u64
}
