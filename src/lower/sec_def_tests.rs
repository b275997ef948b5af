//! libbpf's section table checked row by row against a second reading of libbpf's.

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
