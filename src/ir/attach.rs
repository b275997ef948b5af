//! How each program is attached: decided once, in `lower`, from libbpf's section table, and
//! kept in [`super::ProgramSpec::attach`] so `--emit ir` shows it.
//!
//! A backend maps an [`Attach`] to a function in its language; it never looks at section
//! names or program types itself, so all four skeletons attach the same programs the same
//! way.

use serde::{Deserialize, Serialize};

/// What attaching one program takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Attach {
    /// A perf-event tracepoint: `perf_event_open` of `events/<category>/<name>`, then a
    /// perf-event link. Without a target in the section, the caller names it.
    Tracepoint {
        /// `(category, name)` from the section, if it names one.
        target: Option<(String, String)>,
    },
    /// `BPF_RAW_TRACEPOINT_OPEN` with a name. Without a target, the caller names it.
    RawTracepoint {
        /// The tracepoint from the section, if it names one.
        target: Option<String>,
    },
    /// `BPF_RAW_TRACEPOINT_OPEN` with no name: fentry/fexit/fmod_ret/lsm/tp_btf, whose
    /// target was fixed at load time.
    BtfTrace,
    /// A BPF iterator link (`BPF_LINK_CREATE`, `BPF_TRACE_ITER`).
    Iter,
    /// A kprobe or kretprobe through `perf_event_open` of the kprobe PMU.
    Kprobe {
        /// kretprobe.
        retprobe: bool,
        /// `(function, offset)` from the section, if it names one.
        target: Option<(String, u64)>,
    },
    /// A uprobe or uretprobe. With a target in the section (`uprobe/BINARY:FUNC[+OFF]`)
    /// the skeleton finds the binary and the function's file offset at attach time;
    /// without one the caller names them.
    Uprobe {
        /// uretprobe.
        retprobe: bool,
        /// The binary, function and offset from the section, if it names them.
        #[serde(default)]
        target: Option<UprobeTarget>,
    },
    /// `BPF_LINK_CREATE` on an object the caller opens and passes as an fd or index.
    Link {
        /// What the caller passes.
        target: LinkTarget,
        /// `attach_type` of the link.
        attach_type: u32,
    },
    /// A kprobe (`ksyscall/<name>`) or kretprobe (`kretsyscall/<name>`) on a syscall: the
    /// runtime names it as the running kernel does (`__x64_sys_<name>` where the kernel has
    /// architecture-specific syscall wrappers, `sys_<name>` where it has none), as libbpf
    /// does. Without a syscall in the section, the caller names it.
    Ksyscall {
        /// kretsyscall.
        retprobe: bool,
        /// The syscall from the section (`openat`), if it names one.
        syscall: Option<String>,
    },
}

/// Where a uprobe section says to attach: `BINARY:FUNC`, `BINARY:FUNC+OFF` or
/// `BINARY:OFF` (a file offset, no function).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UprobeTarget {
    /// A path, or a bare name the runtime looks for in the library or program paths.
    pub binary: String,
    /// The function's symbol name; empty when `offset` is a file offset.
    pub func: String,
    /// Bytes into the function, or into the file without one.
    pub offset: u64,
}

/// The object a [`Attach::Link`] program is linked to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkTarget {
    /// A network interface index, plus XDP flags.
    XdpIfindex,
    /// A network interface index (tcx).
    TcxIfindex,
    /// An fd of an open cgroup v2 directory.
    Cgroup,
    /// An fd of a network namespace (`/proc/self/ns/net`).
    Netns,
    /// An fd of a sockmap or sockhash.
    Sockmap,
    /// An fd from `perf_event_open(2)`.
    PerfEvent,
}

impl Attach {
    /// Every kind, named as the support matrix names it.
    pub const KINDS: &'static [&'static str] = &[
        "tracepoint",
        "raw_tp",
        "btf_trace",
        "iter",
        "kprobe",
        "uprobe",
        "xdp",
        "tcx",
        "cgroup",
        "netns",
        "sockmap",
        "perf_event",
        "ksyscall",
    ];

    /// The kind's name in [`Attach::KINDS`].
    pub fn kind(&self) -> &'static str {
        match self {
            Attach::Tracepoint { .. } => "tracepoint",
            Attach::RawTracepoint { .. } => "raw_tp",
            Attach::BtfTrace => "btf_trace",
            Attach::Iter => "iter",
            Attach::Kprobe { .. } => "kprobe",
            Attach::Uprobe { .. } => "uprobe",
            Attach::Link { target, .. } => match target {
                LinkTarget::XdpIfindex => "xdp",
                LinkTarget::TcxIfindex => "tcx",
                LinkTarget::Cgroup => "cgroup",
                LinkTarget::Netns => "netns",
                LinkTarget::Sockmap => "sockmap",
                LinkTarget::PerfEvent => "perf_event",
            },
            Attach::Ksyscall { .. } => "ksyscall",
        }
    }

    /// Whether the attach-all call attaches it: only programs that need nothing from the
    /// caller.
    pub fn needs_no_target(&self) -> bool {
        match self {
            Attach::Tracepoint { target } => target.is_some(),
            Attach::RawTracepoint { target } => target.is_some(),
            Attach::Kprobe { target, .. } => target.is_some(),
            Attach::Ksyscall { syscall, .. } => syscall.is_some(),
            Attach::Uprobe { target, .. } => target.is_some(),
            Attach::BtfTrace | Attach::Iter => true,
            Attach::Link { .. } => false,
        }
    }

    /// What the caller names to attach a program the attach-all call leaves alone (for the
    /// skeletons' documentation); `None` for one it attaches.
    pub fn caller_names(&self) -> Option<&'static str> {
        let what = match self {
            _ if self.needs_no_target() => return None,
            Attach::Tracepoint { .. } => "the tracepoint (its section names none)",
            Attach::RawTracepoint { .. } => "the raw tracepoint (its section names none)",
            Attach::Kprobe { .. } => "the kernel function (its section names none)",
            Attach::Ksyscall { .. } => "the syscall (its section names none)",
            Attach::Uprobe { .. } => "the process, binary and file offset",
            Attach::Link { target, .. } => match target {
                LinkTarget::XdpIfindex | LinkTarget::TcxIfindex => "the network interface",
                LinkTarget::Cgroup => "the cgroup",
                LinkTarget::Netns => "the network namespace",
                LinkTarget::Sockmap => "the sockmap or sockhash",
                LinkTarget::PerfEvent => "the perf event",
            },
            Attach::BtfTrace | Attach::Iter => return None,
        };
        Some(what)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_listed() {
        let samples = [
            Attach::Tracepoint { target: None },
            Attach::RawTracepoint { target: None },
            Attach::BtfTrace,
            Attach::Iter,
            Attach::Kprobe {
                retprobe: false,
                target: None,
            },
            Attach::Uprobe {
                retprobe: true,
                target: None,
            },
            Attach::Ksyscall {
                retprobe: false,
                syscall: None,
            },
        ];
        for a in &samples {
            assert!(Attach::KINDS.contains(&a.kind()), "{a:?}");
            // The attach-all call attaches it, or the documentation says what it needs.
            assert_ne!(a.needs_no_target(), a.caller_names().is_some(), "{a:?}");
        }
    }
}
