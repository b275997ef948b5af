//! The C attach function of each program: which runtime helper, with which arguments, and
//! which parameters the caller gives. What to attach is decided in `lower`
//! ([`crate::ir::Attach`]).

use super::names;
use crate::ir::ProgramSpec;
use crate::ir::{Attach, LinkTarget, UprobeTarget};
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
    /// The helper writes what failed into `skel->priv.err_text`, which `skel->err_step`
    /// then points at.
    pub names_error: bool,
}

/// The attach function of `p`, if skelgen can attach its kind of program.
pub fn attach_fn(p: &ProgramSpec) -> Option<AttachFn> {
    Some(match p.attach.clone()? {
        Attach::Tracepoint { target } => tracepoint(target),
        Attach::RawTracepoint { target } => raw_tp(target),
        Attach::BtfTrace => AttachFn {
            suffix: String::new(),
            params: String::new(),
            doc: "attaches to the kernel function or tracepoint named in its section".into(),
            helper: "skelgen_attach_raw_tp".into(),
            args: ", NULL".into(),
            names_error: false,
        },
        Attach::Iter => {
            let at = crate::uapi::AttachType::TraceIter as u32;
            link("", "", "creates a BPF iterator link", "0", at, "0")
        }
        Attach::Kprobe { retprobe, target } => kprobe(target, retprobe),
        Attach::Uprobe {
            retprobe,
            target: Some(t),
        } => uprobe_by_name(&t, retprobe),
        Attach::Uprobe {
            retprobe,
            target: None,
        } => AttachFn {
            suffix: "_uprobe".into(),
            params: ", int pid, const char *binary_path, uint64_t file_offset".into(),
            doc: "attaches to the instruction at `file_offset` in the file `binary_path`, in \
                  process `pid` (-1: every process); skelgen_attach_uprobe_opts() attaches it \
                  by function name"
                .into(),
            helper: "skelgen_attach_uprobe".into(),
            args: format!(", {}, pid, binary_path, file_offset", u8::from(retprobe)),
            names_error: false,
        },
        Attach::Link {
            target,
            attach_type,
        } => target_link(target, attach_type),
        Attach::Ksyscall { retprobe, syscall } => ksyscall(syscall, retprobe),
    })
}

/// A uprobe on the function its section names, found when it attaches; a failure says why
/// in `skel->err_step`.
fn uprobe_by_name(t: &UprobeTarget, retprobe: bool) -> AttachFn {
    let what = match (t.func.as_str(), t.offset) {
        ("", off) => format!("file offset {off:#x}"),
        (func, 0) => format!("function {func}"),
        (func, off) => format!("function {func} + {off:#x}"),
    };
    let place = if retprobe { "the return of the" } else { "the" };
    AttachFn {
        suffix: String::new(),
        params: String::new(),
        doc: comment(&format!(
            "attaches in every process to {place} {what} of {}",
            t.binary
        )),
        helper: "skelgen_attach_uprobe_name".into(),
        args: format!(
            ", {}, -1, \"{}\", \"{}\", {}, skel->priv.err_text, sizeof(skel->priv.err_text)",
            u8::from(retprobe),
            names::c_string(&t.binary),
            names::c_string(&t.func),
            t.offset
        ),
        names_error: true,
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
        names_error: false,
    }
}

/// Programs linked to a target the caller names: an interface, a cgroup, a namespace, a
/// sockmap or a perf event.
fn target_link(target: LinkTarget, at: u32) -> AttachFn {
    let (suffix, param, doc) = match target {
        LinkTarget::XdpIfindex => {
            let doc = "attaches to the network interface `ifindex` (xdp_flags: 0, or \
                       XDP_FLAGS_SKB_MODE 2, DRV_MODE 4, HW_MODE 8)";
            let params = ", int ifindex, uint32_t xdp_flags";
            return link("_xdp", params, doc, "ifindex", at, "xdp_flags");
        }
        LinkTarget::PerfEvent => (
            "_perf_event",
            "perf_fd",
            "attaches to the perf event open at `perf_fd` (perf_event_open(2)); the link keeps \
             the event alive",
        ),
        LinkTarget::TcxIfindex => (
            "_tcx",
            "ifindex",
            "attaches with tcx to the network interface `ifindex` (Linux 6.6)",
        ),
        LinkTarget::Cgroup => (
            "_cgroup",
            "cgroup_fd",
            "attaches to the cgroup open at `cgroup_fd` (a cgroup v2 directory)",
        ),
        LinkTarget::Netns => (
            "_netns",
            "netns_fd",
            "attaches to the network namespace open at `netns_fd` (/proc/self/ns/net)",
        ),
        LinkTarget::Sockmap => (
            "_sockmap",
            "map_fd",
            "attaches to the sockmap or sockhash whose fd is `map_fd` (a BPF link, Linux 6.10)",
        ),
    };
    link(suffix, &format!(", int {param}"), doc, param, at, "0")
}

fn tracepoint(target: Option<(String, String)>) -> AttachFn {
    match target {
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
                names::c_string(&cat),
                names::c_string(&name)
            ),
            names_error: false,
        },
        None => AttachFn {
            suffix: "_tracepoint".into(),
            params: ", const char *category, const char *name".into(),
            doc:
                "attaches to the tracepoint `category`/`name` (events/<category>/<name> in tracefs)"
                    .into(),
            helper: "skelgen_attach_tracepoint".into(),
            args: ", category, name".into(),
            names_error: false,
        },
    }
}

fn kprobe(target: Option<(String, u64)>, ret: bool) -> AttachFn {
    let ret = u8::from(ret);
    match target {
        Some((func, offset)) => AttachFn {
            suffix: String::new(),
            params: String::new(),
            doc: format!("attaches to the kernel function {}", comment(&func)),
            helper: "skelgen_attach_kprobe".into(),
            args: format!(", {ret}, \"{}\", {offset}", names::c_string(&func)),
            names_error: false,
        },
        None => AttachFn {
            suffix: "_kprobe".into(),
            params: ", const char *func, uint64_t offset".into(),
            doc: "attaches to the kernel function `func` at `offset` bytes".into(),
            helper: "skelgen_attach_kprobe".into(),
            args: format!(", {ret}, func, offset"),
            names_error: false,
        },
    }
}

fn ksyscall(syscall: Option<String>, ret: bool) -> AttachFn {
    let what = if ret { "the return of" } else { "the entry of" };
    let ret = u8::from(ret);
    match syscall {
        Some(name) => AttachFn {
            suffix: String::new(),
            params: String::new(),
            doc: format!(
                "attaches to {what} the syscall {} (its kernel function on this kernel)",
                comment(&name)
            ),
            helper: "skelgen_attach_ksyscall".into(),
            args: format!(", {ret}, \"{}\"", names::c_string(&name)),
            names_error: false,
        },
        None => AttachFn {
            suffix: "_ksyscall".into(),
            params: ", const char *syscall".into(),
            doc: format!("attaches to {what} the syscall `syscall` (openat, not sys_openat)"),
            helper: "skelgen_attach_ksyscall".into(),
            args: format!(", {ret}, syscall"),
            names_error: false,
        },
    }
}

fn raw_tp(target: Option<String>) -> AttachFn {
    match target {
        Some(name) => AttachFn {
            suffix: String::new(),
            params: String::new(),
            doc: format!("attaches to the raw tracepoint {}", comment(&name)),
            helper: "skelgen_attach_raw_tp".into(),
            args: format!(", \"{}\"", names::c_string(&name)),
            names_error: false,
        },
        None => AttachFn {
            suffix: "_raw_tp".into(),
            params: ", const char *name".into(),
            doc: "attaches to the raw tracepoint `name`".into(),
            helper: "skelgen_attach_raw_tp".into(),
            args: ", name".into(),
            names_error: false,
        },
    }
}

/// `text` made safe inside a C comment.
pub fn comment(text: &str) -> String {
    text.replace("*/", "* /").replace('\n', " ")
}
