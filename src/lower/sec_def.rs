//! libbpf's section-name conventions, as data: which program type, expected attach type and
//! load flags a `SEC("...")` name implies, and which kernel BTF object it must attach to.
//!
//! Matching follows libbpf's `section_defs[]` rules exactly. An entry written `name` matches
//! only the exact section name. An entry written `name+` matches `name` itself or `name/...`
//! (a `/` must follow; `kprobe.multi/x` does not match `kprobe`, and `xdpfoo` does not match
//! `xdp`). The first matching entry wins. The pre-1.0 "sloppy" prefix matching (`SEC("xdp_foo")`,
//! `SEC("classifier/foo")`) is gone from libbpf and is not accepted here either.

use super::attach::{self, Classified, Probe};
use crate::ir::{Attach, BtfTarget, BtfTargetKind};
use crate::uapi::{AttachType as A, ProgType as P, BPF_F_SLEEPABLE, BPF_F_XDP_HAS_FRAGS};

/// What a section name tells the loader about the program in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SecDef {
    /// Program type for `BPF_PROG_LOAD`.
    pub prog_type: P,
    /// `expected_attach_type`, when the section implies one.
    pub expected_attach_type: Option<A>,
    /// `prog_flags`: [`BPF_F_SLEEPABLE`] for `.s` sections and `syscall`,
    /// [`BPF_F_XDP_HAS_FRAGS`] for `xdp.frags` sections.
    pub flags: u32,
    /// The text after `prefix/` for `prefix+` entries (`syscalls/sys_enter_write`,
    /// `do_unlinkat+4`, `/bin/bash:readline`); `None` for exact names or when nothing follows.
    pub attach_to: Option<String>,
    /// The kernel BTF object whose id goes into `attach_btf_id`, for sections that attach by
    /// BTF (`tp_btf`, `fentry`, `fexit`, `fmod_ret`, `fsession`, `lsm`, `lsm_cgroup`, `iter`).
    ///
    /// libbpf reads a target written `module:function` as "`function` in that module's BTF"
    /// (`vmlinux:` meaning the kernel itself). A [`BtfTarget`] has no module, so the prefix is
    /// dropped here: `fentry/nf_tables:nft_do_chain` looks for `nft_do_chain`, which the loader's
    /// `bpf_btf_find_by_name_kind` finds in vmlinux or, failing that, in a loaded module.
    /// `None` when the section names no target (`SEC("fentry")`: libbpf then needs a target set
    /// at run time) and for `freplace`, whose target lives in another BPF program's BTF.
    pub btf_target: Option<BtfTarget>,
    /// How a program of this section is attached, if skelgen attaches it.
    pub attach: Option<Attach>,
}

/// How an entry's name is compared with a section name.
#[derive(Clone, Copy)]
enum Match {
    /// The whole section name.
    Exact,
    /// The name alone, or the name followed by `/` and anything (libbpf's `name+`).
    Prefix,
}

/// How a BTF-attached section's target is named in kernel BTF.
#[derive(Clone, Copy)]
enum Btf {
    /// Not attached by BTF.
    No,
    /// The target is named in another BPF program (`freplace`): nothing to look up in the kernel.
    Program,
    /// A kernel `FUNC` or `TYPEDEF` named by this prefix plus the target.
    Kernel(&'static str, BtfTargetKind),
}

const SLEEP: u32 = BPF_F_SLEEPABLE;
const FRAGS: u32 = BPF_F_XDP_HAS_FRAGS;
const FUNC: Btf = Btf::Kernel("", BtfTargetKind::Func);
const LSM: Btf = Btf::Kernel("bpf_lsm_", BtfTargetKind::Func);
const ITER: Btf = Btf::Kernel("bpf_iter_", BtfTargetKind::Func);
const RAW_TP: Btf = Btf::Kernel("btf_trace_", BtfTargetKind::Typedef);

/// One row of the table.
struct Entry {
    name: &'static str,
    matching: Match,
    prog_type: P,
    attach: Option<A>,
    flags: u32,
    btf: Btf,
    probe: Option<Probe>,
}

const fn exact(name: &'static str, prog_type: P, attach: Option<A>, flags: u32) -> Entry {
    Entry {
        name,
        matching: Match::Exact,
        prog_type,
        attach,
        flags,
        btf: Btf::No,
        probe: None,
    }
}

const fn plus(name: &'static str, prog_type: P, attach: Option<A>, flags: u32) -> Entry {
    Entry {
        name,
        matching: Match::Prefix,
        prog_type,
        attach,
        flags,
        btf: Btf::No,
        probe: None,
    }
}

const fn btf(name: &'static str, prog_type: P, attach: Option<A>, flags: u32, btf: Btf) -> Entry {
    Entry {
        name,
        matching: Match::Prefix,
        prog_type,
        attach,
        flags,
        btf,
        probe: None,
    }
}

const fn probe(name: &'static str, flags: u32, probe: Probe) -> Entry {
    Entry {
        name,
        matching: Match::Prefix,
        prog_type: P::Kprobe,
        attach: None,
        flags,
        btf: Btf::No,
        probe: Some(probe),
    }
}

const KPROBE: Probe = Probe::Kprobe { retprobe: false };
const KRETPROBE: Probe = Probe::Kprobe { retprobe: true };
const UPROBE: Probe = Probe::Uprobe { retprobe: false };
const URETPROBE: Probe = Probe::Uprobe { retprobe: true };
const KSYSCALL: Probe = Probe::Ksyscall { retprobe: false };
const KRETSYSCALL: Probe = Probe::Ksyscall { retprobe: true };

/// libbpf's `section_defs[]`, in its order.
#[rustfmt::skip]
const TABLE: &[Entry] = &[
    exact("socket",                  P::SocketFilter, None, 0),
    exact("sk_reuseport/migrate",    P::SkReuseport, Some(A::SkReuseportSelectOrMigrate), 0),
    exact("sk_reuseport",            P::SkReuseport, Some(A::SkReuseportSelect), 0),
    probe("kprobe",                  0, KPROBE),
    probe("uprobe",                  0, UPROBE),
    probe("uprobe.s",                SLEEP, UPROBE),
    probe("kretprobe",               0, KRETPROBE),
    probe("uretprobe",               0, URETPROBE),
    probe("uretprobe.s",             SLEEP, URETPROBE),
    plus("kprobe.multi",             P::Kprobe, Some(A::TraceKprobeMulti), 0),
    plus("kretprobe.multi",          P::Kprobe, Some(A::TraceKprobeMulti), 0),
    plus("kprobe.session",           P::Kprobe, Some(A::TraceKprobeSession), 0),
    plus("uprobe.multi",             P::Kprobe, Some(A::TraceUprobeMulti), 0),
    plus("uretprobe.multi",          P::Kprobe, Some(A::TraceUprobeMulti), 0),
    plus("uprobe.session",           P::Kprobe, Some(A::TraceUprobeSession), 0),
    plus("uprobe.multi.s",           P::Kprobe, Some(A::TraceUprobeMulti), SLEEP),
    plus("uretprobe.multi.s",        P::Kprobe, Some(A::TraceUprobeMulti), SLEEP),
    plus("uprobe.session.s",         P::Kprobe, Some(A::TraceUprobeSession), SLEEP),
    probe("ksyscall",                0, KSYSCALL),
    probe("kretsyscall",             0, KRETSYSCALL),
    plus("usdt",                     P::Kprobe, None, 0),
    plus("usdt.s",                   P::Kprobe, None, SLEEP),
    exact("tc/ingress",              P::SchedCls, Some(A::TcxIngress), 0),
    exact("tc/egress",               P::SchedCls, Some(A::TcxEgress), 0),
    exact("tcx/ingress",             P::SchedCls, Some(A::TcxIngress), 0),
    exact("tcx/egress",              P::SchedCls, Some(A::TcxEgress), 0),
    exact("tc",                      P::SchedCls, None, 0),
    exact("classifier",              P::SchedCls, None, 0),
    exact("action",                  P::SchedAct, None, 0),
    exact("netkit/primary",          P::SchedCls, Some(A::NetkitPrimary), 0),
    exact("netkit/peer",             P::SchedCls, Some(A::NetkitPeer), 0),
    plus("tracepoint",               P::Tracepoint, None, 0),
    plus("tp",                       P::Tracepoint, None, 0),
    plus("raw_tracepoint",           P::RawTracepoint, None, 0),
    plus("raw_tp",                   P::RawTracepoint, None, 0),
    plus("raw_tracepoint.w",         P::RawTracepointWritable, None, 0),
    plus("raw_tp.w",                 P::RawTracepointWritable, None, 0),
    btf("tp_btf",                    P::Tracing, Some(A::TraceRawTp), 0, RAW_TP),
    btf("fentry",                    P::Tracing, Some(A::TraceFentry), 0, FUNC),
    btf("fmod_ret",                  P::Tracing, Some(A::ModifyReturn), 0, FUNC),
    btf("fexit",                     P::Tracing, Some(A::TraceFexit), 0, FUNC),
    btf("fentry.s",                  P::Tracing, Some(A::TraceFentry), SLEEP, FUNC),
    btf("fmod_ret.s",                P::Tracing, Some(A::ModifyReturn), SLEEP, FUNC),
    btf("fexit.s",                   P::Tracing, Some(A::TraceFexit), SLEEP, FUNC),
    btf("fsession",                  P::Tracing, Some(A::TraceFsession), 0, FUNC),
    btf("fsession.s",                P::Tracing, Some(A::TraceFsession), SLEEP, FUNC),
    btf("freplace",                  P::Ext, None, 0, Btf::Program),
    btf("lsm",                       P::Lsm, Some(A::LsmMac), 0, LSM),
    btf("lsm.s",                     P::Lsm, Some(A::LsmMac), SLEEP, LSM),
    btf("lsm_cgroup",                P::Lsm, Some(A::LsmCgroup), 0, LSM),
    btf("iter",                      P::Tracing, Some(A::TraceIter), 0, ITER),
    btf("iter.s",                    P::Tracing, Some(A::TraceIter), SLEEP, ITER),
    exact("syscall",                 P::Syscall, None, SLEEP),
    exact("xdp.frags/devmap",        P::Xdp, Some(A::XdpDevmap), FRAGS),
    exact("xdp/devmap",              P::Xdp, Some(A::XdpDevmap), 0),
    exact("xdp.frags/cpumap",        P::Xdp, Some(A::XdpCpumap), FRAGS),
    exact("xdp/cpumap",              P::Xdp, Some(A::XdpCpumap), 0),
    exact("xdp.frags",               P::Xdp, Some(A::Xdp), FRAGS),
    exact("xdp",                     P::Xdp, Some(A::Xdp), 0),
    exact("perf_event",              P::PerfEvent, None, 0),
    exact("lwt_in",                  P::LwtIn, None, 0),
    exact("lwt_out",                 P::LwtOut, None, 0),
    exact("lwt_xmit",                P::LwtXmit, None, 0),
    exact("lwt_seg6local",           P::LwtSeg6local, None, 0),
    exact("sockops",                 P::SockOps, Some(A::CgroupSockOps), 0),
    exact("sk_skb/stream_parser",    P::SkSkb, Some(A::SkSkbStreamParser), 0),
    exact("sk_skb/stream_verdict",   P::SkSkb, Some(A::SkSkbStreamVerdict), 0),
    exact("sk_skb/verdict",          P::SkSkb, Some(A::SkSkbVerdict), 0),
    exact("sk_skb",                  P::SkSkb, None, 0),
    exact("sk_msg",                  P::SkMsg, Some(A::SkMsgVerdict), 0),
    exact("lirc_mode2",              P::LircMode2, Some(A::LircMode2), 0),
    exact("flow_dissector",          P::FlowDissector, Some(A::FlowDissector), 0),
    exact("cgroup_skb/ingress",      P::CgroupSkb, Some(A::CgroupInetIngress), 0),
    exact("cgroup_skb/egress",       P::CgroupSkb, Some(A::CgroupInetEgress), 0),
    exact("cgroup/skb",              P::CgroupSkb, None, 0),
    exact("cgroup/sock_create",      P::CgroupSock, Some(A::CgroupInetSockCreate), 0),
    exact("cgroup/sock_release",     P::CgroupSock, Some(A::CgroupInetSockRelease), 0),
    exact("cgroup/sock",             P::CgroupSock, Some(A::CgroupInetSockCreate), 0),
    exact("cgroup/post_bind4",       P::CgroupSock, Some(A::CgroupInet4PostBind), 0),
    exact("cgroup/post_bind6",       P::CgroupSock, Some(A::CgroupInet6PostBind), 0),
    exact("cgroup/bind4",            P::CgroupSockAddr, Some(A::CgroupInet4Bind), 0),
    exact("cgroup/bind6",            P::CgroupSockAddr, Some(A::CgroupInet6Bind), 0),
    exact("cgroup/connect4",         P::CgroupSockAddr, Some(A::CgroupInet4Connect), 0),
    exact("cgroup/connect6",         P::CgroupSockAddr, Some(A::CgroupInet6Connect), 0),
    exact("cgroup/connect_unix",     P::CgroupSockAddr, Some(A::CgroupUnixConnect), 0),
    exact("cgroup/sendmsg4",         P::CgroupSockAddr, Some(A::CgroupUdp4Sendmsg), 0),
    exact("cgroup/sendmsg6",         P::CgroupSockAddr, Some(A::CgroupUdp6Sendmsg), 0),
    exact("cgroup/sendmsg_unix",     P::CgroupSockAddr, Some(A::CgroupUnixSendmsg), 0),
    exact("cgroup/recvmsg4",         P::CgroupSockAddr, Some(A::CgroupUdp4Recvmsg), 0),
    exact("cgroup/recvmsg6",         P::CgroupSockAddr, Some(A::CgroupUdp6Recvmsg), 0),
    exact("cgroup/recvmsg_unix",     P::CgroupSockAddr, Some(A::CgroupUnixRecvmsg), 0),
    exact("cgroup/getpeername4",     P::CgroupSockAddr, Some(A::CgroupInet4Getpeername), 0),
    exact("cgroup/getpeername6",     P::CgroupSockAddr, Some(A::CgroupInet6Getpeername), 0),
    exact("cgroup/getpeername_unix", P::CgroupSockAddr, Some(A::CgroupUnixGetpeername), 0),
    exact("cgroup/getsockname4",     P::CgroupSockAddr, Some(A::CgroupInet4Getsockname), 0),
    exact("cgroup/getsockname6",     P::CgroupSockAddr, Some(A::CgroupInet6Getsockname), 0),
    exact("cgroup/getsockname_unix", P::CgroupSockAddr, Some(A::CgroupUnixGetsockname), 0),
    exact("cgroup/sysctl",           P::CgroupSysctl, Some(A::CgroupSysctl), 0),
    exact("cgroup/getsockopt",       P::CgroupSockopt, Some(A::CgroupGetsockopt), 0),
    exact("cgroup/setsockopt",       P::CgroupSockopt, Some(A::CgroupSetsockopt), 0),
    exact("cgroup/dev",              P::CgroupDevice, Some(A::CgroupDevice), 0),
    plus("struct_ops",               P::StructOps, None, 0),
    plus("struct_ops.s",             P::StructOps, None, SLEEP),
    exact("sk_lookup",               P::SkLookup, Some(A::SkLookup), 0),
    exact("netfilter",               P::Netfilter, Some(A::Netfilter), 0),
];

/// Classifies a program section by libbpf's rules. `None` means libbpf does not know the name.
///
/// The caller strips a leading `?` (autoload off) first.
pub(crate) fn classify(section: &str) -> Option<SecDef> {
    TABLE.iter().find_map(|entry| {
        let rest = matches(entry, section)?;
        let attach_to = rest.filter(|r| !r.is_empty());
        let btf_target = match (entry.btf, attach_to) {
            (Btf::Kernel(prefix, kind), Some(target)) => Some(kernel_target(prefix, kind, target)),
            _ => None,
        };
        let attach = attach::decide(&Classified {
            prog_type: entry.prog_type,
            expected_attach_type: entry.attach,
            attach_to,
            btf_target: btf_target.as_ref(),
            probe: entry.probe,
        });
        Some(SecDef {
            prog_type: entry.prog_type,
            expected_attach_type: entry.attach,
            flags: entry.flags,
            attach_to: attach_to.map(str::to_string),
            btf_target,
            attach,
        })
    })
}

/// `Some(None)` for a match with nothing after the name, `Some(Some(rest))` for `name/rest`.
fn matches<'s>(entry: &Entry, section: &'s str) -> Option<Option<&'s str>> {
    match entry.matching {
        Match::Exact => (section == entry.name).then_some(None),
        Match::Prefix => {
            let after = section.strip_prefix(entry.name)?;
            if after.is_empty() {
                Some(None)
            } else {
                after.strip_prefix('/').map(Some)
            }
        }
    }
}

/// The kernel BTF name for a target, after dropping a `module:` qualifier.
fn kernel_target(prefix: &str, kind: BtfTargetKind, target: &str) -> BtfTarget {
    let function = target.split_once(':').map_or(target, |(_, f)| f);
    BtfTarget {
        name: format!("{prefix}{function}"),
        kind,
    }
}

#[cfg(test)]
#[path = "sec_def_tests.rs"]
mod tests;
