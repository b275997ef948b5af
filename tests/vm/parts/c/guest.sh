#!/usr/bin/env bash
# The C examples on every kernel of the matrix: kprobe, kretprobe, fentry, fexit, fmod_ret
# and LSM programs attached and triggered (probes kernel), lsm_cgroup on the process's
# cgroup, the tracepoint and iterator examples, .kconfig read from
# /boot/config-$(uname -r), XDP and tcx on a veth pair (net), and the struct_ops congestion
# control of tcpca laid out from the kernel's own tcp_congestion_ops. What a kernel lacks
# must be refused with the skeleton's message: kfuncs and .struct_ops.link before 6.4,
# tcx before 6.6.
source "$ROOT/tests/vm/lib.sh"

expected=$ROOT/examples/c
hz=$(sed -n 's/^CONFIG_HZ=//p' "/boot/config-$(uname -r)")
version=$(kernel_version)

run() {
    echo "== $*"
    "./$@" >"$1.out" 2>&1
    local rc=$?
    cat "$1.out"
    return "$rc"
}

# passes NAME [ARG...] EXPECTED: runs the example, which exits 0, prints every line of
# EXPECTED ({hz} and {version} replaced), no failed check, and "ok" last.
passes() {
    local expect=${*: -1}
    run "${@:1:$#-1}" && has_lines "$1.out" "$expected/$expect" "hz=$hz" "version=$version" &&
        lacks '^check failed|_ok 0$' "$1.out" && [ "$(tail -n 1 "$1.out")" = ok ]
}

# A veth pair with the peer in a network namespace of its own, for net.
net_setup() {
    ip netns add vmnet &&
        ip link add vmveth type veth peer name vmpeer netns vmnet &&
        ip addr add 10.231.0.1/24 dev vmveth && ip link set vmveth up &&
        ip -n vmnet addr add 10.231.0.2/24 dev vmpeer && ip -n vmnet link set vmpeer up &&
        ip -n vmnet link set lo up
}

probes_feature="kprobe, kretprobe, fentry, fexit, fmod_ret, lsm attach"
if kernel_has_function do_unlinkat; then
    proven "$probes_feature" C passes probes kernel probes_kernel.expected
else
    # Its fentry and fexit programs attach to do_unlinkat, which 7.x renamed.
    refused "$probes_feature" C "load_error PROG_LOAD fentry_unlinkat (after looking up do_unlinkat)" \
        probes.out run probes kernel
fi
proven "ksyscall/kretsyscall attach, by the kernel's syscall name" C passes hooks hooks_kernel.expected
proven "tracepoint attach, maps, .bss/.rodata views (minimal)" C passes minimal minimal.expected
proven "iterators (iter/bpf_map, iter/bpf_prog)" C passes iterators iterators.expected
proven "lsm_cgroup" C passes cgroup_lsm cgroup_lsm.expected
# The connections run over loopback, which the guest may have left down.
ip link set lo up
proven ".struct_ops map, laid out from the kernel's BTF" C passes tcpca plain tcpca_plain.expected
proven ".kconfig and ksyms" C passes ksyms nokfuncs ksyms_nokfuncs.expected
if kernel_at_least 6.4; then
    proven "kfuncs (bpf_iter_num_*, 6.4)" C passes ksyms ksyms.expected
    proven ".struct_ops.link map through a BPF link (6.4)" C passes tcpca tcpca.expected
else
    refused "kfuncs (bpf_iter_num_*, 6.4)" C "load_error PROG_LOAD use_kfuncs" ksyms.out run ksyms
    refused ".struct_ops.link map through a BPF link (6.4)" C "load_error MAP_CREATE tcpca_link" \
        tcpca.out run tcpca
fi

# net attaches XDP, then tcx, and sends datagrams through both; it goes on when an attach
# fails, printing the error.
xdp() {
    grep -qx 'attach_xdp 0' net.out && grep -qx 'xdp_udp_at_least_sent 1' net.out
}
tcx() {
    grep -qx 'attach_tcx 0' net.out && grep -qx 'tcx_at_least_sent 1' net.out
}
check "veth pair for net" net_setup
check "net runs, and ends with ok" run net vmveth vmnet 10.231.0.1
check "net: no failed check" lacks '^check failed' net.out
proven "xdp link" C xdp
if kernel_at_least 6.6; then
    proven "tcx link (6.6)" C has_lines net.out "$expected/net.expected"
else
    refused "tcx link (6.6)" C "attach_tcx -22" net.out tcx
fi
ip netns del vmnet
ip link del vmveth 2>/dev/null
finish
