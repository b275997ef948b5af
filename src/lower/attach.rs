//! How a program is attached, decided from the row of libbpf's section table it matched
//! (never from the section name again) and kept in [`crate::ir::ProgramSpec::attach`].

use crate::ir::{Attach, BtfTarget, LinkTarget, UprobeTarget};
use crate::uapi::{AttachType, ProgType};

/// The probe family of a `kprobe`/`uprobe` row of libbpf's section table: the table, not
/// the section name, tells them apart (both are `BPF_PROG_TYPE_KPROBE` with no attach type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Probe {
    /// A kprobe through the kprobe PMU; a kretprobe when `retprobe`.
    Kprobe {
        /// kretprobe.
        retprobe: bool,
    },
    /// A uprobe; a uretprobe when `retprobe`.
    Uprobe {
        /// uretprobe.
        retprobe: bool,
    },
    /// A kprobe on a syscall by its name (`ksyscall`); a kretprobe when `retprobe`.
    Ksyscall {
        /// kretsyscall.
        retprobe: bool,
    },
}

/// What the decision reads from a classified section.
pub(super) struct Classified<'a> {
    /// Program type.
    pub prog_type: ProgType,
    /// `expected_attach_type`.
    pub expected_attach_type: Option<AttachType>,
    /// The text after `prefix/`, if any.
    pub attach_to: Option<&'a str>,
    /// The kernel BTF object the program attaches to, if the section names one.
    pub btf_target: Option<&'a BtfTarget>,
    /// The probe family of the matched row.
    pub probe: Option<Probe>,
}

/// How a program of this section is attached, or `None` when skelgen does not attach its
/// kind of program (the skeleton still loads it and hands out its fd).
pub(super) fn decide(c: &Classified<'_>) -> Option<Attach> {
    let at = c.expected_attach_type;
    let target = c.attach_to;
    match c.prog_type {
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
        ProgType::Tracing | ProgType::Lsm if c.btf_target.is_some() => Some(Attach::BtfTrace),
        // kprobe.multi, uprobe.multi and sessions need attach options skelgen does not write.
        ProgType::Kprobe if at.is_some() => None,
        ProgType::Kprobe => probe(c.probe?, target),
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

/// A kprobe (with the `function+offset` its section may name), a syscall's kprobe, or a
/// uprobe, whose binary the caller names.
fn probe(kind: Probe, target: Option<&str>) -> Option<Attach> {
    Some(match kind {
        Probe::Kprobe { retprobe } => Attach::Kprobe {
            retprobe,
            target: target.and_then(|t| match t.split_once('+') {
                None => Some((t.to_string(), 0)),
                Some((func, off)) => parse_offset(off).map(|o| (func.to_string(), o)),
            }),
        },
        Probe::Uprobe { retprobe } => Attach::Uprobe {
            retprobe,
            target: target.and_then(|t| uprobe_target(t, retprobe).ok()),
        },
        Probe::Ksyscall { retprobe } => Attach::Ksyscall {
            retprobe,
            syscall: target.map(str::to_string),
        },
    })
}

/// The target of a uprobe section, as libbpf reads it: `BINARY:FUNC`, `BINARY:FUNC+OFF` or
/// `BINARY:OFF` (a file offset), the binary up to the first `:`. The error says what is
/// wrong with it (lowering refuses such a program: libbpf could not attach it either).
pub(super) fn uprobe_target(text: &str, retprobe: bool) -> Result<UprobeTarget, String> {
    let Some((binary, spec)) = text.split_once(':') else {
        return Err(format!(
            "uprobe target {text:?} names no function: write BINARY:FUNCTION[+OFFSET]"
        ));
    };
    if binary.is_empty() || spec.is_empty() {
        return Err(format!(
            "uprobe target {text:?} needs a binary and a function: BINARY:FUNCTION[+OFFSET]"
        ));
    }
    let (func, offset) = match parse_offset(spec) {
        Some(offset) => (String::new(), offset),
        None => match spec.split_once('+') {
            None => (spec.to_string(), 0),
            Some((func, off)) => match parse_offset(off) {
                Some(o) if !func.is_empty() => (func.to_string(), o),
                _ => return Err(format!("uprobe target {text:?}: {off:?} is not an offset")),
            },
        },
    };
    if retprobe && offset != 0 && !func.is_empty() {
        return Err(format!(
            "uprobe target {text:?}: a uretprobe attaches to a function's return, at no offset"
        ));
    }
    Ok(UprobeTarget {
        binary: binary.to_string(),
        func,
        offset,
    })
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
    use super::super::sec_def::classify;
    use super::*;

    fn kind(section: &str) -> Option<&'static str> {
        classify(section).and_then(|d| d.attach).map(|a| a.kind())
    }

    #[test]
    fn sections_decide_the_kind() {
        let cases = [
            ("tp/syscalls/sys_enter_write", Some("tracepoint")),
            ("raw_tp", Some("raw_tp")),
            ("fentry/do_unlinkat", Some("btf_trace")),
            ("fentry", None),
            ("fsession/f", None),
            ("iter/bpf_map", Some("iter")),
            ("kprobe/do_exit", Some("kprobe")),
            ("kretprobe", Some("kprobe")),
            ("uretprobe.s/x:y", Some("uprobe")),
            ("ksyscall/openat", Some("ksyscall")),
            ("kretsyscall", Some("ksyscall")),
            ("usdt", None),
            ("kprobe.multi/x", None),
            ("xdp", Some("xdp")),
            ("xdp/devmap", None),
            ("tc/ingress", Some("tcx")),
            ("tc", None),
            ("lsm_cgroup/socket_bind", Some("cgroup")),
            ("sk_lookup", Some("netns")),
            ("sk_skb", None),
            ("sk_msg", Some("sockmap")),
            ("perf_event", Some("perf_event")),
            ("syscall", None),
        ];
        for (section, want) in cases {
            assert_eq!(kind(section), want, "{section}");
        }
    }

    #[test]
    fn kprobe_targets() {
        let target = |s: &str| match classify(s).and_then(|d| d.attach) {
            Some(Attach::Kprobe { target, retprobe }) => (target, retprobe),
            other => panic!("{s}: {other:?}"),
        };
        assert_eq!(
            target("kprobe/do_unlinkat+0x10"),
            (Some(("do_unlinkat".into(), 16)), false)
        );
        assert_eq!(
            target("kretprobe/do_exit"),
            (Some(("do_exit".into(), 0)), true)
        );
        assert_eq!(target("kprobe/f+z"), (None, false));
        assert_eq!(parse_offset("12"), Some(12));
    }

    #[test]
    fn uprobe_targets() {
        let target = |s: &str| match classify(s).and_then(|d| d.attach) {
            Some(Attach::Uprobe { target, retprobe }) => (target, retprobe),
            other => panic!("{s}: {other:?}"),
        };
        let t = |binary: &str, func: &str, offset| UprobeTarget {
            binary: binary.into(),
            func: func.into(),
            offset,
        };
        assert_eq!(
            target("uprobe//proc/self/exe:uprobed_sub"),
            (Some(t("/proc/self/exe", "uprobed_sub", 0)), false)
        );
        assert_eq!(
            target("uretprobe/libc.so.6:malloc"),
            (Some(t("libc.so.6", "malloc", 0)), true)
        );
        assert_eq!(
            target("uprobe.s//bin/x:f+0x10"),
            (Some(t("/bin/x", "f", 16)), false)
        );
        assert_eq!(
            target("uprobe//bin/x:0x1234"),
            (Some(t("/bin/x", "", 0x1234)), false)
        );
        assert_eq!(
            target("uretprobe.s/libc.so.6:malloc@@GLIBC_2.2.5"),
            (Some(t("libc.so.6", "malloc@@GLIBC_2.2.5", 0)), true)
        );
        assert_eq!(target("uprobe"), (None, false));
        for bad in ["/bin/x", ":f", "/bin/x:", "/bin/x:f+z", "/bin/x:f+"] {
            assert!(uprobe_target(bad, false).is_err(), "{bad}");
            assert_eq!(target(&format!("uprobe/{bad}")).0, None, "{bad}");
        }
        let err = uprobe_target("libc.so.6:malloc+4", true).unwrap_err();
        assert!(err.contains("uretprobe"), "{err}");
    }
}
