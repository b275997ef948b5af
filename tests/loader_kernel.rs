//! Runs compiled loaders on the running kernel the way every runtime does: five `bpf()`
//! calls (create the loader map, write the blob, freeze it, load the loader, run it), then
//! checks what the kernel holds and that no fd leaked.
//!
//! Needs root (CAP_BPF and CAP_PERFMON); each test says why it skips otherwise.

use skelgen::ir::{MapSpec, ObjectSpec};
use skelgen::loader::{compile, ctx, insn, plan::Step, Blob};
use skelgen::uapi::MapType;
use std::sync::Mutex;

/// Kernel tests count the process's open fds, so they run one at a time.
static KERNEL: Mutex<()> = Mutex::new(());

const BPF_MAP_CREATE: u32 = 0;
const BPF_MAP_LOOKUP_ELEM: u32 = 1;
const BPF_MAP_UPDATE_ELEM: u32 = 2;
const BPF_PROG_LOAD: u32 = 5;
const BPF_OBJ_GET_INFO_BY_FD: u32 = 15;
const BPF_PROG_TEST_RUN: u32 = 10;
const BPF_MAP_FREEZE: u32 = 22;

/// Objects that load on a 6.18 host; probes needs kprobes and trampolines.
const LOADABLE: &[&str] = &[
    "minimal",
    "subprogs",
    "core",
    "ksyms",
    "mapinmap",
    "iterators",
    "net",
    "many",
];

fn root() -> bool {
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    if euid != 0 {
        eprintln!("skipping: loading BPF programs needs root (euid {euid})");
    }
    euid == 0
}

fn bpf(cmd: u32, attr: &mut [u8]) -> Result<i64, i32> {
    // SAFETY: attr is a live, writable buffer of the length passed; every pointer inside it
    // was taken from a buffer the caller keeps alive for the call.
    let r = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            cmd as libc::c_long,
            attr.as_mut_ptr(),
            attr.len(),
        )
    };
    if r < 0 {
        Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    } else {
        Ok(r)
    }
}

fn put32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}
fn put64(b: &mut [u8], off: usize, v: u64) {
    b[off..off + 8].copy_from_slice(&v.to_le_bytes());
}
fn get32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(b[off..off + 4].try_into().unwrap())
}

fn close(fd: i32) {
    // SAFETY: closing an fd this test owns.
    unsafe { libc::close(fd) };
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn possible_cpus() -> u32 {
    let text = std::fs::read_to_string("/sys/devices/system/cpu/possible").unwrap();
    text.trim()
        .split(',')
        .map(|r| match r.split_once('-') {
            Some((a, b)) => b.parse::<u32>().unwrap() - a.parse::<u32>().unwrap() + 1,
            None => 1,
        })
        .sum()
}

fn spec(name: &str) -> ObjectSpec {
    let path = format!("{}/examples/bpf/{name}.bpf.o", env!("CARGO_MANIFEST_DIR"));
    let data = std::fs::read(&path).unwrap();
    skelgen::parse_object(&data, name).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A context with the defaults a skeleton fills at open time.
fn default_ctx(spec: &ObjectSpec, blob: &Blob) -> Vec<u8> {
    let (nm, np) = (blob.plan.nr_maps, blob.plan.nr_progs);
    let mut c = vec![0u8; blob.ctx_size as usize];
    put32(&mut c, ctx::SZ as usize, blob.ctx_size);
    put32(&mut c, ctx::ABI_VERSION as usize, blob.plan.abi_version);
    put32(&mut c, ctx::NR_MAPS as usize, nm);
    put32(&mut c, ctx::NR_PROGS as usize, np);
    for (i, m) in spec.maps.iter().enumerate() {
        if m.map_type == MapType::PerfEventArray && m.max_entries == 0 {
            put32(
                &mut c,
                ctx::map_field(i as u32, ctx::MAP_MAX_ENTRIES) as usize,
                possible_cpus(),
            );
        }
    }
    for (j, p) in spec.programs.iter().enumerate() {
        put32(
            &mut c,
            ctx::prog_field(nm, j as u32, ctx::PROG_AUTOLOAD) as usize,
            p.autoload as u32,
        );
    }
    c
}

/// The runtime's five syscalls. Returns the loader's return value.
fn run_loader(blob: &Blob, ctx_buf: &mut [u8]) -> i32 {
    let mut a = vec![0u8; 48];
    put32(&mut a, 0, 2); // BPF_MAP_TYPE_ARRAY
    put32(&mut a, 4, 4);
    put32(&mut a, 8, blob.data.len() as u32);
    put32(&mut a, 12, 1);
    a[28..40].copy_from_slice(b"__loader.map");
    let map_fd = bpf(BPF_MAP_CREATE, &mut a).expect("create loader map") as i32;

    let key = 0u32.to_le_bytes();
    let mut a = vec![0u8; 32];
    put32(&mut a, 0, map_fd as u32);
    put64(&mut a, 8, key.as_ptr() as u64);
    put64(&mut a, 16, blob.data.as_ptr() as u64);
    bpf(BPF_MAP_UPDATE_ELEM, &mut a).expect("write the blob");
    let mut a = vec![0u8; 4];
    put32(&mut a, 0, map_fd as u32);
    bpf(BPF_MAP_FREEZE, &mut a).expect("freeze the blob");

    let license = c"Dual BSD/GPL";
    let fd_array = [map_fd];
    let mut log = vec![0u8; 1 << 20];
    let mut a = vec![0u8; 128];
    put32(&mut a, 0, 31); // BPF_PROG_TYPE_SYSCALL
    put32(&mut a, 4, blob.insn_count() as u32);
    put64(&mut a, 8, blob.insns.as_ptr() as u64);
    put64(&mut a, 16, license.as_ptr() as u64);
    put32(&mut a, 24, 1);
    put32(&mut a, 28, log.len() as u32);
    put64(&mut a, 32, log.as_mut_ptr() as u64);
    put32(&mut a, 44, skelgen::loader::compile::LOADER_PROG_FLAGS);
    a[48..61].copy_from_slice(b"__loader.prog");
    put64(&mut a, 120, fd_array.as_ptr() as u64);
    let prog_fd = match bpf(BPF_PROG_LOAD, &mut a) {
        Ok(fd) => fd as i32,
        Err(e) => {
            let end = log.iter().position(|b| *b == 0).unwrap_or(log.len());
            let text = String::from_utf8_lossy(&log[..end]);
            let tail: String = text
                .lines()
                .rev()
                .take(40)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n");
            panic!(
                "loader refused by the verifier (errno {e}):\n{tail}\n\n{}",
                blob.listing()
            );
        }
    };

    let mut a = vec![0u8; 80];
    put32(&mut a, 0, prog_fd as u32);
    put32(&mut a, 40, ctx_buf.len() as u32);
    put64(&mut a, 48, ctx_buf.as_mut_ptr() as u64);
    bpf(BPF_PROG_TEST_RUN, &mut a).expect("run the loader");
    close(prog_fd);
    close(map_fd);
    get32(&a, 4) as i32
}

fn info(fd: i32) -> Vec<u8> {
    let mut buf = vec![0u8; 256];
    let mut a = vec![0u8; 16];
    put32(&mut a, 0, fd as u32);
    put32(&mut a, 4, buf.len() as u32);
    put64(&mut a, 8, buf.as_mut_ptr() as u64);
    bpf(BPF_OBJ_GET_INFO_BY_FD, &mut a).unwrap_or_else(|e| panic!("info of fd {fd}: errno {e}"));
    buf
}

fn check_map(m: &MapSpec, fd: i32) {
    let i = info(fd);
    assert_eq!(get32(&i, 0), m.map_type.raw(), "{}: type", m.name);
    assert_eq!(get32(&i, 8), m.key_size, "{}: key_size", m.name);
    assert_eq!(get32(&i, 12), m.value_size, "{}: value_size", m.name);
    let want = if m.map_type == MapType::PerfEventArray && m.max_entries == 0 {
        possible_cpus()
    } else {
        m.max_entries
    };
    assert_eq!(get32(&i, 16), want, "{}: max_entries", m.name);
}

/// Checks and closes every fd the loader handed back; returns the number of programs loaded.
fn check_and_close(spec: &ObjectSpec, blob: &Blob, c: &[u8]) -> usize {
    let nm = blob.plan.nr_maps;
    for (i, m) in spec.maps.iter().enumerate() {
        let fd = get32(c, ctx::map_field(i as u32, ctx::MAP_FD) as usize) as i32;
        assert!(fd > 0, "{}: map {} has no fd", spec.name, m.name);
        check_map(m, fd);
        close(fd);
    }
    let mut loaded = 0;
    for (j, p) in spec.programs.iter().enumerate() {
        let fd = get32(c, ctx::prog_field(nm, j as u32, ctx::PROG_FD) as usize) as i32;
        if fd == 0 {
            continue;
        }
        let i = info(fd);
        assert_eq!(get32(&i, 0), p.prog_type.raw(), "{}: type", p.name);
        assert!(get32(&i, 20) / 8 > 0, "{}: no xlated instructions", p.name);
        loaded += 1;
        close(fd);
    }
    loaded
}

fn step_of(c: &[u8]) -> (u32, i32) {
    (
        get32(c, ctx::FAILED_STEP as usize),
        get32(c, ctx::ERROR as usize) as i32,
    )
}

#[test]
fn every_example_loads_and_nothing_leaks() {
    let _g = KERNEL.lock().unwrap_or_else(|e| e.into_inner());
    if !root() {
        return;
    }
    let mut failed = Vec::new();
    for name in LOADABLE {
        let spec = spec(name);
        let blob = compile(&spec).unwrap_or_else(|e| panic!("{name}: {e}"));
        let before = open_fds();
        let mut c = default_ctx(&spec, &blob);
        let ret = run_loader(&blob, &mut c);
        if ret != 0 {
            let (step, err) = step_of(&c);
            let what = blob
                .plan
                .describe(&spec)
                .into_iter()
                .find(|l| l.trim_start().starts_with(&format!("{step} ")))
                .unwrap_or_default();
            failed.push(format!(
                "{name}: loader returned {ret} (error {err}) at step {step}: {what}"
            ));
            assert_eq!(open_fds(), before, "{name}: fds leaked after a failed load");
            continue;
        }
        let loaded = check_and_close(&spec, &blob, &c);
        assert_eq!(open_fds(), before, "{name}: fds leaked");
        eprintln!(
            "{name}: {} loader insns, {} blob bytes, {} maps, {loaded}/{} programs loaded",
            blob.insn_count(),
            blob.data.len(),
            spec.maps.len(),
            spec.programs.len()
        );
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[test]
fn impossible_value_size_fails_at_its_step_without_leaks() {
    let _g = KERNEL.lock().unwrap_or_else(|e| e.into_inner());
    if !root() {
        return;
    }
    let spec = spec("many");
    let blob = compile(&spec).unwrap();
    // A map late in the object, so earlier maps (and the BTF) were created and must be closed.
    let victim = spec
        .maps
        .iter()
        .rposition(|m| m.data.is_none() && m.inner.is_none() && m.map_type == MapType::Hash)
        .unwrap();
    let before = open_fds();
    let mut c = default_ctx(&spec, &blob);
    put32(
        &mut c,
        ctx::map_field(victim as u32, ctx::MAP_VALUE_SIZE) as usize,
        0x7fff_ffff,
    );
    let ret = run_loader(&blob, &mut c);
    assert!(ret < 0, "loader returned {ret}");
    let (step, err) = step_of(&c);
    assert_eq!(err, ret);
    assert_eq!(
        blob.plan.steps[step as usize],
        Step::CreateMap {
            map: victim,
            name: spec.maps[victim].name.clone()
        }
    );
    for i in 0..spec.maps.len() {
        assert_eq!(
            get32(&c, ctx::map_field(i as u32, ctx::MAP_FD) as usize),
            0,
            "no fd handed out on failure"
        );
    }
    assert_eq!(open_fds(), before, "fds leaked");
}

#[test]
fn autoload_off_skips_one_program() {
    let _g = KERNEL.lock().unwrap_or_else(|e| e.into_inner());
    if !root() {
        return;
    }
    let spec = spec("mapinmap");
    let blob = compile(&spec).unwrap();
    let before = open_fds();
    let mut c = default_ctx(&spec, &blob);
    // The tail-call target fills a program-array slot: that step must be skipped too.
    let off = spec
        .program_index("tail_target")
        .unwrap_or(spec.programs.len() - 1);
    put32(
        &mut c,
        ctx::prog_field(blob.plan.nr_maps, off as u32, ctx::PROG_AUTOLOAD) as usize,
        0,
    );
    assert_eq!(run_loader(&blob, &mut c), 0);
    assert_eq!(
        get32(
            &c,
            ctx::prog_field(blob.plan.nr_maps, off as u32, ctx::PROG_FD) as usize
        ),
        0
    );
    let loaded = check_and_close(&spec, &blob, &c);
    assert_eq!(
        loaded,
        spec.programs.iter().filter(|p| p.autoload).count() - 1
    );
    assert_eq!(open_fds(), before, "fds leaked");
}

#[test]
fn initial_value_knob_replaces_rodata() {
    let _g = KERNEL.lock().unwrap_or_else(|e| e.into_inner());
    if !root() {
        return;
    }
    let spec = spec("minimal");
    let blob = compile(&spec).unwrap();
    let ro = spec
        .maps
        .iter()
        .position(|m| m.name == ".rodata")
        .expect(".rodata");
    let mut image = vec![0u8; spec.maps[ro].value_size as usize];
    for (k, b) in image.iter_mut().enumerate() {
        *b = k as u8 ^ 0x5a;
    }
    let before = open_fds();
    let mut c = default_ctx(&spec, &blob);
    put64(
        &mut c,
        ctx::map_field(ro as u32, ctx::MAP_INITIAL_VALUE) as usize,
        image.as_ptr() as u64,
    );
    assert_eq!(run_loader(&blob, &mut c), 0);
    let fd = get32(&c, ctx::map_field(ro as u32, ctx::MAP_FD) as usize);
    let (key, mut got) = (0u32.to_le_bytes(), vec![0u8; image.len()]);
    let mut a = vec![0u8; 32];
    put32(&mut a, 0, fd);
    put64(&mut a, 8, key.as_ptr() as u64);
    put64(&mut a, 16, got.as_mut_ptr() as u64);
    bpf(BPF_MAP_LOOKUP_ELEM, &mut a).unwrap();
    assert_eq!(got, image);
    check_and_close(&spec, &blob, &c);
    assert_eq!(open_fds(), before, "fds leaked");
}

#[test]
fn verifier_log_reaches_the_caller() {
    let _g = KERNEL.lock().unwrap_or_else(|e| e.into_inner());
    if !root() {
        return;
    }
    let mut spec = spec("minimal");
    let p = &mut spec.programs[0];
    // r0 = 0; r0 = *(u64 *)(r0 + 0); exit: a load through a scalar.
    p.insns = vec![
        insn::mov64_imm(insn::Reg::R0, 0),
        insn::ldx_mem(insn::Size::DW, insn::Reg::R0, insn::Reg::R0, 0),
        insn::exit(),
    ];
    p.relocations.clear();
    p.func_info.clear();
    p.line_info.clear();
    p.core_relos.clear();
    let blob = compile(&spec).unwrap();
    let before = open_fds();
    let mut log = vec![0u8; 4 << 20];
    let mut c = default_ctx(&spec, &blob);
    put32(&mut c, ctx::LOG_LEVEL as usize, 1);
    put32(&mut c, ctx::LOG_SIZE as usize, log.len() as u32);
    put64(&mut c, ctx::LOG_BUF as usize, log.as_mut_ptr() as u64);
    let ret = run_loader(&blob, &mut c);
    assert_eq!(ret, -libc::EACCES);
    let (step, _) = step_of(&c);
    assert!(matches!(
        blob.plan.steps[step as usize],
        Step::LoadProgram { prog: 0, .. }
    ));
    let end = log.iter().position(|b| *b == 0).unwrap_or(log.len());
    let text = String::from_utf8_lossy(&log[..end]);
    assert!(text.contains("invalid mem access"), "log: {text}");
    assert_eq!(open_fds(), before, "fds leaked");
}

#[test]
fn ksymvar_loads_or_fails_cleanly() {
    let _g = KERNEL.lock().unwrap_or_else(|e| e.into_inner());
    if !root() {
        return;
    }
    // bpf_prog_active resolves through kallsyms, which lists variables only with
    // CONFIG_KALLSYMS_ALL: either outcome is right, a leak or a wrong step is not.
    let spec = spec("ksymvar");
    let blob = compile(&spec).unwrap();
    let before = open_fds();
    let mut c = default_ctx(&spec, &blob);
    let ret = run_loader(&blob, &mut c);
    if ret == 0 {
        check_and_close(&spec, &blob, &c);
        eprintln!("ksymvar: loaded");
    } else {
        let (step, err) = step_of(&c);
        assert_eq!(err, ret);
        assert!(
            matches!(blob.plan.steps[step as usize], Step::LoadProgram { .. }),
            "step {step}"
        );
        eprintln!(
            "ksymvar: refused with {ret} at step {step}, as expected without CONFIG_KALLSYMS_ALL"
        );
    }
    assert_eq!(open_fds(), before, "fds leaked");
}
