//! The attach function of each program in a kernel module. What to attach is decided in
//! `lower` ([`crate::ir::Attach`]); this module keeps the kinds a module can attach through
//! `kern_sys_bpf`, which accepts `BPF_LINK_CREATE` and `BPF_RAW_TRACEPOINT_OPEN` but not
//! `perf_event_open(2)` (tracepoints, kprobes, uprobes are loaded, not attached).

use crate::backend::c::attach::comment;
use crate::backend::c::names::c_string;
use crate::ir::ProgramSpec;
use crate::ir::{Attach, LinkTarget};
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
    Some(match p.attach.clone()? {
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
        | Attach::Ksyscall { .. }
        | Attach::Uprobe { .. } => return None,
    })
}

/// The attach kinds the kernel header generates a function for, as the support matrix
/// names them.
pub const KINDS: &[&str] = &["raw_tp", "btf_trace", "iter", "xdp"];

#[cfg(test)]
mod tests {
    use super::*;

    fn prog(section: &str) -> ProgramSpec {
        let def = crate::lower::sec_def::classify(section).expect(section);
        ProgramSpec {
            name: "p".into(),
            section: section.into(),
            prog_type: def.prog_type,
            expected_attach_type: def.expected_attach_type,
            attach_to: def.attach_to,
            btf_target: def.btf_target,
            attach: def.attach,
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
        let f = attach_fn(&prog("iter/bpf_map")).unwrap();
        assert_eq!(f.helper, "skelgen_link_create");
        assert!(f.suffix.is_empty());

        let f = attach_fn(&prog("raw_tp/sys_enter")).unwrap();
        assert_eq!(f.args, ", \"sys_enter\"");

        assert_eq!(attach_fn(&prog("raw_tp")).unwrap().suffix, "_raw_tp");
        assert_eq!(attach_fn(&prog("xdp")).unwrap().suffix, "_xdp");

        for section in [
            "tp/syscalls/sys_enter_getpid",
            "kprobe/do_unlinkat",
            "cgroup_skb/ingress",
        ] {
            assert!(attach_fn(&prog(section)).is_none(), "{section}");
        }
    }

    #[test]
    fn kinds_are_matrix_kinds() {
        for k in KINDS {
            assert!(Attach::KINDS.contains(k), "{k}");
        }
    }
}
