//! How each program is attached from C: which runtime helper, with which arguments, and
//! whether it needs a target from the caller.

use super::names;
use crate::ir::ProgramSpec;
use crate::uapi::{AttachType, ProgType};
use serde::Serialize;

/// One `NAME__<prog>__attach<suffix>(skel, params...)` function.
#[derive(Debug, Clone, Serialize)]
pub struct AttachFn {
    /// Appended to `__attach`: empty for a program that needs no target.
    pub suffix: String,
    /// Parameters after `skel`, each preceded by `, `.
    pub params: String,
    /// What the parameters are, for the doc comment.
    pub doc: String,
    /// The runtime helper that makes the link.
    pub helper: String,
    /// Arguments of the helper after the program fd, each preceded by `, `.
    pub args: String,
}

/// `BPF_PERF_EVENT`, the attach type of a perf-event link.
const PERF_EVENT: u32 = AttachType::PerfEvent as u32;

/// The attach function of `p`, if skelgen can attach its kind of program.
pub fn attach_fn(p: &ProgramSpec) -> Option<AttachFn> {
    let at = p.expected_attach_type;
    let target = p.attach_to.as_deref().filter(|t| !t.is_empty());
    match p.prog_type {
        ProgType::Tracepoint => Some(tracepoint(target)),
        ProgType::RawTracepoint | ProgType::RawTracepointWritable => Some(raw_tp(target)),
        ProgType::Tracing if at == Some(AttachType::TraceIter) => {
            let doc = "creates a BPF iterator link";
            Some(link("", "", doc, "0", AttachType::TraceIter as u32, "0"))
        }
        ProgType::Lsm if at == Some(AttachType::LsmCgroup) => {
            let doc = "attaches to the cgroup open at `cgroup_fd` (a cgroup v2 directory)";
            let at = AttachType::LsmCgroup as u32;
            Some(link(
                "_cgroup",
                ", int cgroup_fd",
                doc,
                "cgroup_fd",
                at,
                "0",
            ))
        }
        // fsession (Linux 7.0) is attached differently; skelgen does not attach it.
        ProgType::Tracing if at == Some(AttachType::TraceFsession) => None,
        ProgType::Tracing | ProgType::Lsm if p.btf_target.is_some() => Some(AttachFn {
            suffix: String::new(),
            params: String::new(),
            doc: "attaches to the kernel function or tracepoint named in its section".into(),
            helper: "skelgen_attach_raw_tp".into(),
            args: ", NULL".into(),
        }),
        // kprobe.multi, uprobe.multi and sessions need attach options skelgen does not write.
        ProgType::Kprobe if at.is_some() => None,
        ProgType::Kprobe => probe(&p.section, target),
        other => target_link(other, at),
    }
}

/// A `BPF_LINK_CREATE` attach function.
fn link(suffix: &str, params: &str, doc: &str, target: &str, at: u32, flags: &str) -> AttachFn {
    AttachFn {
        suffix: suffix.into(),
        params: params.into(),
        doc: doc.into(),
        helper: "skelgen_link_create".into(),
        args: format!(", {target}, {at}, {flags}"),
    }
}

/// Programs linked to a target the caller names: an interface, a cgroup, a namespace, a
/// sockmap or a perf event.
fn target_link(t: ProgType, at: Option<AttachType>) -> Option<AttachFn> {
    let at = at.map(|a| a as u32);
    let (suffix, param, doc) = match t {
        // xdp/devmap and xdp/cpumap programs go into map entries, not onto interfaces.
        ProgType::Xdp if at.is_some_and(|a| a != AttachType::Xdp as u32) => return None,
        ProgType::Xdp => {
            let doc = "attaches to the network interface `ifindex` (xdp_flags: 0, or \
                       XDP_FLAGS_SKB_MODE 2, DRV_MODE 4, HW_MODE 8)";
            let at = AttachType::Xdp as u32;
            let params = ", int ifindex, uint32_t xdp_flags";
            return Some(link("_xdp", params, doc, "ifindex", at, "xdp_flags"));
        }
        ProgType::PerfEvent => {
            let doc = "attaches to the perf event open at `perf_fd` (perf_event_open(2)); the \
                       link keeps the event alive";
            return Some(link(
                "_perf_event",
                ", int perf_fd",
                doc,
                "perf_fd",
                PERF_EVENT,
                "0",
            ));
        }
        ProgType::SchedCls
            if at == Some(AttachType::TcxIngress as u32)
                || at == Some(AttachType::TcxEgress as u32) =>
        {
            let doc = "attaches with tcx to the network interface `ifindex` (Linux 6.6)";
            ("_tcx", "ifindex", doc)
        }
        ProgType::CgroupSkb
        | ProgType::CgroupSock
        | ProgType::CgroupSockAddr
        | ProgType::CgroupSockopt
        | ProgType::CgroupSysctl
        | ProgType::CgroupDevice
        | ProgType::SockOps => {
            let doc = "attaches to the cgroup open at `cgroup_fd` (a cgroup v2 directory)";
            ("_cgroup", "cgroup_fd", doc)
        }
        ProgType::SkLookup | ProgType::FlowDissector => {
            let doc = "attaches to the network namespace open at `netns_fd` (/proc/self/ns/net)";
            ("_netns", "netns_fd", doc)
        }
        ProgType::SkSkb | ProgType::SkMsg => {
            let doc = "attaches to the sockmap or sockhash whose fd is `map_fd` (a BPF link, \
                       Linux 6.10)";
            ("_sockmap", "map_fd", doc)
        }
        _ => return None,
    };
    Some(link(
        suffix,
        &format!(", int {param}"),
        doc,
        param,
        at?,
        "0",
    ))
}

/// kprobes and uprobes, told apart by their section.
fn probe(section: &str, target: Option<&str>) -> Option<AttachFn> {
    if section.starts_with("kprobe") || section.starts_with("kretprobe") {
        return Some(kprobe(target, section.starts_with("kretprobe")));
    }
    if !(section.starts_with("uprobe") || section.starts_with("uretprobe")) {
        return None;
    }
    let ret = u8::from(section.starts_with("uretprobe"));
    Some(AttachFn {
        suffix: "_uprobe".into(),
        params: ", int pid, const char *binary_path, uint64_t file_offset".into(),
        doc: "attaches to the instruction at `file_offset` in the file `binary_path`, in \
              process `pid` (-1: every process)"
            .into(),
        helper: "skelgen_attach_uprobe".into(),
        args: format!(", {ret}, pid, binary_path, file_offset"),
    })
}

fn tracepoint(target: Option<&str>) -> AttachFn {
    match target.and_then(|t| t.split_once('/')) {
        Some((cat, name)) => AttachFn {
            suffix: String::new(),
            params: String::new(),
            doc: format!(
                "attaches to the tracepoint {}",
                comment(&format!("{cat}/{name}"))
            ),
            helper: "skelgen_attach_tracepoint".into(),
            args: format!(
                ", \"{}\", \"{}\"",
                names::c_string(cat),
                names::c_string(name)
            ),
        },
        None => AttachFn {
            suffix: "_tracepoint".into(),
            params: ", const char *category, const char *name".into(),
            doc:
                "attaches to the tracepoint `category`/`name` (events/<category>/<name> in tracefs)"
                    .into(),
            helper: "skelgen_attach_tracepoint".into(),
            args: ", category, name".into(),
        },
    }
}

fn kprobe(target: Option<&str>, ret: bool) -> AttachFn {
    let ret = u8::from(ret);
    let named = target.and_then(|t| match t.split_once('+') {
        None => Some((t, 0)),
        Some((func, off)) => parse_offset(off).map(|o| (func, o)),
    });
    match named {
        Some((func, offset)) => AttachFn {
            suffix: String::new(),
            params: String::new(),
            doc: format!("attaches to the kernel function {}", comment(func)),
            helper: "skelgen_attach_kprobe".into(),
            args: format!(", {ret}, \"{}\", {offset}", names::c_string(func)),
        },
        None => AttachFn {
            suffix: "_kprobe".into(),
            params: ", const char *func, uint64_t offset".into(),
            doc: "attaches to the kernel function `func` at `offset` bytes".into(),
            helper: "skelgen_attach_kprobe".into(),
            args: format!(", {ret}, func, offset"),
        },
    }
}

/// A `kprobe/func+off` offset: decimal or `0x` hexadecimal.
fn parse_offset(text: &str) -> Option<u64> {
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

fn raw_tp(target: Option<&str>) -> AttachFn {
    match target {
        Some(name) => AttachFn {
            suffix: String::new(),
            params: String::new(),
            doc: format!("attaches to the raw tracepoint {}", comment(name)),
            helper: "skelgen_attach_raw_tp".into(),
            args: format!(", \"{}\"", names::c_string(name)),
        },
        None => AttachFn {
            suffix: "_raw_tp".into(),
            params: ", const char *name".into(),
            doc: "attaches to the raw tracepoint `name`".into(),
            helper: "skelgen_attach_raw_tp".into(),
            args: ", name".into(),
        },
    }
}

/// `text` made safe inside a C comment.
pub fn comment(text: &str) -> String {
    text.replace("*/", "* /").replace('\n', " ")
}
