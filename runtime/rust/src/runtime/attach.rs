/// A program: loaded, or not (its `autoload` was off). Closed when dropped.
#[derive(Debug)]
pub struct Prog {
    name: &'static str,
    fd: Option<OwnedFd>,
}

impl Prog {
    pub(super) fn new(name: &'static str, fd: Option<OwnedFd>) -> Self {
        Prog { name, fd }
    }

    /// Its name in the object.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The program's fd, `None` when it was not loaded.
    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        self.fd.as_ref().map(AsFd::as_fd)
    }

    /// Whether it was loaded.
    pub fn is_loaded(&self) -> bool {
        self.fd.is_some()
    }

    fn loaded(&self, what: &str) -> Result<BorrowedFd<'_>, Error> {
        self.fd().ok_or_else(|| {
            Error::new(
                format!("{what} {}: the program was not loaded", self.name),
                libc::ENOENT,
            )
        })
    }

    /// Runs the program once with `BPF_PROG_TEST_RUN` and `ctx` as its context (copied
    /// back after the run); returns its return value. For syscall programs.
    pub fn test_run(&self, ctx: &mut [u8]) -> Result<i32, Error> {
        let fd = self.loaded("run")?;
        let mut attr = TestRunAttr {
            prog_fd: fd.as_raw_fd() as u32,
            ctx_in: if ctx.is_empty() { 0 } else { ptr(ctx.as_ptr()) },
            ctx_size_in: ctx.len() as u32,
            ..Default::default()
        };
        sys_bpf(BPF_PROG_TEST_RUN, &mut attr)
            .map_err(|e| Error::new(format!("run {}", self.name), e))?;
        Ok(attr.retval as i32)
    }
}

/// An attachment: a BPF link (or, on kernels without perf links, the perf event the
/// program is set on). Dropping it detaches the program.
#[derive(Debug)]
pub struct Link {
    fd: OwnedFd,
}

impl Link {
    /// The link's fd.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// For an iterator's link: a new read of the iterator, whose text the returned file
    /// gives.
    pub fn open_iter(&self) -> Result<File, Error> {
        let mut attr = IterCreateAttr {
            link_fd: self.fd.as_raw_fd() as u32,
            flags: 0,
        };
        let fd = sys_bpf(BPF_ITER_CREATE, &mut attr)
            .map_err(|e| Error::new("open an iterator", e))?;
        Ok(File::from(owned(fd)))
    }
}

/// A new read of the iterator `name` through its link.
pub(super) fn open_iter(name: &str, link: Option<&Link>) -> Result<File, Error> {
    match link {
        Some(link) => link.open_iter(),
        None => Err(Error::new(
            format!("read of the iterator {name}: not attached"),
            libc::ENOENT,
        )),
    }
}

#[repr(C)]
#[derive(Default)]
struct RawTpAttr {
    name: u64,
    prog_fd: u32,
    pad: u32,
}

#[repr(C)]
#[derive(Default)]
struct LinkCreateAttr {
    prog_fd: u32,
    target: u32,
    attach_type: u32,
    flags: u32,
    args: [u64; 2],
}

/// `struct perf_event_attr` up to `config2` (`PERF_ATTR_SIZE_VER1`).
#[repr(C)]
#[derive(Default)]
struct PerfAttr {
    kind: u32,
    size: u32,
    config: u64,
    sample_period: u64,
    sample_type: u64,
    read_format: u64,
    bits: u64,
    wakeup_events: u32,
    bp_type: u32,
    config1: u64,
    config2: u64,
}

const _: () = {
    if std::mem::size_of::<PerfAttr>() != 72 {
        panic!("perf_event_attr");
    }
};

const PERF_TYPE_TRACEPOINT: u32 = 2;
const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 8;

// ioctl numbers of include/uapi/linux/perf_event.h: _IO('$', 0) and _IOW('$', 8, __u32),
// whose direction bits differ between architectures: (_IOC_NONE, _IOC_WRITE, their shift).
const IOC: (u32, u32, u32) = if cfg!(any(
    target_arch = "mips",
    target_arch = "mips64",
    target_arch = "powerpc",
    target_arch = "powerpc64",
    target_arch = "sparc64"
)) {
    (1, 4, 29)
} else {
    (0, 1, 30)
};
const PERF_EVENT_IOC_ENABLE: u32 = (IOC.0 << IOC.2) | (0x24 << 8);
const PERF_EVENT_IOC_SET_BPF: u32 = (IOC.1 << IOC.2) | (4 << 16) | (0x24 << 8) | 8;

/// How one program is attached, as skelgen decided from its section.
pub(super) enum Attach<'a> {
    /// A perf-event tracepoint `events/<category>/<name>`.
    Tracepoint { category: &'a str, name: &'a str },
    /// A raw tracepoint by name, or (`None`) the BTF target fixed at load
    /// (tp_btf/fentry/fexit/fmod_ret/lsm).
    RawTracepoint { name: Option<&'a str> },
    /// A kprobe or kretprobe on a kernel function.
    Kprobe {
        retprobe: bool,
        func: &'a str,
        offset: u64,
    },
    /// A kprobe or kretprobe on a syscall (`openat`), named as the running kernel names it.
    Ksyscall { retprobe: bool, syscall: &'a str },
    /// A uprobe or uretprobe on a file offset of a binary, in one process or all.
    Uprobe {
        retprobe: bool,
        pid: Option<i32>,
        binary: &'a std::path::Path,
        offset: u64,
    },
    /// `BPF_LINK_CREATE` on an object given as an fd (cgroup, netns, sockmap, perf event).
    Fd {
        target: BorrowedFd<'a>,
        attach_type: u32,
    },
    /// `BPF_LINK_CREATE` on a network interface (XDP, tcx).
    Ifindex {
        ifindex: u32,
        attach_type: u32,
        flags: u32,
    },
    /// A BPF iterator link.
    Iter { attach_type: u32 },
}

/// Attaches `prog` as `how` says.
pub(super) fn attach(prog: &Prog, how: Attach<'_>) -> Result<Link, Error> {
    let fd = prog.loaded("attach")?;
    let made = match how {
        Attach::Tracepoint { category, name } => tracepoint(fd, category, name),
        Attach::RawTracepoint { name } => raw_tracepoint(fd, name),
        Attach::Kprobe {
            retprobe,
            func,
            offset,
        } => probe("kprobe", fd, retprobe, None, func.as_bytes(), offset),
        Attach::Ksyscall { retprobe, syscall } => {
            let func = syscall_function(syscall);
            probe("kprobe", fd, retprobe, None, func.as_bytes(), 0)
        }
        Attach::Uprobe {
            retprobe,
            pid,
            binary,
            offset,
        } => {
            use std::os::unix::ffi::OsStrExt;
            probe(
                "uprobe",
                fd,
                retprobe,
                pid,
                binary.as_os_str().as_bytes(),
                offset,
            )
        }
        Attach::Fd {
            target,
            attach_type,
        } => link_create(fd, target.as_raw_fd() as u32, attach_type, 0),
        Attach::Ifindex {
            ifindex,
            attach_type,
            flags,
        } => link_create(fd, ifindex, attach_type, flags),
        Attach::Iter { attach_type } => link_create(fd, 0, attach_type, 0),
    };
    made.map(|fd| Link { fd })
        .map_err(|e| Error::new(format!("attach {}", prog.name), e))
}

fn link_create(
    prog: BorrowedFd<'_>,
    target: u32,
    attach_type: u32,
    flags: u32,
) -> Result<OwnedFd, i32> {
    let mut attr = LinkCreateAttr {
        prog_fd: prog.as_raw_fd() as u32,
        target,
        attach_type,
        flags,
        ..Default::default()
    };
    sys_bpf(BPF_LINK_CREATE, &mut attr).map(owned)
}

fn raw_tracepoint(prog: BorrowedFd<'_>, name: Option<&str>) -> Result<OwnedFd, i32> {
    let name = name
        .map(std::ffi::CString::new)
        .transpose()
        .map_err(|_| libc::EINVAL)?;
    let mut attr = RawTpAttr {
        name: name.as_ref().map_or(0, |n| ptr(n.as_ptr())),
        prog_fd: prog.as_raw_fd() as u32,
        pad: 0,
    };
    sys_bpf(BPF_RAW_TRACEPOINT_OPEN, &mut attr).map(owned)
}

fn perf_event_open(attr: &mut PerfAttr, pid: i32, cpu: i32) -> Result<OwnedFd, i32> {
    attr.size = std::mem::size_of::<PerfAttr>() as u32;
    // SAFETY: `attr` is a complete, initialised perf_event_attr of the size it states.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_perf_event_open,
            attr as *mut PerfAttr,
            pid as libc::c_long,
            cpu as libc::c_long,
            -1 as libc::c_long,
            PERF_FLAG_FD_CLOEXEC,
        )
    };
    if fd < 0 {
        Err(errno())
    } else {
        Ok(owned(fd as i32))
    }
}

/// A BPF link to the perf event (Linux 5.15), or else the event itself with the program
/// set on it.
fn attach_perf(prog: BorrowedFd<'_>, event: OwnedFd) -> Result<OwnedFd, i32> {
    if let Ok(link) = link_create(prog, event.as_raw_fd() as u32, BPF_PERF_EVENT, 0) {
        return Ok(link);
    }
    for (request, arg) in [
        (PERF_EVENT_IOC_SET_BPF, prog.as_raw_fd() as libc::c_ulong),
        (PERF_EVENT_IOC_ENABLE, 0),
    ] {
        // SAFETY: both requests take an integer argument, not a pointer.
        if unsafe { libc::ioctl(event.as_raw_fd(), request as _, arg) } < 0 {
            return Err(errno());
        }
    }
    Ok(event)
}

/// Reads "<prefix><number>" from a sysfs or tracefs file.
fn read_number(path: &str, prefix: &str) -> Result<u64, i32> {
    let text =
        std::fs::read_to_string(path).map_err(|e| e.raw_os_error().unwrap_or(libc::EIO))?;
    text.trim()
        .strip_prefix(prefix)
        .and_then(|n| n.parse().ok())
        .ok_or(libc::EINVAL)
}

fn tracepoint(prog: BorrowedFd<'_>, category: &str, name: &str) -> Result<OwnedFd, i32> {
    let mut id = Err(libc::ENOENT);
    for root in ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"] {
        id = read_number(&format!("{root}/events/{category}/{name}/id"), "");
        if id.is_ok() {
            break;
        }
    }
    let mut attr = PerfAttr {
        kind: PERF_TYPE_TRACEPOINT,
        config: id?,
        sample_period: 1,
        wakeup_events: 1,
        ..Default::default()
    };
    let event = perf_event_open(&mut attr, -1, 0)?;
    attach_perf(prog, event)
}

/// A kprobe or uprobe event through its PMU (Linux 4.17), not attached: `target` is the
/// function name or the file path, `offset` the offset in the function or the file.
fn probe_open(
    pmu: &str,
    retprobe: bool,
    pid: Option<i32>,
    target: &[u8],
    offset: u64,
) -> Result<OwnedFd, i32> {
    let dir = format!("/sys/bus/event_source/devices/{pmu}");
    let kind = read_number(&format!("{dir}/type"), "")?;
    let config = if retprobe {
        let bit = read_number(&format!("{dir}/format/retprobe"), "config:")?;
        1u64.checked_shl(u32::try_from(bit).map_err(|_| libc::EINVAL)?)
            .ok_or(libc::EINVAL)?
    } else {
        0
    };
    let target = std::ffi::CString::new(target).map_err(|_| libc::EINVAL)?;
    let mut attr = PerfAttr {
        kind: kind as u32,
        config,
        config1: ptr(target.as_ptr()),
        config2: offset,
        ..Default::default()
    };
    match pid {
        Some(pid) => perf_event_open(&mut attr, pid, -1),
        None => perf_event_open(&mut attr, -1, 0),
    }
}

/// A kprobe or uprobe attached through its PMU (see [`probe_open`]).
fn probe(
    pmu: &str,
    prog: BorrowedFd<'_>,
    retprobe: bool,
    pid: Option<i32>,
    target: &[u8],
    offset: u64,
) -> Result<OwnedFd, i32> {
    let event = probe_open(pmu, retprobe, pid, target, offset)?;
    attach_perf(prog, event)
}

/// The prefix of the architecture's syscall wrappers (`__<prefix>_sys_<name>`), as the
/// kernel names them; `None` where skelgen knows none.
fn syscall_prefix() -> Option<&'static str> {
    Some(match std::env::consts::ARCH {
        "x86_64" => "x64",
        "x86" => "ia32",
        "s390x" => "s390x",
        "aarch64" => "arm64",
        "arm" => "arm",
        "mips" | "mips64" => "mips",
        "riscv64" | "riscv32" => "riscv",
        "powerpc64" => "powerpc64",
        "powerpc" => "powerpc",
        "loongarch64" => "loongarch",
        _ => return None,
    })
}

/// The kernel function of syscall `name`: `__<arch>_sys_<name>` when the running kernel has
/// syscall wrappers (a kprobe on `__<arch>_sys_bpf` can be made, as libbpf checks), else
/// `sys_<name>`.
fn syscall_function(name: &str) -> String {
    let wrapped = syscall_prefix().filter(|prefix| {
        let probe = format!("__{prefix}_sys_bpf");
        probe_open("kprobe", false, None, probe.as_bytes(), 0).is_ok()
    });
    match wrapped {
        Some(prefix) => format!("__{prefix}_sys_{name}"),
        None => format!("sys_{name}"),
    }
}
