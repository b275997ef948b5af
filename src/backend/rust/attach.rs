//! The Rust attach method of each program: its name, parameters, and the runtime's
//! `Attach` value it passes. What to attach is decided in `lower` ([`crate::ir::Attach`]).

use super::names::{doc, doc_lines, escape, string_literal};
use crate::ir::ProgramSpec;
use crate::ir::{Attach, LinkTarget, UprobeTarget};
use crate::uapi::AttachType;
use serde::Serialize;

/// One `attach_<prog>[_<kind>](&self, params...) -> Result<Link, Error>` method.
#[derive(Debug, Clone, Serialize)]
pub struct AttachMethod {
    /// The method's name.
    pub method: String,
    /// Appended to `attach_<prog>`: empty for a program that needs no target.
    pub suffix: &'static str,
    /// Parameters after `&self`, each followed by `, `.
    pub params: String,
    /// The doc comment's lines.
    pub doc: Vec<String>,
    /// The `runtime::Attach` value.
    pub how: String,
    /// For a uprobe on the function its section names: the `runtime::UprobeOpts` value
    /// `Prog::attach_uprobe` takes (then `how` is unused).
    pub by_name: Option<String>,
}

/// The attach method of `p`, if skelgen can attach its kind of program.
pub fn attach_method(p: &ProgramSpec) -> Option<AttachMethod> {
    let (suffix, params, doc, how) = match p.attach.clone()? {
        Attach::Tracepoint { target } => tracepoint(target),
        Attach::RawTracepoint { target: Some(name) } => (
            "",
            String::new(),
            format!("the raw tracepoint `{name}`"),
            format!("RawTracepoint {{ name: Some({}) }}", string_literal(&name)),
        ),
        Attach::RawTracepoint { target: None } => (
            "_raw_tp",
            "name: &str, ".into(),
            "the raw tracepoint `name`".into(),
            "RawTracepoint { name: Some(name) }".into(),
        ),
        Attach::BtfTrace => (
            "",
            String::new(),
            "the kernel function or tracepoint its section names (found when it loaded)".into(),
            "RawTracepoint { name: None }".into(),
        ),
        Attach::Iter => (
            "",
            String::new(),
            "a new BPF iterator link (read it with `Link::open_iter`)".into(),
            format!("Iter {{ attach_type: {} }}", AttachType::TraceIter as u32),
        ),
        Attach::Kprobe { retprobe, target } => kprobe(retprobe, target),
        Attach::Uprobe {
            retprobe,
            target: Some(t),
        } => return Some(uprobe_by_name(p, retprobe, &t)),
        Attach::Uprobe {
            retprobe,
            target: None,
        } => (
            "_uprobe",
            "pid: Option<i32>, binary: &std::path::Path, offset: u64, ".into(),
            "the instruction at file offset `offset` of `binary`, in process `pid` (`None`: \
             every process); `Prog::attach_uprobe` attaches it by function name"
                .into(),
            format!("Uprobe {{ retprobe: {retprobe}, pid, binary, offset }}"),
        ),
        Attach::Link {
            target,
            attach_type,
        } => link(target, attach_type),
        Attach::Ksyscall { retprobe, syscall } => ksyscall(retprobe, syscall),
    };
    Some(AttachMethod {
        method: escape(&format!("attach_{}", p.name)),
        suffix,
        params,
        doc: doc_lines(
            &format!("Attaches `{}` (section `{}`) to {doc}.", p.name, p.section),
            88,
        ),
        how: format!("runtime::Attach::{how}"),
        by_name: None,
    })
}

type Parts = (&'static str, String, String, String);

fn tracepoint(target: Option<(String, String)>) -> Parts {
    match target {
        Some((category, name)) => (
            "",
            String::new(),
            format!("the tracepoint `{}`", doc(&format!("{category}/{name}"))),
            format!(
                "Tracepoint {{ category: {}, name: {} }}",
                string_literal(&category),
                string_literal(&name)
            ),
        ),
        None => (
            "_tracepoint",
            "category: &str, name: &str, ".into(),
            "the tracepoint `category`/`name` (`events/<category>/<name>` in tracefs)".into(),
            "Tracepoint { category, name }".into(),
        ),
    }
}

/// A uprobe on the function its section names, found when it attaches.
fn uprobe_by_name(p: &ProgramSpec, retprobe: bool, t: &UprobeTarget) -> AttachMethod {
    let what = match (t.func.as_str(), t.offset) {
        ("", off) => format!("file offset {off:#x}"),
        (func, 0) => format!("function `{}`", doc(func)),
        (func, off) => format!("function `{}` + {off:#x}", doc(func)),
    };
    let place = if retprobe { "the return of the" } else { "the" };
    AttachMethod {
        method: escape(&format!("attach_{}", p.name)),
        suffix: "",
        params: String::new(),
        doc: doc_lines(
            &format!(
                "Attaches `{}` (section `{}`) to {place} {what} of `{}`, in every process \
                 (the binary and the function are found now).",
                p.name,
                p.section,
                doc(&t.binary)
            ),
            88,
        ),
        how: String::new(),
        by_name: Some(format!(
            "runtime::UprobeOpts {{ binary: std::path::Path::new({}), func: {}, offset: {}, \
             pid: None, retprobe: {retprobe} }}",
            string_literal(&t.binary),
            string_literal(&t.func),
            t.offset
        )),
    }
}

fn kprobe(retprobe: bool, target: Option<(String, u64)>) -> Parts {
    match target {
        Some((func, offset)) => (
            "",
            String::new(),
            format!("the kernel function `{}`", doc(&func)),
            format!(
                "Kprobe {{ retprobe: {retprobe}, func: {}, offset: {offset} }}",
                string_literal(&func)
            ),
        ),
        None => (
            "_kprobe",
            "func: &str, offset: u64, ".into(),
            "the kernel function `func`, `offset` bytes in".into(),
            format!("Kprobe {{ retprobe: {retprobe}, func, offset }}"),
        ),
    }
}

fn ksyscall(retprobe: bool, syscall: Option<String>) -> Parts {
    let what = if retprobe {
        "the return of"
    } else {
        "the entry of"
    };
    match syscall {
        Some(name) => (
            "",
            String::new(),
            format!(
                "{what} the syscall `{}` (its kernel function on this kernel)",
                doc(&name)
            ),
            format!(
                "Ksyscall {{ retprobe: {retprobe}, syscall: {} }}",
                string_literal(&name)
            ),
        ),
        None => (
            "_ksyscall",
            "syscall: &str, ".into(),
            format!("{what} the syscall `syscall` (`openat`, not `sys_openat`)"),
            format!("Ksyscall {{ retprobe: {retprobe}, syscall }}"),
        ),
    }
}

fn link(target: LinkTarget, attach_type: u32) -> Parts {
    let (suffix, param, doc) = match target {
        LinkTarget::XdpIfindex => {
            return (
                "_xdp",
                "ifindex: u32, flags: u32, ".into(),
                "the network interface `ifindex` (`flags`: 0, or XDP_FLAGS_SKB_MODE 2, \
                 DRV_MODE 4, HW_MODE 8)"
                    .into(),
                format!("Ifindex {{ ifindex, attach_type: {attach_type}, flags }}"),
            )
        }
        LinkTarget::TcxIfindex => {
            return (
                "_tcx",
                "ifindex: u32, ".into(),
                "the network interface `ifindex`, with tcx (Linux 6.6)".into(),
                format!("Ifindex {{ ifindex, attach_type: {attach_type}, flags: 0 }}"),
            )
        }
        LinkTarget::PerfEvent => (
            "_perf_event",
            "perf_event",
            "the perf event `perf_event` (from perf_event_open(2)); the link keeps it alive",
        ),
        LinkTarget::Cgroup => (
            "_cgroup",
            "cgroup",
            "the cgroup `cgroup` (an open cgroup v2 directory)",
        ),
        LinkTarget::Netns => (
            "_netns",
            "netns",
            "the network namespace `netns` (an open `/proc/<pid>/ns/net`)",
        ),
        LinkTarget::Sockmap => (
            "_sockmap",
            "map",
            "the sockmap or sockhash `map` (a BPF link, Linux 6.10)",
        ),
    };
    (
        suffix,
        format!("{param}: impl std::os::fd::AsFd, "),
        doc.into(),
        format!("Fd {{ target: {param}.as_fd(), attach_type: {attach_type} }}"),
    )
}
