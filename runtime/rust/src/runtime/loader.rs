// bpf(2) commands and the UAPI numbers the runtime uses (include/uapi/linux/bpf.h).
const BPF_MAP_CREATE: u32 = 0;
const BPF_MAP_LOOKUP_ELEM: u32 = 1;
const BPF_MAP_UPDATE_ELEM: u32 = 2;
const BPF_MAP_DELETE_ELEM: u32 = 3;
const BPF_MAP_GET_NEXT_KEY: u32 = 4;
const BPF_PROG_LOAD: u32 = 5;
const BPF_PROG_TEST_RUN: u32 = 10;
const BPF_RAW_TRACEPOINT_OPEN: u32 = 17;
const BPF_MAP_FREEZE: u32 = 22;
const BPF_LINK_CREATE: u32 = 28;
const BPF_ITER_CREATE: u32 = 33;
const BPF_MAP_TYPE_ARRAY: u32 = 2;
const BPF_MAP_TYPE_PERF_EVENT_ARRAY: u32 = 4;
const BPF_PROG_TYPE_SYSCALL: u32 = 31;
const BPF_F_SLEEPABLE: u32 = 16;
const BPF_PERF_EVENT: u32 = 41;

/// The version of the loader context (docs/loader-abi.md) this runtime fills in.
const ABI_VERSION: u32 = 2;

/// Why a skeleton call failed: the step (for a load, the loader plan's step), the errno,
/// and for a load asked to keep it, the verifier or BTF log.
#[derive(Debug)]
pub struct Error {
    what: Cow<'static, str>,
    plan_step: Option<u32>,
    errno: i32,
    log: Option<String>,
}

impl Error {
    pub(super) fn new(what: impl Into<Cow<'static, str>>, errno: i32) -> Self {
        Error {
            what: what.into(),
            plan_step: None,
            errno,
            log: None,
        }
    }

    /// The step that failed: a loader plan step, titled as `skelgen --emit plan` and every
    /// other language title it (`MAP_CREATE .rodata`, `PROG_LOAD handle_getpid`), or one of
    /// the skeleton's own calls (`mmap of .bss`, `attach x`).
    pub fn what(&self) -> &str {
        &self.what
    }

    /// The index of the failed step in the loader plan (`skelgen --emit plan`), when the
    /// loader program failed.
    pub fn plan_step(&self) -> Option<u32> {
        self.plan_step
    }

    /// The errno (positive: `libc::EINVAL`, ...).
    pub fn errno(&self) -> i32 {
        self.errno
    }

    /// The log of the failing `BPF_PROG_LOAD` or `BPF_BTF_LOAD`, when the load asked for
    /// one (`load_with_log`).
    pub fn log(&self) -> Option<&str> {
        self.log.as_deref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let os = io::Error::from_raw_os_error(self.errno);
        match self.plan_step {
            Some(step) => write!(f, "loader step {step} ({}) failed: {os}", self.what),
            None => write!(f, "{}: {os}", self.what),
        }
    }
}

impl std::error::Error for Error {}

impl From<Error> for io::Error {
    fn from(err: Error) -> io::Error {
        io::Error::new(io::Error::from_raw_os_error(err.errno).kind(), err)
    }
}

/// The calling thread's errno.
fn errno() -> i32 {
    io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

/// `bpf(cmd, attr, sizeof(attr))`: the result, or the errno. Retried a few times when a
/// signal interrupts it (EINTR) or, as libbpf does for program loads, when the kernel asks
/// to try again (EAGAIN).
///
/// `A` must be one of the `#[repr(C)]` attribute structs below: a prefix of `union
/// bpf_attr` with no implicit padding, every pointer in it valid for the call.
fn sys_bpf<A>(cmd: u32, attr: &mut A) -> Result<i32, i32> {
    let size = std::mem::size_of::<A>() as libc::c_long;
    let mut tries = 5;
    loop {
        // SAFETY: `attr` is a live, initialised attribute struct of `size` bytes; the
        // kernel reads and writes only within it and the buffers its fields point to.
        let r = unsafe {
            libc::syscall(libc::SYS_bpf, cmd as libc::c_long, attr as *mut A, size)
        };
        if r >= 0 {
            return Ok(r as i32);
        }
        let err = errno();
        tries -= 1;
        if tries == 0 || (err != libc::EINTR && err != libc::EAGAIN) {
            return Err(err);
        }
    }
}

/// Takes ownership of an fd a syscall returned.
fn owned(fd: i32) -> OwnedFd {
    // SAFETY: `fd` was just returned by the kernel to this process and nothing else owns it.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

#[repr(C)]
#[derive(Default)]
struct MapCreateAttr {
    map_type: u32,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
    map_flags: u32,
    inner_map_fd: u32,
    numa_node: u32,
    map_name: [u8; 16],
}

#[repr(C)]
#[derive(Default)]
struct ElemAttr {
    map_fd: u32,
    pad: u32,
    key: u64,
    value: u64,
    flags: u64,
}

#[repr(C)]
#[derive(Default)]
struct MapFdAttr {
    map_fd: u32,
}

#[repr(C)]
#[derive(Default)]
struct ProgLoadAttr {
    prog_type: u32,
    insn_cnt: u32,
    insns: u64,
    license: u64,
    log_level: u32,
    log_size: u32,
    log_buf: u64,
    kern_version: u32,
    prog_flags: u32,
    prog_name: [u8; 16],
    prog_ifindex: u32,
    expected_attach_type: u32,
    prog_btf_fd: u32,
    func_info_rec_size: u32,
    func_info: u64,
    func_info_cnt: u32,
    line_info_rec_size: u32,
    line_info: u64,
    line_info_cnt: u32,
    attach_btf_id: u32,
    attach_prog_fd: u32,
    core_relo_cnt: u32,
    fd_array: u64,
}

#[repr(C)]
#[derive(Default)]
struct TestRunAttr {
    prog_fd: u32,
    retval: u32,
    data_size_in: u32,
    data_size_out: u32,
    data_in: u64,
    data_out: u64,
    repeat: u32,
    duration: u32,
    ctx_size_in: u32,
    ctx_size_out: u32,
    ctx_in: u64,
    ctx_out: u64,
    flags: u32,
    cpu: u32,
    batch_size: u32,
    pad: u32,
}

#[repr(C)]
#[derive(Default)]
struct IterCreateAttr {
    link_fd: u32,
    flags: u32,
}

const _: () = {
    if std::mem::size_of::<MapCreateAttr>() != 44 {
        panic!("map_create attr");
    }
    if std::mem::offset_of!(ProgLoadAttr, fd_array) != 120 {
        panic!("prog_load attr");
    }
    if std::mem::size_of::<TestRunAttr>() != 80 {
        panic!("test_run attr");
    }
};

/// A 16-byte object name as the kernel takes it.
fn obj_name(name: &str) -> [u8; 16] {
    let mut out = [0u8; 16];
    let len = name.len().min(15);
    out[..len].copy_from_slice(&name.as_bytes()[..len]);
    out
}

fn ptr<T: ?Sized>(p: *const T) -> u64 {
    p.cast::<u8>() as usize as u64
}

/// What a load replays: the loader program, its data, the plan's step names and counts.
pub(super) struct Loader {
    pub(super) insns: &'static [u8],
    pub(super) data: &'static [u8],
    pub(super) steps: &'static [&'static str],
    pub(super) abi_version: u32,
    pub(super) nr_maps: u32,
    pub(super) nr_progs: u32,
    pub(super) ctx_size: u32,
}

/// The loader context (docs/loader-abi.md section 3), little-endian bytes.
pub(super) struct Context {
    bytes: Vec<u8>,
    loader: &'static Loader,
}

const CTX_HEADER: usize = 48;
const MAP_DESC: usize = 24;
const PROG_DESC: usize = 8;

impl Context {
    pub(super) fn new(loader: &'static Loader) -> Self {
        let mut ctx = Context {
            bytes: vec![0; loader.ctx_size as usize],
            loader,
        };
        ctx.put_u32(0, loader.ctx_size);
        ctx.put_u32(4, loader.abi_version);
        ctx.put_u32(12, loader.nr_maps);
        ctx.put_u32(16, loader.nr_progs);
        ctx.put_u32(40, u32::MAX);
        ctx
    }

    fn put_u32(&mut self, at: usize, v: u32) {
        self.bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }

    fn put_u64(&mut self, at: usize, v: u64) {
        self.bytes[at..at + 8].copy_from_slice(&v.to_le_bytes());
    }

    fn get_u32(&self, at: usize) -> u32 {
        let mut b = [0u8; 4];
        b.copy_from_slice(&self.bytes[at..at + 4]);
        u32::from_le_bytes(b)
    }

    /// Map descriptor `index`: the knobs, and for global data the address of its image.
    pub(super) fn map(
        &mut self,
        index: usize,
        knobs: &MapKnobs,
        initial_value: Option<u64>,
    ) {
        let at = CTX_HEADER + MAP_DESC * index;
        self.put_u32(at + 4, knobs.max_entries);
        self.put_u32(at + 8, knobs.value_size);
        self.put_u64(at + 16, initial_value.unwrap_or(0));
    }

    /// Program descriptor `index`.
    pub(super) fn prog(&mut self, index: usize, knobs: &ProgKnobs) {
        let at = CTX_HEADER + MAP_DESC * self.loader.nr_maps as usize + PROG_DESC * index;
        self.put_u32(at + 4, u32::from(knobs.autoload));
    }

    fn fd_at(&self, at: usize) -> Option<OwnedFd> {
        let fd = self.get_u32(at) as i32;
        (fd > 0).then(|| owned(fd))
    }
}

/// With stdin closed the kernel would hand out fd 0, which the loader ABI reads as "no
/// fd": fill it with /dev/null first (it stays open, as stdin).
fn reserve_fd0() {
    // SAFETY: F_GETFD only queries the descriptor table.
    let closed = unsafe { libc::fcntl(0, libc::F_GETFD) } < 0 && errno() == libc::EBADF;
    if !closed {
        return;
    }
    if let Ok(null) = File::open("/dev/null") {
        let fd = null.into_raw_fd();
        if fd != 0 {
            drop(owned(fd));
        }
    }
}

/// The loader map: created, written and frozen (calls 1 to 3).
fn loader_map(loader: &Loader) -> Result<OwnedFd, Error> {
    let mut create = MapCreateAttr {
        map_type: BPF_MAP_TYPE_ARRAY,
        key_size: 4,
        value_size: loader.data.len() as u32,
        max_entries: 1,
        map_name: obj_name("__loader.map"),
        ..Default::default()
    };
    let fd = sys_bpf(BPF_MAP_CREATE, &mut create).map_err(|e| {
        let what = if e == libc::EPERM {
            "create the loader map (loading BPF needs root, or CAP_BPF and CAP_PERFMON, plus \
             CAP_NET_ADMIN for network programs)"
        } else {
            "create the loader map"
        };
        Error::new(what, e)
    })?;
    let map = owned(fd);
    let key = 0u32;
    let mut update = ElemAttr {
        map_fd: fd as u32,
        key: ptr(&key),
        value: ptr(loader.data.as_ptr()),
        ..Default::default()
    };
    sys_bpf(BPF_MAP_UPDATE_ELEM, &mut update)
        .map_err(|e| Error::new("write the loader map", e))?;
    let mut freeze = MapFdAttr { map_fd: fd as u32 };
    sys_bpf(BPF_MAP_FREEZE, &mut freeze)
        .map_err(|e| Error::new("freeze the loader map", e))?;
    Ok(map)
}

/// The verifier or BTF log in `buf`, up to its NUL.
fn log_text(buf: &[u8]) -> String {
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// The loader program (call 4), loaded without a log: the verifier's log of a long loader
/// would overflow a buffer sized for the object's own programs and fail the load with
/// ENOSPC. Only a refused loader is loaded again with `log`, to say why.
fn loader_prog(loader: &Loader, map: &OwnedFd, log: &mut [u8]) -> Result<OwnedFd, Error> {
    let map_fd = map.as_raw_fd();
    let mut attr = ProgLoadAttr {
        prog_type: BPF_PROG_TYPE_SYSCALL,
        insn_cnt: (loader.insns.len() / 8) as u32,
        insns: ptr(loader.insns.as_ptr()),
        license: ptr(c"Dual BSD/GPL".as_ptr()),
        prog_flags: BPF_F_SLEEPABLE,
        prog_name: obj_name("__loader.prog"),
        fd_array: ptr(&map_fd),
        ..Default::default()
    };
    let err = match sys_bpf(BPF_PROG_LOAD, &mut attr) {
        Ok(fd) => return Ok(owned(fd)),
        Err(err) => err,
    };
    if !log.is_empty() {
        attr.log_level = 1;
        attr.log_size = log.len() as u32;
        attr.log_buf = ptr(log.as_mut_ptr());
        // The first errno is the one to report: this one may only be ENOSPC.
        if let Ok(fd) = sys_bpf(BPF_PROG_LOAD, &mut attr) {
            return Ok(owned(fd));
        }
    }
    Err(Error::new("load the loader program", err))
}

/// The log a load with a log starts with. Only a failing load writes it (the loader
/// program and each BTF and program load run without one first), so it is sized for one
/// verifier or BTF log, and grows when that does not fit.
const LOG_START: usize = 64 << 10;
/// The largest log the kernel takes (`UINT_MAX >> 2`).
const LOG_MAX: usize = (u32::MAX >> 2) as usize;

/// The log size to run a failed load again with, when it failed for want of room in its
/// log: ENOSPC at a loader step with the log full (a failure at a step that writes no log
/// leaves it empty, so a genuine ENOSPC there is not retried). Four times the room, up to
/// the kernel's limit; `None` when the failure stands. `log_len` is the length of the log
/// the failure kept, `size` the buffer's.
fn grown_log(err: &Error, log_len: usize, size: usize) -> Option<usize> {
    let full = size > 0 && log_len + 1 >= size;
    (full && size < LOG_MAX && err.errno == libc::ENOSPC && err.plan_step.is_some())
        .then(|| size.saturating_mul(4).min(LOG_MAX))
}

/// Runs the loader (calls 4 and 5) and takes the fds it made. With `with_log`, a failing
/// BTF or program load's log goes into the error, in a buffer that grows until it fits
/// (each attempt is a whole load: a failed one leaves nothing behind).
pub(super) fn load<const M: usize, const P: usize>(
    mut ctx: Context,
    with_log: bool,
) -> Result<([MapFd; M], [Option<OwnedFd>; P]), Error> {
    let mut size = if with_log { LOG_START } else { 0 };
    loop {
        let err = match load_once(&mut ctx, size) {
            Err(err) => err,
            done => return done,
        };
        let log_len = err.log.as_ref().map_or(0, String::len);
        size = grown_log(&err, log_len, size).ok_or(err)?;
    }
}

/// One run of the loader with a log of `log_size` bytes (none when 0).
fn load_once<const M: usize, const P: usize>(
    ctx: &mut Context,
    log_size: usize,
) -> Result<([MapFd; M], [Option<OwnedFd>; P]), Error> {
    let loader = ctx.loader;
    if loader.abi_version != ABI_VERSION {
        return Err(Error::new(
            "check the loader's ABI version (regenerate the skeleton with this skelgen)",
            libc::EPROTO,
        ));
    }
    reserve_fd0();
    let mut log = vec![0u8; log_size.min(LOG_MAX)];
    if !log.is_empty() {
        ctx.put_u32(20, 1);
        ctx.put_u32(24, log.len() as u32);
        ctx.put_u64(32, ptr(log.as_mut_ptr()));
    }
    let with_log = |mut err: Error, log: &[u8]| {
        if !log.is_empty() {
            err.log = Some(log_text(log));
        }
        err
    };
    let map = loader_map(loader)?;
    let prog = loader_prog(loader, &map, &mut log).map_err(|e| with_log(e, &log))?;
    let retval = run_loader(&prog, ctx, &mut log)?;
    drop(prog);
    drop(map);
    if retval != 0 {
        let step = ctx.get_u32(40);
        let what = loader
            .steps
            .get(step as usize)
            .copied()
            .unwrap_or("unknown loader step");
        let mut err = with_log(
            Error::new(what, if retval < 0 { -retval } else { libc::EINVAL }),
            &log,
        );
        err.plan_step = Some(step);
        return Err(err);
    }
    take_fds(ctx)
}

/// Runs the loader program on the context; its return value. A load step whose
/// verification a signal cut short fails with EAGAIN (libbpf repeats such program loads);
/// the loader has then closed what it made and left the context's inputs as they were, so
/// the run is made again, up to five times in all, with the log cleared.
fn run_loader(prog: &OwnedFd, ctx: &Context, log: &mut [u8]) -> Result<i32, Error> {
    let mut tries = 5;
    loop {
        let mut run = TestRunAttr {
            prog_fd: prog.as_raw_fd() as u32,
            ctx_in: ptr(ctx.bytes.as_ptr()),
            ctx_size_in: ctx.loader.ctx_size,
            ..Default::default()
        };
        sys_bpf(BPF_PROG_TEST_RUN, &mut run)
            .map_err(|e| Error::new("run the loader program", e))?;
        tries -= 1;
        let retval = run.retval as i32;
        if retval != -libc::EAGAIN || tries == 0 {
            return Ok(retval);
        }
        if let Some(first) = log.first_mut() {
            *first = 0;
        }
    }
}

/// A map's fd after the load: a struct_ops map left out (its autocreate off) has none, so
/// the skeleton takes every other map's with [`required`].
type MapFd = Option<OwnedFd>;

/// The fd of a map the loader always creates (every one but a struct_ops map).
pub(super) fn required(fd: MapFd) -> Result<OwnedFd, Error> {
    fd.ok_or_else(|| Error::new("take the fds the loader made", libc::EPROTO))
}

/// The fds of a successful run, owned from here on.
fn take_fds<const M: usize, const P: usize>(
    ctx: &Context,
) -> Result<([MapFd; M], [Option<OwnedFd>; P]), Error> {
    let nr_maps = ctx.loader.nr_maps as usize;
    let maps: Vec<Option<OwnedFd>> = (0..nr_maps)
        .map(|i| ctx.fd_at(CTX_HEADER + MAP_DESC * i))
        .collect();
    let progs: Vec<Option<OwnedFd>> = (0..ctx.loader.nr_progs as usize)
        .map(|i| ctx.fd_at(CTX_HEADER + MAP_DESC * nr_maps + PROG_DESC * i))
        .collect();
    let bad = || Error::new("take the fds the loader made", libc::EPROTO);
    let maps: [MapFd; M] = maps.try_into().map_err(|_| bad())?;
    let progs: [Option<OwnedFd>; P] = progs.try_into().map_err(|_| bad())?;
    Ok((maps, progs))
}

/// The number of possible CPUs (`/sys/devices/system/cpu/possible`, read once): the size of
/// per-CPU values and of perf event arrays compiled with `max_entries` 0.
pub fn possible_cpus() -> u32 {
    static CPUS: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *CPUS.get_or_init(|| {
        let text =
            std::fs::read_to_string("/sys/devices/system/cpu/possible").unwrap_or_default();
        let mut n = 0;
        for range in text.trim().split(',') {
            let (a, b) = range.split_once('-').unwrap_or((range, range));
            match (a.parse::<u32>(), b.parse::<u32>()) {
                (Ok(a), Ok(b)) if b >= a => n += b - a + 1,
                _ => {
                    n = 0;
                    break;
                }
            }
        }
        if n > 0 {
            return n;
        }
        // SAFETY: sysconf has no preconditions.
        let conf = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_CONF) };
        u32::try_from(conf).unwrap_or(1).max(1)
    })
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if page > 0 {
        page as usize
    } else {
        4096
    }
}
