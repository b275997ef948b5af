//! The attach function of each program in a kernel module. What to attach is decided in
//! [`crate::backend::attach`]; this module keeps the kinds a module can attach through
//! `kern_sys_bpf`, which accepts `BPF_LINK_CREATE` and `BPF_RAW_TRACEPOINT_OPEN` but not
//! `perf_event_open(2)` (tracepoints, kprobes, uprobes are loaded, not attached).

use crate::backend::attach::{attach_of, Attach, LinkTarget};
use crate::backend::c::attach::comment;
use crate::backend::c::names::c_string;
use crate::ir::ProgramSpec;
use crate::uapi::AttachType;
use serde::Serialize;

/// One `NAME__<prog>__attach<suffix>(skel, params...)` function of the kernel header.
#[derive(Debug, Clone, Serialize)]
pub struct KernAttachFn {
    /// Appended to `__attach`: empty for a program that needs no target.
    pub suffix: String,
    /// Parameters after `skel`, each preceded by `, `.
    pub params: String,
    /// What the function does, for its comment.
    pub doc: String,
    /// The runtime helper that makes the link fd.
    pub helper: String,
    /// Arguments of the helper after the program fd, each preceded by `, `.
    pub args: String,
}

/// The kernel attach function of `p`, if a module can attach its kind of program.
pub fn attach_fn(p: &ProgramSpec) -> Option<KernAttachFn> {
    Some(match attach_of(p)? {
        Attach::Iter => KernAttachFn {
            suffix: String::new(),
            params: String::new(),
            doc: "creates a BPF iterator link".into(),
            helper: "skelgen_link_create".into(),
            args: format!(", 0, {}, 0", AttachType::TraceIter as u32),
        },
        Attach::BtfTrace => KernAttachFn {
            suffix: String::new(),
            params: String::new(),
            doc: "attaches to the kernel function or tracepoint named in its section".into(),
            helper: "skelgen_raw_tp_open".into(),
            args: ", NULL".into(),
        },
        Attach::RawTracepoint { target: Some(name) } => KernAttachFn {
            suffix: String::new(),
            params: String::new(),
            doc: format!("attaches to the raw tracepoint {}", comment(&name)),
            helper: "skelgen_raw_tp_open".into(),
            args: format!(", \"{}\"", c_string(&name)),
        },
        Attach::RawTracepoint { target: None } => KernAttachFn {
            suffix: "_raw_tp".into(),
            params: ", const char *name".into(),
            doc: "attaches to the raw tracepoint `name`".into(),
            helper: "skelgen_raw_tp_open".into(),
            args: ", name".into(),
        },
        Attach::Link {
            target: LinkTarget::XdpIfindex,
            attach_type,
        } => KernAttachFn {
            suffix: "_xdp".into(),
            params: ", int ifindex, u32 xdp_flags".into(),
            doc: "attaches to the network interface `ifindex` (xdp_flags: 0, or \
                  XDP_FLAGS_SKB_MODE, XDP_FLAGS_DRV_MODE, XDP_FLAGS_HW_MODE)"
                .into(),
            helper: "skelgen_link_create".into(),
            args: format!(", ifindex, {attach_type}, xdp_flags"),
        },
        // The other targets are fds of open files (cgroups, namespaces, sockmaps, perf
        // events), which a module does not hold; tracepoints and probes need
        // perf_event_open(2).
        Attach::Link { .. }
        | Attach::Tracepoint { .. }
        | Attach::Kprobe { .. }
        | Attach::Uprobe { .. } => return None,
    })
}

/// The attach kinds the kernel header generates a function for, as the support matrix
/// names them.
pub const KINDS: &[&str] = &["raw_tp", "btf_trace", "iter", "xdp"];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uapi::ProgType;

    fn prog(section: &str, prog_type: ProgType, at: Option<AttachType>) -> ProgramSpec {
        ProgramSpec {
            name: "p".into(),
            section: section.into(),
            prog_type,
            expected_attach_type: at,
            attach_to: section.split_once('/').map(|(_, t)| t.to_string()),
            btf_target: None,
            flags: 0,
            autoload: true,
            insns: Vec::new(),
            func_info: Vec::new(),
            line_info: Vec::new(),
            core_relos: Vec::new(),
            relocations: Vec::new(),
        }
    }

    #[test]
    fn module_attach_kinds() {
        let iter = prog(
            "iter/bpf_map",
            ProgType::Tracing,
            Some(AttachType::TraceIter),
        );
        let f = attach_fn(&iter).unwrap();
        assert_eq!(f.helper, "skelgen_link_create");
        assert!(f.suffix.is_empty());

        let raw = prog("raw_tp/sys_enter", ProgType::RawTracepoint, None);
        let f = attach_fn(&raw).unwrap();
        assert_eq!(f.args, ", \"sys_enter\"");

        let bare = prog("raw_tp", ProgType::RawTracepoint, None);
        assert_eq!(attach_fn(&bare).unwrap().suffix, "_raw_tp");

        let xdp = prog("xdp", ProgType::Xdp, Some(AttachType::Xdp));
        assert_eq!(attach_fn(&xdp).unwrap().suffix, "_xdp");

        for p in [
            prog("tp/syscalls/sys_enter_getpid", ProgType::Tracepoint, None),
            prog("kprobe/do_unlinkat", ProgType::Kprobe, None),
            prog(
                "cgroup_skb/ingress",
                ProgType::CgroupSkb,
                Some(AttachType::CgroupInetIngress),
            ),
        ] {
            assert!(attach_fn(&p).is_none(), "{}", p.section);
        }
    }

    #[test]
    fn kinds_are_matrix_kinds() {
        for k in KINDS {
            assert!(Attach::KINDS.contains(k), "{k}");
        }
    }
}
