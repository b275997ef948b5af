//! How each program is attached, decided once for every backend.
//!
//! A backend maps an [`Attach`] to a function in its language; it never looks at section
//! names or program types itself, so all four skeletons attach the same programs the same
//! way.

use crate::ir::ProgramSpec;
use crate::uapi::{AttachType, ProgType};
use serde::Serialize;

/// What attaching one program takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    /// A uprobe or uretprobe: the caller gives pid, binary path and file offset.
    Uprobe {
        /// uretprobe.
        retprobe: bool,
    },
    /// `BPF_LINK_CREATE` on an object the caller opens and passes as an fd or index.
    Link {
        /// What the caller passes.
        target: LinkTarget,
        /// `attach_type` of the link.
        attach_type: u32,
    },
}

/// The object a [`Attach::Link`] program is linked to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
        }
    }

    /// Whether the attach-all call attaches it: only programs that need nothing from the
    /// caller.
    pub fn needs_no_target(&self) -> bool {
        match self {
            Attach::Tracepoint { target } => target.is_some(),
            Attach::RawTracepoint { target } => target.is_some(),
            Attach::Kprobe { target, .. } => target.is_some(),
            Attach::BtfTrace | Attach::Iter => true,
            Attach::Uprobe { .. } | Attach::Link { .. } => false,
        }
    }
}

/// How `p` is attached, or `None` when skelgen does not attach its kind of program (the
/// skeleton still loads it and hands out its fd).
pub fn attach_of(p: &ProgramSpec) -> Option<Attach> {
    let at = p.expected_attach_type;
    let target = p.attach_to.as_deref().filter(|t| !t.is_empty());
    match p.prog_type {
        ProgType::Tracepoint => Some(Attach::Tracepoint {
            target: target
                .and_then(|t| t.split_once('/'))
                .map(|(c, n)| (c.to_string(), n.to_string())),
        }),
        ProgType::RawTracepoint | ProgType::RawTracepointWritable => Some(Attach::RawTracepoint {
            target: target.map(str::to_string),
        }),
        ProgType::Tracing if at == Some(AttachType::TraceIter) => Some(Attach::Iter),
        ProgType::Lsm if at == Some(AttachType::LsmCgroup) => Some(Attach::Link {
            target: LinkTarget::Cgroup,
            attach_type: AttachType::LsmCgroup as u32,
        }),
        // fsession (Linux 7.0) is attached differently; skelgen does not attach it.
        ProgType::Tracing if at == Some(AttachType::TraceFsession) => None,
        ProgType::Tracing | ProgType::Lsm if p.btf_target.is_some() => Some(Attach::BtfTrace),
        // kprobe.multi, uprobe.multi and sessions need attach options skelgen does not write.
        ProgType::Kprobe if at.is_some() => None,
        ProgType::Kprobe => probe(&p.section, target),
        other => link(other, at),
    }
}

/// Programs linked to a target the caller names.
fn link(t: ProgType, at: Option<AttachType>) -> Option<Attach> {
    let (target, attach_type) = match t {
        // xdp/devmap and xdp/cpumap programs go into map entries, not onto interfaces.
        ProgType::Xdp if at.is_some_and(|a| a != AttachType::Xdp) => return None,
        ProgType::Xdp => (LinkTarget::XdpIfindex, AttachType::Xdp),
        ProgType::PerfEvent => (LinkTarget::PerfEvent, AttachType::PerfEvent),
        ProgType::SchedCls
            if at == Some(AttachType::TcxIngress) || at == Some(AttachType::TcxEgress) =>
        {
            (LinkTarget::TcxIfindex, at?)
        }
        ProgType::CgroupSkb
        | ProgType::CgroupSock
        | ProgType::CgroupSockAddr
        | ProgType::CgroupSockopt
        | ProgType::CgroupSysctl
        | ProgType::CgroupDevice
        | ProgType::SockOps => (LinkTarget::Cgroup, at?),
        ProgType::SkLookup | ProgType::FlowDissector => (LinkTarget::Netns, at?),
        ProgType::SkSkb | ProgType::SkMsg => (LinkTarget::Sockmap, at?),
        _ => return None,
    };
    Some(Attach::Link {
        target,
        attach_type: attach_type as u32,
    })
}

/// kprobes and uprobes, told apart by their section.
fn probe(section: &str, target: Option<&str>) -> Option<Attach> {
    if section.starts_with("kprobe") || section.starts_with("kretprobe") {
        let target = target.and_then(|t| match t.split_once('+') {
            None => Some((t.to_string(), 0)),
            Some((func, off)) => parse_offset(off).map(|o| (func.to_string(), o)),
        });
        return Some(Attach::Kprobe {
            retprobe: section.starts_with("kretprobe"),
            target,
        });
    }
    if section.starts_with("uprobe") || section.starts_with("uretprobe") {
        return Some(Attach::Uprobe {
            retprobe: section.starts_with("uretprobe"),
        });
    }
    None
}

/// A `kprobe/func+off` offset: decimal or `0x` hexadecimal.
fn parse_offset(text: &str) -> Option<u64> {
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
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
            Attach::Uprobe { retprobe: true },
        ];
        for a in &samples {
            assert!(Attach::KINDS.contains(&a.kind()), "{a:?}");
        }
        assert_eq!(parse_offset("0x10"), Some(16));
        assert_eq!(parse_offset("12"), Some(12));
        assert_eq!(parse_offset("z"), None);
    }
}
