//! The Go attach method of each program: its parameters and the runtime call that makes the
//! link. What to attach is decided in `lower` ([`crate::ir::Attach`]).

use super::names;
use crate::ir::ProgramSpec;
use crate::ir::{Attach, LinkTarget, UprobeTarget};
use crate::uapi::AttachType;
use serde::Serialize;

/// One `Attach<Prog>(params...) error` method.
#[derive(Debug, Clone, Serialize)]
pub struct AttachMethod {
    /// Parameters, Go syntax (`ifindex int, flags uint32`); empty for a program that needs
    /// no target.
    pub params: String,
    /// What the method attaches to, for its doc comment.
    pub doc: String,
    /// The runtime call making the link from the program fd `fd`, returning `(int, error)`.
    pub call: String,
}

/// The attach method of `p`, if skelgen can attach its kind of program; `rt` prefixes
/// the runtime's helpers.
pub fn attach_method(p: &ProgramSpec, rt: &str) -> Option<AttachMethod> {
    let attach = p.attach.clone()?;
    let (params, doc, call) = match attach {
        Attach::Tracepoint {
            target: Some((cat, name)),
        } => (
            String::new(),
            format!("to the tracepoint {cat}/{name}"),
            format!(
                "{rt}AttachTracepoint(fd, \"{}\", \"{}\")",
                names::go_string(&cat),
                names::go_string(&name)
            ),
        ),
        Attach::Tracepoint { target: None } => (
            "category, name string".into(),
            "to the tracepoint category/name (events/<category>/<name> in tracefs)".into(),
            format!("{rt}AttachTracepoint(fd, category, name)"),
        ),
        Attach::RawTracepoint { target: Some(name) } => (
            String::new(),
            format!("to the raw tracepoint {name}"),
            format!("{rt}AttachRawTracepoint(fd, \"{}\")", names::go_string(&name)),
        ),
        Attach::RawTracepoint { target: None } => (
            "name string".into(),
            "to the raw tracepoint name".into(),
            format!("{rt}AttachRawTracepoint(fd, name)"),
        ),
        Attach::BtfTrace => (
            String::new(),
            "to the kernel function or tracepoint named in its section".into(),
            format!("{rt}AttachRawTracepoint(fd, \"\")"),
        ),
        Attach::Iter => (
            String::new(),
            "as a BPF iterator (a link to read through its Iter method)".into(),
            link_create(rt, "0", AttachType::TraceIter as u32, "0"),
        ),
        Attach::Kprobe { retprobe, target } => kprobe(rt, retprobe, target),
        Attach::Uprobe {
            retprobe,
            target: Some(t),
        } => uprobe_by_name(rt, retprobe, &t),
        Attach::Uprobe {
            retprobe,
            target: None,
        } => (
            "pid int, binaryPath string, fileOffset uint64".into(),
            "to the instruction at fileOffset in the file binaryPath, in process pid (-1: every process); the program's AttachUprobe attaches it by function name".into(),
            format!("{rt}AttachUprobe(fd, {retprobe}, pid, binaryPath, fileOffset)"),
        ),
        Attach::Link {
            target,
            attach_type,
        } => link(rt, target, attach_type),
        Attach::Ksyscall { retprobe, syscall } => ksyscall(rt, retprobe, syscall),
    };
    Some(AttachMethod {
        params,
        doc: names::comment(&doc),
        call,
    })
}

/// A uprobe on the function its section names, found when it attaches.
fn uprobe_by_name(rt: &str, retprobe: bool, t: &UprobeTarget) -> (String, String, String) {
    let what = match (t.func.as_str(), t.offset) {
        ("", off) => format!("file offset {off:#x}"),
        (func, 0) => format!("function {func}"),
        (func, off) => format!("function {func} + {off:#x}"),
    };
    let place = if retprobe { "the return of the" } else { "the" };
    let call = format!(
        "{rt}AttachUprobeFunc(fd, {retprobe}, -1, \"{}\", \"{}\", {})",
        names::go_string(&t.binary),
        names::go_string(&t.func),
        t.offset
    );
    (
        String::new(),
        format!("in every process to {place} {what} of {}", t.binary),
        call,
    )
}

fn kprobe(rt: &str, retprobe: bool, target: Option<(String, u64)>) -> (String, String, String) {
    match target {
        Some((func, offset)) => {
            let doc = match (retprobe, offset) {
                (true, _) => format!("to the return of the kernel function {func}"),
                (false, 0) => format!("to the kernel function {func}"),
                (false, n) => format!("to the kernel function {func}, {n} bytes in"),
            };
            let call = format!(
                "{rt}AttachKprobe(fd, {retprobe}, \"{}\", {offset})",
                names::go_string(&func)
            );
            (String::new(), doc, call)
        }
        None => {
            let doc = if retprobe {
                "to the return of the kernel function named function"
            } else {
                "to the kernel function named function, offset bytes in"
            };
            let call = format!("{rt}AttachKprobe(fd, {retprobe}, function, offset)");
            ("function string, offset uint64".into(), doc.into(), call)
        }
    }
}

fn ksyscall(rt: &str, retprobe: bool, syscall: Option<String>) -> (String, String, String) {
    let what = if retprobe {
        "to the return of"
    } else {
        "to the entry of"
    };
    match syscall {
        Some(name) => (
            String::new(),
            format!("{what} the syscall {name} (its kernel function on this kernel)"),
            format!(
                "{rt}AttachKsyscall(fd, {retprobe}, \"{}\")",
                names::go_string(&name)
            ),
        ),
        None => (
            "syscall string".into(),
            format!("{what} the named syscall (openat, not sys_openat)"),
            format!("{rt}AttachKsyscall(fd, {retprobe}, syscall)"),
        ),
    }
}

fn link(rt: &str, target: LinkTarget, at: u32) -> (String, String, String) {
    let (params, doc, target, flags) = match target {
        LinkTarget::XdpIfindex => (
            "ifindex int, flags uint32",
            "to the network interface ifindex (flags: 0, or XDP_FLAGS_SKB_MODE 2, DRV_MODE 4, HW_MODE 8)",
            "ifindex",
            "flags",
        ),
        LinkTarget::TcxIfindex => (
            "ifindex int",
            "with tcx to the network interface ifindex (Linux 6.6)",
            "ifindex",
            "0",
        ),
        LinkTarget::Cgroup => (
            "cgroupFD int",
            "to the cgroup open at cgroupFD (a cgroup v2 directory)",
            "cgroupFD",
            "0",
        ),
        LinkTarget::Netns => (
            "netnsFD int",
            "to the network namespace open at netnsFD (/proc/self/ns/net)",
            "netnsFD",
            "0",
        ),
        LinkTarget::Sockmap => (
            "mapFD int",
            "to the sockmap or sockhash whose fd is mapFD (a BPF link, Linux 6.10)",
            "mapFD",
            "0",
        ),
        LinkTarget::PerfEvent => (
            "perfFD int",
            "to the perf event open at perfFD (perf_event_open(2)); the link keeps the event alive",
            "perfFD",
            "0",
        ),
    };
    (
        params.into(),
        doc.into(),
        link_create(rt, target, at, flags),
    )
}

/// The call making a `BPF_LINK_CREATE` link, the attach type named in a comment.
fn link_create(rt: &str, target: &str, at: u32, flags: &str) -> String {
    let name = AttachType::from_raw(at).map_or("", AttachType::c_name);
    format!("{rt}LinkCreate(fd, {target}, {at}, {flags}) // {name}")
}
