//! The kernel's lists of BPF programs and links, read before and after a run: a program
//! of the skeleton's, or a link to one, made during the run that outlives it, held by no
//! other process, is a leak.
//!
//! Maps are not listed: opening a map by id takes a user reference, and on Linux 6.18 a
//! program array whose last user reference goes away a second time before the kernel
//! cleared it stays allocated for good, so listing maps while a skeleton with a program
//! array is dropped (many.bpf.o's `tails`) would itself leak them. A map the skeleton
//! still holds shows as an fd; the programs and links hold the rest.
//!
//! Other processes may load the same object at the same time (the tests of other
//! languages do), so an object counts only if it is new (its id is above every id of its
//! kind at the start; the kernel hands ids out in increasing order), is one of the
//! skeleton's programs (by name) or links to one, and no other process holds an fd of it
//! (or of a link to it).
//!
//! The bpf(2) calls made here go to glibc's own `syscall`, looked up in libc.so.6, so the
//! fault injector, which replaces the `syscall` the driver links against, neither counts
//! nor fails them.

use std::collections::{HashMap, HashSet};
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

include!(concat!(env!("OUT_DIR"), "/kernel_names.rs"));

/// The names the kernel has for an object's programs.
pub struct KernelNames {
    pub progs: &'static [&'static str],
}

const BPF_PROG_GET_NEXT_ID: i64 = 11;
const BPF_PROG_GET_FD_BY_ID: i64 = 13;
const BPF_OBJ_GET_INFO_BY_FD: i64 = 15;
const BPF_LINK_GET_FD_BY_ID: i64 = 30;
const BPF_LINK_GET_NEXT_ID: i64 = 31;

/// How long freed objects may take to leave the kernel's lists, in steps of 20 ms: a link
/// puts its program after an RCU grace period (of RCU tasks trace, for a sleepable one),
/// which a busy machine stretches to seconds.
const SETTLE_TRIES: u32 = 500;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum Kind {
    Prog,
    Link,
}

impl Kind {
    fn commands(self) -> (i64, i64) {
        match self {
            Kind::Prog => (BPF_PROG_GET_NEXT_ID, BPF_PROG_GET_FD_BY_ID),
            Kind::Link => (BPF_LINK_GET_NEXT_ID, BPF_LINK_GET_FD_BY_ID),
        }
    }

    /// The key of its id in /proc/PID/fdinfo/FD.
    fn fdinfo_key(self) -> &'static str {
        match self {
            Kind::Prog => "prog_id:",
            Kind::Link => "link_id:",
        }
    }
}

type SyscallFn = unsafe extern "C" fn(libc::c_long, ...) -> libc::c_long;

/// glibc's `syscall`, not the one an `LD_PRELOAD` library puts in front of it.
fn libc_syscall() -> io::Result<SyscallFn> {
    // SAFETY: libc.so.6 is loaded (RTLD_NOLOAD only finds it); dlsym on its handle searches
    // it alone, and `syscall` there has the C signature of `SyscallFn`.
    unsafe {
        let handle = libc::dlopen(c"libc.so.6".as_ptr(), libc::RTLD_LAZY | libc::RTLD_NOLOAD);
        if handle.is_null() {
            return Err(io::Error::other("libc.so.6 is not loaded"));
        }
        let sym = libc::dlsym(handle, c"syscall".as_ptr());
        libc::dlclose(handle);
        if sym.is_null() {
            return Err(io::Error::other("libc.so.6 has no syscall"));
        }
        Ok(std::mem::transmute::<*mut libc::c_void, SyscallFn>(sym))
    }
}

/// The census: what the kernel had before the run.
pub struct Census {
    syscall: SyscallFn,
    names: &'static KernelNames,
    first_new: [(Kind, u32); 2],
}

/// What the run left in the kernel: each object's kind, id and what it is.
pub struct Leaked(Vec<(Kind, u32, String)>);

impl Leaked {
    /// How many programs and links.
    pub fn counts(&self) -> (usize, usize) {
        let count = |kind| self.0.iter().filter(|(k, _, _)| *k == kind).count();
        (count(Kind::Prog), count(Kind::Link))
    }

    /// One line per object.
    pub fn lines(&self) -> impl Iterator<Item = String> + '_ {
        self.0
            .iter()
            .map(|(kind, id, what)| format!("{kind:?} {id} {what}"))
    }
}

#[repr(C)]
#[derive(Default)]
struct IdAttr {
    id: u32,
    next_id: u32,
    open_flags: u32,
}

#[repr(C)]
#[derive(Default)]
struct InfoAttr {
    fd: u32,
    info_len: u32,
    info: u64,
}

impl Census {
    /// Notes the highest id of each kind.
    pub fn start(names: &'static KernelNames) -> io::Result<Census> {
        let mut census = Census {
            syscall: libc_syscall()?,
            names,
            first_new: [(Kind::Prog, 0), (Kind::Link, 0)],
        };
        for slot in 0..census.first_new.len() {
            let kind = census.first_new[slot].0;
            let last = census.ids(kind, 0)?.last().copied().unwrap_or(0);
            census.first_new[slot].1 = last + 1;
        }
        Ok(census)
    }

    /// The skeleton's objects made since `start` that no other process holds, and that
    /// stay so while freed objects have time to go: an object of another process may be
    /// between its last fd's close and its end when looked at once, not all the time. What
    /// this process still holds is left for good, and not waited for.
    pub fn leaked(self) -> io::Result<Leaked> {
        let mut left: Option<HashMap<(Kind, u32), String>> = None;
        for _ in 0..SETTLE_TRIES {
            let mut now = self.ours()?;
            let mine = held_by(&["self".into()]);
            if now.keys().any(|obj| !mine.contains(obj)) {
                let held = held_by(&other_pids());
                now.retain(|obj, _| !held.contains(obj));
            }
            if let Some(before) = left {
                now.retain(|obj, _| before.contains_key(obj));
            }
            let waiting = now.keys().any(|obj| !mine.contains(obj));
            left = Some(now);
            if !waiting {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let mut left: Vec<_> = left
            .unwrap_or_default()
            .into_iter()
            .map(|((kind, id), what)| (kind, id, what))
            .collect();
        left.sort();
        Ok(Leaked(left))
    }

    fn bpf<A>(&self, cmd: i64, attr: &mut A) -> io::Result<i32> {
        let size = std::mem::size_of::<A>() as libc::c_long;
        // SAFETY: `attr` is a #[repr(C)] bpf_attr prefix of `size` bytes whose pointers are
        // valid for the call.
        let r = unsafe { (self.syscall)(libc::SYS_bpf, cmd, attr as *mut A, size) };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(r as i32)
    }

    /// Every id of `kind` from `from` on, in increasing order.
    fn ids(&self, kind: Kind, from: u32) -> io::Result<Vec<u32>> {
        let (next_cmd, _) = kind.commands();
        let mut ids = Vec::new();
        let mut attr = IdAttr {
            id: from.saturating_sub(1),
            ..Default::default()
        };
        loop {
            match self.bpf(next_cmd, &mut attr) {
                Ok(_) => {}
                Err(e) if e.raw_os_error() == Some(libc::ENOENT) => return Ok(ids),
                Err(e) => return Err(e),
            }
            ids.push(attr.next_id);
            attr.id = attr.next_id;
        }
    }

    /// The first `N` bytes of the `bpf_*_info` of object `id` (`None`: it is gone).
    fn info<const N: usize>(&self, kind: Kind, id: u32) -> io::Result<Option<[u8; N]>> {
        let (_, fd_cmd) = kind.commands();
        let mut by_id = IdAttr {
            id,
            ..Default::default()
        };
        let fd = match self.bpf(fd_cmd, &mut by_id) {
            Ok(fd) => fd,
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => return Ok(None),
            Err(e) => return Err(e),
        };
        // SAFETY: the kernel just returned `fd`, which nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let mut info = [0u8; N];
        let mut attr = InfoAttr {
            fd: std::os::fd::AsRawFd::as_raw_fd(&fd) as u32,
            info_len: N as u32,
            info: info.as_mut_ptr() as u64,
        };
        self.bpf(BPF_OBJ_GET_INFO_BY_FD, &mut attr)?;
        Ok(Some(info))
    }

    fn first_new(&self, kind: Kind) -> u32 {
        self.first_new
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(0, |(_, id)| *id)
    }

    /// The skeleton's objects made since `start`, with what they are: programs by name,
    /// links by their program.
    fn ours(&self) -> io::Result<HashMap<(Kind, u32), String>> {
        let mut found = HashMap::new();
        for id in self.ids(Kind::Prog, self.first_new(Kind::Prog))? {
            // struct bpf_prog_info: name[16] at 64.
            if let Some(info) = self.info::<80>(Kind::Prog, id)? {
                let name = name_at(&info, 64);
                if self.names.progs.contains(&name) {
                    found.insert((Kind::Prog, id), format!("program {name}"));
                }
            }
        }
        for id in self.ids(Kind::Link, self.first_new(Kind::Link))? {
            // struct bpf_link_info: prog_id at 8.
            if let Some(info) = self.info::<12>(Kind::Link, id)? {
                let prog = u32::from_ne_bytes([info[8], info[9], info[10], info[11]]);
                if found.contains_key(&(Kind::Prog, prog)) {
                    found.insert((Kind::Link, id), format!("link of program {prog}"));
                }
            }
        }
        Ok(found)
    }
}

/// A NUL-padded name of 16 bytes at `at`.
fn name_at(info: &[u8], at: usize) -> &str {
    let raw = &info[at..at + 16];
    let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
    std::str::from_utf8(&raw[..end]).unwrap_or("")
}

/// Every process but this one, as /proc names them.
fn other_pids() -> Vec<String> {
    let me = std::process::id().to_string();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    procs
        .flatten()
        .map(|p| p.file_name().to_string_lossy().into_owned())
        .filter(|pid| *pid != me && pid.bytes().all(|b| b.is_ascii_digit()))
        .collect()
}

/// The objects the processes `pids` (as /proc names them) hold an fd of; a link's fdinfo
/// also names its program.
fn held_by(pids: &[String]) -> HashSet<(Kind, u32)> {
    let mut held = HashSet::new();
    for pid in pids {
        let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fdinfo")) else {
            continue;
        };
        for fd in fds.flatten() {
            let text = std::fs::read_to_string(fd.path()).unwrap_or_default();
            for line in text.lines() {
                for kind in [Kind::Prog, Kind::Link] {
                    if let Some(id) = line.strip_prefix(kind.fdinfo_key()) {
                        if let Ok(id) = id.trim().parse() {
                            held.insert((kind, id));
                        }
                    }
                }
            }
        }
    }
    held
}
