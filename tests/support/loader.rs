//! What the kernel tests of the loader share: the runtime's five syscalls written out with
//! raw `bpf()` calls, the context a skeleton fills at open time, and checks of what the
//! kernel holds afterwards. Needs root (CAP_BPF and CAP_PERFMON).

use skelgen::btf::{Btf, BtfKind};
use skelgen::ir::{MapSpec, ObjectSpec};
use skelgen::loader::plan::Step;
use skelgen::loader::{ctx, Blob};
use skelgen::uapi::MapType;
use std::sync::{Mutex, OnceLock};

/// Kernel tests count the process's open fds, so they run one at a time.
pub static KERNEL: Mutex<()> = Mutex::new(());

pub const BPF_MAP_CREATE: u32 = 0;
pub const BPF_MAP_LOOKUP_ELEM: u32 = 1;
pub const BPF_MAP_UPDATE_ELEM: u32 = 2;
pub const BPF_PROG_LOAD: u32 = 5;
pub const BPF_PROG_TEST_RUN: u32 = 10;
pub const BPF_PROG_GET_NEXT_ID: u32 = 11;
pub const BPF_PROG_GET_FD_BY_ID: u32 = 13;
pub const BPF_OBJ_GET_INFO_BY_FD: u32 = 15;
pub const BPF_MAP_FREEZE: u32 = 22;

/// Objects that load on a 6.18 host; probes needs kprobes and trampolines.
pub const LOADABLE: &[&str] = &[
    "minimal",
    "subprogs",
    "core",
    "ksyms",
    "mapinmap",
    "iterators",
    "net",
    "many",
    "tcpca",
];

/// The value of key 0 of map `fd`, `len` bytes.
pub fn lookup_value(fd: i32, len: usize) -> Vec<u8> {
    let (key, mut value) = (0u32.to_le_bytes(), vec![0u8; len]);
    let mut a = vec![0u8; 32];
    put32(&mut a, 0, fd as u32);
    put64(&mut a, 8, key.as_ptr() as u64);
    put64(&mut a, 16, value.as_mut_ptr() as u64);
    bpf(BPF_MAP_LOOKUP_ELEM, &mut a).unwrap_or_else(|e| panic!("lookup in map fd {fd}: errno {e}"));
    value
}

/// `bpf(cmd, attr, sizeof attr)`: the result, or the errno.
pub fn bpf(cmd: u32, attr: &mut [u8]) -> Result<i64, i32> {
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

pub fn put32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}
pub fn put64(b: &mut [u8], off: usize, v: u64) {
    b[off..off + 8].copy_from_slice(&v.to_le_bytes());
}
pub fn get32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(b[off..off + 4].try_into().unwrap())
}

pub fn close(fd: i32) {
    // SAFETY: closing an fd this test owns.
    unsafe { libc::close(fd) };
}

pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// The number of possible CPUs, as the runtimes read it.
pub fn possible_cpus() -> u32 {
    let text = std::fs::read_to_string("/sys/devices/system/cpu/possible").unwrap();
    text.trim()
        .split(',')
        .map(|r| match r.split_once('-') {
            Some((a, b)) => b.parse::<u32>().unwrap() - a.parse::<u32>().unwrap() + 1,
            None => 1,
        })
        .sum()
}

pub fn example_path(name: &str) -> String {
    super::examples::object_path(name).display().to_string()
}

pub fn spec(name: &str) -> ObjectSpec {
    let data = super::examples::object(name);
    skelgen::parse_object(&data, name).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A context with the defaults a skeleton fills at open time.
pub fn default_ctx(spec: &ObjectSpec, blob: &Blob) -> Vec<u8> {
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
    fill_struct_ops(spec, blob, &mut c);
    c
}

/// The running kernel's BTF, read once.
fn vmlinux() -> &'static Btf {
    static BTF: OnceLock<Btf> = OnceLock::new();
    BTF.get_or_init(|| {
        let data = std::fs::read("/sys/kernel/btf/vmlinux").expect("/sys/kernel/btf/vmlinux");
        Btf::parse(&data).expect("the kernel's BTF parses")
    })
}

/// Sets `autocreate` of struct_ops map `map`.
pub fn set_autocreate(blob: &Blob, c: &mut [u8], map: usize, on: bool) {
    let k = blob
        .plan
        .struct_ops_map_slot(map)
        .expect("a struct_ops map");
    let at = blob
        .plan
        .counts()
        .struct_ops_map_field(k, ctx::STRUCT_OPS_AUTOCREATE);
    put32(c, at as usize, u32::from(on));
}

/// What a runtime does before the loader runs: `autocreate` as compiled, and for every map
/// to create the kernel's value type and size, and each program's struct and member index,
/// matched to the kernel's struct by member name.
pub fn fill_struct_ops(spec: &ObjectSpec, blob: &Blob, c: &mut [u8]) {
    let (plan, counts) = (&blob.plan, blob.plan.counts());
    for &i in &plan.struct_ops_maps {
        let s = spec.maps[i].struct_ops.as_ref().expect("a struct_ops map");
        set_autocreate(blob, c, i, s.autocreate);
        if !s.autocreate {
            continue;
        }
        let btf = vmlinux();
        let ty = btf.find_by_name_kind(&s.type_name, BtfKind::Struct);
        let value =
            btf.find_by_name_kind(&format!("bpf_struct_ops_{}", s.type_name), BtfKind::Struct);
        let (Some(ty), Some(value)) = (ty, value) else {
            panic!("the kernel has no struct_ops type {}", s.type_name);
        };
        let size = btf.resolve_size(value).unwrap();
        put32(
            c,
            ctx::map_field(i as u32, ctx::MAP_VALUE_SIZE) as usize,
            size,
        );
        put32(
            c,
            ctx::map_field(i as u32, ctx::MAP_BTF_VMLINUX_VALUE_TYPE_ID) as usize,
            value,
        );
        let (members, _) = btf.type_by_id(ty).unwrap().members().unwrap();
        for (prog, member) in s.programs() {
            let index = members
                .iter()
                .position(|m| btf.string_at(m.name_off).unwrap() == member.name)
                .unwrap_or_else(|| panic!("{}: no member {}", s.type_name, member.name));
            let slot = plan
                .struct_ops_progs
                .iter()
                .position(|&p| p == prog)
                .unwrap() as u32;
            put32(
                c,
                counts.struct_ops_prog_field(slot, ctx::STRUCT_OPS_ATTACH_BTF_ID) as usize,
                ty,
            );
            put32(
                c,
                counts.struct_ops_prog_field(slot, ctx::STRUCT_OPS_MEMBER_INDEX) as usize,
                index as u32,
            );
        }
    }
}

/// Points the context's log at `log` with level 1.
pub fn set_log(c: &mut [u8], log: &mut [u8]) {
    put32(c, ctx::LOG_LEVEL as usize, 1);
    put32(c, ctx::LOG_SIZE as usize, log.len() as u32);
    put64(c, ctx::LOG_BUF as usize, log.as_mut_ptr() as u64);
}

/// The NUL-terminated text at the start of `log`.
pub fn log_text(log: &[u8]) -> String {
    let end = log.iter().position(|b| *b == 0).unwrap_or(log.len());
    String::from_utf8_lossy(&log[..end]).into_owned()
}

pub fn attr_with(fields: &[(usize, u32)], len: usize) -> Vec<u8> {
    let mut a = vec![0u8; len];
    for &(off, v) in fields {
        put32(&mut a, off, v);
    }
    a
}

/// The runtime's five syscalls. Returns the loader's return value.
pub fn run_loader(blob: &Blob, ctx_buf: &mut [u8]) -> i32 {
    run_loader_then(blob, ctx_buf, |_, _| ()).0
}

/// The runtime's five syscalls; then the blob as the run left it (read back from the
/// loader map, which the loader program writes into), with the loader's return value.
pub fn run_loader_blob(blob: &Blob, ctx_buf: &mut [u8]) -> (i32, Vec<u8>) {
    run_loader_then(blob, ctx_buf, |map_fd, _| {
        let mut after = vec![0u8; blob.data.len()];
        let key = 0u32.to_le_bytes();
        let mut a = attr_with(&[(0, map_fd as u32)], 32);
        put64(&mut a, 8, key.as_ptr() as u64);
        put64(&mut a, 16, after.as_mut_ptr() as u64);
        bpf(BPF_MAP_LOOKUP_ELEM, &mut a).expect("read the blob back");
        after
    })
}

/// The five syscalls, then `after` with the loader map's and program's fds before they are
/// closed: the loader's return value and what `after` returned.
pub fn run_loader_then<T>(
    blob: &Blob,
    ctx_buf: &mut [u8],
    after: impl FnOnce(i32, i32) -> T,
) -> (i32, T) {
    let mut a = attr_with(&[(0, 2), (4, 4), (8, blob.data.len() as u32), (12, 1)], 48);
    a[28..40].copy_from_slice(b"__loader.map");
    let map_fd = bpf(BPF_MAP_CREATE, &mut a).expect("create loader map") as i32;

    let key = 0u32.to_le_bytes();
    let mut a = attr_with(&[(0, map_fd as u32)], 32);
    put64(&mut a, 8, key.as_ptr() as u64);
    put64(&mut a, 16, blob.data.as_ptr() as u64);
    bpf(BPF_MAP_UPDATE_ELEM, &mut a).expect("write the blob");
    let mut a = attr_with(&[(0, map_fd as u32)], 4);
    bpf(BPF_MAP_FREEZE, &mut a).expect("freeze the blob");

    let fd_array = [map_fd];
    let prog_fd = load_loader(blob, &fd_array, None).unwrap_or_else(|e| {
        // Again with a log, only to say why: a log too small for a long loader would
        // itself fail the load with ENOSPC.
        let mut log = vec![0u8; 64 << 20];
        let _ = load_loader(blob, &fd_array, Some(&mut log));
        let text = log_text(&log);
        let tail: Vec<&str> = text.lines().rev().take(40).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        panic!(
            "loader refused by the verifier (errno {e}):\n{}\n\n{}",
            tail.join("\n"),
            blob.listing()
        );
    });

    let mut a = attr_with(&[(0, prog_fd as u32), (40, ctx_buf.len() as u32)], 80);
    put64(&mut a, 48, ctx_buf.as_mut_ptr() as u64);
    bpf(BPF_PROG_TEST_RUN, &mut a).expect("run the loader");
    let t = after(map_fd, prog_fd);
    close(prog_fd);
    close(map_fd);
    (get32(&a, 4) as i32, t)
}

/// `BPF_PROG_LOAD` of the loader program, with the verifier's log in `log` if given.
pub fn load_loader(
    blob: &Blob,
    fd_array: &[i32; 1],
    log: Option<&mut Vec<u8>>,
) -> Result<i32, i32> {
    let license = c"Dual BSD/GPL";
    let mut a = attr_with(
        &[
            (0, 31), // BPF_PROG_TYPE_SYSCALL
            (4, blob.insn_count() as u32),
            (44, skelgen::loader::compile::LOADER_PROG_FLAGS),
        ],
        128,
    );
    put64(&mut a, 8, blob.insns.as_ptr() as u64);
    put64(&mut a, 16, license.as_ptr() as u64);
    if let Some(log) = log {
        put32(&mut a, 24, 1);
        put32(&mut a, 28, log.len() as u32);
        put64(&mut a, 32, log.as_mut_ptr() as u64);
    }
    a[48..61].copy_from_slice(b"__loader.prog");
    put64(&mut a, 120, fd_array.as_ptr() as u64);
    bpf(BPF_PROG_LOAD, &mut a).map(|fd| fd as i32)
}

/// `bpf_prog_info` / `bpf_map_info` of `fd` (the first 256 bytes).
pub fn info(fd: i32) -> Vec<u8> {
    let mut buf = vec![0u8; 256];
    let mut a = attr_with(&[(0, fd as u32), (4, buf.len() as u32)], 16);
    put64(&mut a, 8, buf.as_mut_ptr() as u64);
    bpf(BPF_OBJ_GET_INFO_BY_FD, &mut a).unwrap_or_else(|e| panic!("info of fd {fd}: errno {e}"));
    buf
}

/// The names of every program the kernel holds.
pub fn kernel_prog_names() -> Vec<String> {
    let mut names = Vec::new();
    let mut id = 0u32;
    loop {
        let mut a = attr_with(&[(0, id)], 12);
        match bpf(BPF_PROG_GET_NEXT_ID, &mut a) {
            Ok(_) => id = get32(&a, 4),
            Err(_) => break,
        }
        let mut a = attr_with(&[(0, id)], 12);
        let Ok(fd) = bpf(BPF_PROG_GET_FD_BY_ID, &mut a) else {
            continue; // gone in between
        };
        let i = info(fd as i32);
        close(fd as i32);
        let name = &i[64..80];
        let end = name.iter().position(|b| *b == 0).unwrap_or(16);
        names.push(String::from_utf8_lossy(&name[..end]).into_owned());
    }
    names
}

/// Checks what the kernel holds for map `m`; `value_size` is what the context asked for
/// (a struct_ops map's is the kernel's, not the compiled one).
pub fn check_map(m: &MapSpec, fd: i32, value_size: u32) {
    let i = info(fd);
    assert_eq!(get32(&i, 0), m.map_type.raw(), "{}: type", m.name);
    assert_eq!(get32(&i, 8), m.key_size, "{}: key_size", m.name);
    assert_eq!(get32(&i, 12), value_size, "{}: value_size", m.name);
    let want = if m.map_type == MapType::PerfEventArray && m.max_entries == 0 {
        possible_cpus()
    } else {
        m.max_entries
    };
    assert_eq!(get32(&i, 16), want, "{}: max_entries", m.name);
}

pub fn map_fd(blob: &Blob, c: &[u8], i: usize) -> i32 {
    let _ = blob;
    get32(c, ctx::map_field(i as u32, ctx::MAP_FD) as usize) as i32
}

pub fn prog_fd(blob: &Blob, c: &[u8], j: usize) -> i32 {
    get32(
        c,
        ctx::prog_field(blob.plan.nr_maps, j as u32, ctx::PROG_FD) as usize,
    ) as i32
}

/// Checks and closes every fd the loader handed back; returns the number of programs loaded.
pub fn check_and_close(spec: &ObjectSpec, blob: &Blob, c: &[u8]) -> usize {
    for (i, m) in spec.maps.iter().enumerate() {
        let fd = map_fd(blob, c, i);
        assert!(fd > 0, "{}: map {} has no fd", spec.name, m.name);
        let asked = get32(c, ctx::map_field(i as u32, ctx::MAP_VALUE_SIZE) as usize);
        let value_size = if m.struct_ops.is_some() {
            asked
        } else {
            m.value_size
        };
        check_map(m, fd, value_size);
        close(fd);
    }
    let mut loaded = 0;
    for (j, p) in spec.programs.iter().enumerate() {
        let fd = prog_fd(blob, c, j);
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

/// `(failed_step, error)` from the context.
pub fn step_of(c: &[u8]) -> (u32, i32) {
    (
        get32(c, ctx::FAILED_STEP as usize),
        get32(c, ctx::ERROR as usize) as i32,
    )
}

/// The `load_program` step of program `k`.
pub fn load_step(spec: &ObjectSpec, k: usize) -> Step {
    let plan = skelgen::loader::LoaderPlan::new(spec).unwrap();
    plan.steps
        .into_iter()
        .find(|s| matches!(s, Step::LoadProgram { prog, .. } if *prog == k))
        .unwrap()
}
