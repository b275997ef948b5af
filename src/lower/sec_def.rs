//! libbpf's section-name conventions, as data: which program type, expected attach type and
//! load flags a `SEC("...")` name implies, and which kernel BTF object it must attach to.
//!
//! Matching follows libbpf's `section_defs[]` rules exactly. An entry written `name` matches
//! only the exact section name. An entry written `name+` matches `name` itself or `name/...`
//! (a `/` must follow; `kprobe.multi/x` does not match `kprobe`, and `xdpfoo` does not match
//! `xdp`). The first matching entry wins. The pre-1.0 "sloppy" prefix matching (`SEC("xdp_foo")`,
//! `SEC("classifier/foo")`) is gone from libbpf and is not accepted here either.

use crate::ir::{BtfTarget, BtfTargetKind};
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
}

const fn exact(name: &'static str, prog_type: P, attach: Option<A>, flags: u32) -> Entry {
    Entry {
        name,
        matching: Match::Exact,
        prog_type,
        attach,
        flags,
        btf: Btf::No,
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
    }
}

/// libbpf's `section_defs[]`, in its order.
#[rustfmt::skip]
const TABLE: &[Entry] = &[
    exact("socket",                  P::SocketFilter, None, 0),
    exact("sk_reuseport/migrate",    P::SkReuseport, Some(A::SkReuseportSelectOrMigrate), 0),
    exact("sk_reuseport",            P::SkReuseport, Some(A::SkReuseportSelect), 0),
    plus("kprobe",                   P::Kprobe, None, 0),
    plus("uprobe",                   P::Kprobe, None, 0),
    plus("uprobe.s",                 P::Kprobe, None, SLEEP),
    plus("kretprobe",                P::Kprobe, None, 0),
    plus("uretprobe",                P::Kprobe, None, 0),
    plus("uretprobe.s",              P::Kprobe, None, SLEEP),
    plus("kprobe.multi",             P::Kprobe, Some(A::TraceKprobeMulti), 0),
    plus("kretprobe.multi",          P::Kprobe, Some(A::TraceKprobeMulti), 0),
    plus("kprobe.session",           P::Kprobe, Some(A::TraceKprobeSession), 0),
    plus("uprobe.multi",             P::Kprobe, Some(A::TraceUprobeMulti), 0),
    plus("uretprobe.multi",          P::Kprobe, Some(A::TraceUprobeMulti), 0),
    plus("uprobe.session",           P::Kprobe, Some(A::TraceUprobeSession), 0),
    plus("uprobe.multi.s",           P::Kprobe, Some(A::TraceUprobeMulti), SLEEP),
    plus("uretprobe.multi.s",        P::Kprobe, Some(A::TraceUprobeMulti), SLEEP),
    plus("uprobe.session.s",         P::Kprobe, Some(A::TraceUprobeSession), SLEEP),
    plus("ksyscall",                 P::Kprobe, None, 0),
    plus("kretsyscall",              P::Kprobe, None, 0),
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
        Some(SecDef {
            prog_type: entry.prog_type,
            expected_attach_type: entry.attach,
            flags: entry.flags,
            attach_to: attach_to.map(str::to_string),
            btf_target,
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
mod tests {
    use super::*;

    /// `section → prog type, attach type ("-" for none), flags (S sleepable, F frags), attach_to`,
    /// spelled with the kernel's names so the table above is checked against a second reading
    /// of libbpf's.
    #[rustfmt::skip]
    const EXPECTED: &[(&str, &str, &str, &str, Option<&str>)] = &[
        ("socket", "SOCKET_FILTER", "-", "", None),
        ("sk_reuseport/migrate", "SK_REUSEPORT", "SK_REUSEPORT_SELECT_OR_MIGRATE", "", None),
        ("sk_reuseport", "SK_REUSEPORT", "SK_REUSEPORT_SELECT", "", None),
        ("kprobe/do_unlinkat+4", "KPROBE", "-", "", Some("do_unlinkat+4")),
        ("kprobe", "KPROBE", "-", "", None),
        ("uprobe//bin/bash:readline", "KPROBE", "-", "", Some("/bin/bash:readline")),
        ("uprobe.s/libc.so.6:malloc", "KPROBE", "-", "S", Some("libc.so.6:malloc")),
        ("kretprobe/do_exit", "KPROBE", "-", "", Some("do_exit")),
        ("uretprobe", "KPROBE", "-", "", None),
        ("uretprobe.s/x:y", "KPROBE", "-", "S", Some("x:y")),
        ("kprobe.multi/tcp_*", "KPROBE", "TRACE_KPROBE_MULTI", "", Some("tcp_*")),
        ("kretprobe.multi/tcp_*", "KPROBE", "TRACE_KPROBE_MULTI", "", Some("tcp_*")),
        ("kprobe.session/vfs_*", "KPROBE", "TRACE_KPROBE_SESSION", "", Some("vfs_*")),
        ("uprobe.multi/x:y*", "KPROBE", "TRACE_UPROBE_MULTI", "", Some("x:y*")),
        ("uretprobe.multi", "KPROBE", "TRACE_UPROBE_MULTI", "", None),
        ("uprobe.session/x:y", "KPROBE", "TRACE_UPROBE_SESSION", "", Some("x:y")),
        ("uprobe.multi.s/x:y", "KPROBE", "TRACE_UPROBE_MULTI", "S", Some("x:y")),
        ("uretprobe.multi.s", "KPROBE", "TRACE_UPROBE_MULTI", "S", None),
        ("uprobe.session.s", "KPROBE", "TRACE_UPROBE_SESSION", "S", None),
        ("ksyscall/openat", "KPROBE", "-", "", Some("openat")),
        ("kretsyscall/openat", "KPROBE", "-", "", Some("openat")),
        ("usdt/./app:prov:probe", "KPROBE", "-", "", Some("./app:prov:probe")),
        ("usdt.s", "KPROBE", "-", "S", None),
        ("tc/ingress", "SCHED_CLS", "TCX_INGRESS", "", None),
        ("tc/egress", "SCHED_CLS", "TCX_EGRESS", "", None),
        ("tcx/ingress", "SCHED_CLS", "TCX_INGRESS", "", None),
        ("tcx/egress", "SCHED_CLS", "TCX_EGRESS", "", None),
        ("tc", "SCHED_CLS", "-", "", None),
        ("classifier", "SCHED_CLS", "-", "", None),
        ("action", "SCHED_ACT", "-", "", None),
        ("netkit/primary", "SCHED_CLS", "NETKIT_PRIMARY", "", None),
        ("netkit/peer", "SCHED_CLS", "NETKIT_PEER", "", None),
        ("tracepoint/sched/sched_switch", "TRACEPOINT", "-", "", Some("sched/sched_switch")),
        ("tp/syscalls/sys_enter_write", "TRACEPOINT", "-", "", Some("syscalls/sys_enter_write")),
        ("raw_tracepoint/sched_switch", "RAW_TRACEPOINT", "-", "", Some("sched_switch")),
        ("raw_tp", "RAW_TRACEPOINT", "-", "", None),
        ("raw_tracepoint.w/bpf_test_finish", "RAW_TRACEPOINT_WRITABLE", "-", "", Some("bpf_test_finish")),
        ("raw_tp.w/bpf_test_finish", "RAW_TRACEPOINT_WRITABLE", "-", "", Some("bpf_test_finish")),
        ("tp_btf/sched_switch", "TRACING", "TRACE_RAW_TP", "", Some("sched_switch")),
        ("fentry/do_unlinkat", "TRACING", "TRACE_FENTRY", "", Some("do_unlinkat")),
        ("fmod_ret/security_x", "TRACING", "MODIFY_RETURN", "", Some("security_x")),
        ("fexit/do_unlinkat", "TRACING", "TRACE_FEXIT", "", Some("do_unlinkat")),
        ("fentry.s/f", "TRACING", "TRACE_FENTRY", "S", Some("f")),
        ("fmod_ret.s/f", "TRACING", "MODIFY_RETURN", "S", Some("f")),
        ("fexit.s/f", "TRACING", "TRACE_FEXIT", "S", Some("f")),
        ("fsession/f", "TRACING", "TRACE_FSESSION", "", Some("f")),
        ("fsession.s/f", "TRACING", "TRACE_FSESSION", "S", Some("f")),
        ("freplace/handler", "EXT", "-", "", Some("handler")),
        ("lsm/file_open", "LSM", "LSM_MAC", "", Some("file_open")),
        ("lsm.s/bprm_committed_creds", "LSM", "LSM_MAC", "S", Some("bprm_committed_creds")),
        ("lsm_cgroup/socket_bind", "LSM", "LSM_CGROUP", "", Some("socket_bind")),
        ("iter/bpf_map", "TRACING", "TRACE_ITER", "", Some("bpf_map")),
        ("iter.s/task", "TRACING", "TRACE_ITER", "S", Some("task")),
        ("syscall", "SYSCALL", "-", "S", None),
        ("xdp.frags/devmap", "XDP", "XDP_DEVMAP", "F", None),
        ("xdp/devmap", "XDP", "XDP_DEVMAP", "", None),
        ("xdp.frags/cpumap", "XDP", "XDP_CPUMAP", "F", None),
        ("xdp/cpumap", "XDP", "XDP_CPUMAP", "", None),
        ("xdp.frags", "XDP", "XDP", "F", None),
        ("xdp", "XDP", "XDP", "", None),
        ("perf_event", "PERF_EVENT", "-", "", None),
        ("lwt_in", "LWT_IN", "-", "", None),
        ("lwt_out", "LWT_OUT", "-", "", None),
        ("lwt_xmit", "LWT_XMIT", "-", "", None),
        ("lwt_seg6local", "LWT_SEG6LOCAL", "-", "", None),
        ("sockops", "SOCK_OPS", "CGROUP_SOCK_OPS", "", None),
        ("sk_skb/stream_parser", "SK_SKB", "SK_SKB_STREAM_PARSER", "", None),
        ("sk_skb/stream_verdict", "SK_SKB", "SK_SKB_STREAM_VERDICT", "", None),
        ("sk_skb/verdict", "SK_SKB", "SK_SKB_VERDICT", "", None),
        ("sk_skb", "SK_SKB", "-", "", None),
        ("sk_msg", "SK_MSG", "SK_MSG_VERDICT", "", None),
        ("lirc_mode2", "LIRC_MODE2", "LIRC_MODE2", "", None),
        ("flow_dissector", "FLOW_DISSECTOR", "FLOW_DISSECTOR", "", None),
        ("cgroup_skb/ingress", "CGROUP_SKB", "CGROUP_INET_INGRESS", "", None),
        ("cgroup_skb/egress", "CGROUP_SKB", "CGROUP_INET_EGRESS", "", None),
        ("cgroup/skb", "CGROUP_SKB", "-", "", None),
        ("cgroup/sock_create", "CGROUP_SOCK", "CGROUP_INET_SOCK_CREATE", "", None),
        ("cgroup/sock_release", "CGROUP_SOCK", "CGROUP_INET_SOCK_RELEASE", "", None),
        ("cgroup/sock", "CGROUP_SOCK", "CGROUP_INET_SOCK_CREATE", "", None),
        ("cgroup/post_bind4", "CGROUP_SOCK", "CGROUP_INET4_POST_BIND", "", None),
        ("cgroup/post_bind6", "CGROUP_SOCK", "CGROUP_INET6_POST_BIND", "", None),
        ("cgroup/bind4", "CGROUP_SOCK_ADDR", "CGROUP_INET4_BIND", "", None),
        ("cgroup/bind6", "CGROUP_SOCK_ADDR", "CGROUP_INET6_BIND", "", None),
        ("cgroup/connect4", "CGROUP_SOCK_ADDR", "CGROUP_INET4_CONNECT", "", None),
        ("cgroup/connect6", "CGROUP_SOCK_ADDR", "CGROUP_INET6_CONNECT", "", None),
        ("cgroup/connect_unix", "CGROUP_SOCK_ADDR", "CGROUP_UNIX_CONNECT", "", None),
        ("cgroup/sendmsg4", "CGROUP_SOCK_ADDR", "CGROUP_UDP4_SENDMSG", "", None),
        ("cgroup/sendmsg6", "CGROUP_SOCK_ADDR", "CGROUP_UDP6_SENDMSG", "", None),
        ("cgroup/sendmsg_unix", "CGROUP_SOCK_ADDR", "CGROUP_UNIX_SENDMSG", "", None),
        ("cgroup/recvmsg4", "CGROUP_SOCK_ADDR", "CGROUP_UDP4_RECVMSG", "", None),
        ("cgroup/recvmsg6", "CGROUP_SOCK_ADDR", "CGROUP_UDP6_RECVMSG", "", None),
        ("cgroup/recvmsg_unix", "CGROUP_SOCK_ADDR", "CGROUP_UNIX_RECVMSG", "", None),
        ("cgroup/getpeername4", "CGROUP_SOCK_ADDR", "CGROUP_INET4_GETPEERNAME", "", None),
        ("cgroup/getpeername6", "CGROUP_SOCK_ADDR", "CGROUP_INET6_GETPEERNAME", "", None),
        ("cgroup/getpeername_unix", "CGROUP_SOCK_ADDR", "CGROUP_UNIX_GETPEERNAME", "", None),
        ("cgroup/getsockname4", "CGROUP_SOCK_ADDR", "CGROUP_INET4_GETSOCKNAME", "", None),
        ("cgroup/getsockname6", "CGROUP_SOCK_ADDR", "CGROUP_INET6_GETSOCKNAME", "", None),
        ("cgroup/getsockname_unix", "CGROUP_SOCK_ADDR", "CGROUP_UNIX_GETSOCKNAME", "", None),
        ("cgroup/sysctl", "CGROUP_SYSCTL", "CGROUP_SYSCTL", "", None),
        ("cgroup/getsockopt", "CGROUP_SOCKOPT", "CGROUP_GETSOCKOPT", "", None),
        ("cgroup/setsockopt", "CGROUP_SOCKOPT", "CGROUP_SETSOCKOPT", "", None),
        ("cgroup/dev", "CGROUP_DEVICE", "CGROUP_DEVICE", "", None),
        ("struct_ops/tcp_ca_init", "STRUCT_OPS", "-", "", Some("tcp_ca_init")),
        ("struct_ops.s/init", "STRUCT_OPS", "-", "S", Some("init")),
        ("sk_lookup", "SK_LOOKUP", "SK_LOOKUP", "", None),
        ("netfilter", "NETFILTER", "NETFILTER", "", None),
    ];

    #[test]
    fn every_entry() {
        for &(section, prog, attach, flags, attach_to) in EXPECTED {
            let def = classify(section).unwrap_or_else(|| panic!("{section} not classified"));
            assert_eq!(
                def.prog_type.c_name(),
                format!("BPF_PROG_TYPE_{prog}"),
                "{section}"
            );
            let want = (attach != "-").then(|| format!("BPF_{attach}"));
            assert_eq!(
                def.expected_attach_type.map(|a| a.c_name().to_string()),
                want,
                "{section}"
            );
            let mut want_flags = 0;
            if flags.contains('S') {
                want_flags |= BPF_F_SLEEPABLE;
            }
            if flags.contains('F') {
                want_flags |= BPF_F_XDP_HAS_FRAGS;
            }
            assert_eq!(def.flags, want_flags, "{section}");
            assert_eq!(def.attach_to.as_deref(), attach_to, "{section}");
        }
        // Every row of the table is exercised above.
        for entry in TABLE {
            let covered = EXPECTED.iter().any(|(s, ..)| {
                matches(entry, s).is_some()
                    && TABLE.iter().position(|e| matches(e, s).is_some())
                        == TABLE.iter().position(|e| e.name == entry.name)
            });
            assert!(covered, "{} is not tested", entry.name);
        }
    }

    #[test]
    fn unknown_sections() {
        for section in [
            "",
            "xdpfoo",
            "xdp_foo",
            "xdp/foo",
            "xdp.frags/foo",
            "tc/foo",
            "tcx",
            "tcx/other",
            "kprobe.multi.s/x",
            "kprobes/x",
            "kprobefoo",
            "socket/1",
            "socket1",
            "cgroup/connect",
            "cgroup_skb",
            "sk_skb/parser",
            ".text",
            "license",
            ".maps",
            "classifier/x",
            "struct_opsx",
            "usdtx/y",
            "fentry_x",
            "lsm.x/y",
            "perf_event/x",
            "syscall/x",
        ] {
            assert_eq!(classify(section), None, "{section:?} should not classify");
        }
    }

    #[test]
    fn btf_targets() {
        let target = |s: &str| classify(s).unwrap().btf_target;
        let func = |n: &str| {
            Some(BtfTarget {
                name: n.into(),
                kind: BtfTargetKind::Func,
            })
        };
        assert_eq!(
            target("tp_btf/sched_switch"),
            Some(BtfTarget {
                name: "btf_trace_sched_switch".into(),
                kind: BtfTargetKind::Typedef
            })
        );
        assert_eq!(target("lsm/file_open"), func("bpf_lsm_file_open"));
        assert_eq!(target("lsm.s/file_open"), func("bpf_lsm_file_open"));
        assert_eq!(
            target("lsm_cgroup/socket_bind"),
            func("bpf_lsm_socket_bind")
        );
        assert_eq!(target("iter/bpf_map"), func("bpf_iter_bpf_map"));
        assert_eq!(target("iter.s/task_vma"), func("bpf_iter_task_vma"));
        assert_eq!(target("fentry/do_unlinkat"), func("do_unlinkat"));
        assert_eq!(target("fexit.s/do_unlinkat"), func("do_unlinkat"));
        assert_eq!(
            target("fmod_ret/bpf_modify_return_test"),
            func("bpf_modify_return_test")
        );
        assert_eq!(target("fsession/f"), func("f"));
        assert_eq!(
            target("fentry/nf_tables:nft_do_chain"),
            func("nft_do_chain")
        );
        assert_eq!(target("fentry/vmlinux:do_exit"), func("do_exit"));
        let def = classify("fentry/nf_tables:nft_do_chain").unwrap();
        assert_eq!(def.attach_to.as_deref(), Some("nf_tables:nft_do_chain"));
        // No target written, or one that is not kernel BTF.
        assert_eq!(target("fentry"), None);
        assert_eq!(target("fentry/"), None);
        assert_eq!(target("freplace/handler"), None);
        assert_eq!(target("kprobe/do_exit"), None);
        assert_eq!(target("struct_ops/init"), None);
    }
}
