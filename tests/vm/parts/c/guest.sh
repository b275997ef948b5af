#!/usr/bin/env bash
# The C examples on Linux 6.1: kprobe, kretprobe, fentry, fexit, fmod_ret and LSM programs
# attached and triggered (probes kernel), lsm_cgroup on the process's cgroup, the
# tracepoint and iterator examples, .kconfig read from /boot/config-$(uname -r), and the
# struct_ops congestion control of tcpca with 6.1's own layout of tcp_congestion_ops (its
# .struct_ops map: 6.1 has no struct_ops links, so the .struct_ops.link map is left out).
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

check "probes kernel exits 0" run probes kernel
check "probes kernel output" has_lines probes.out "$expected/probes_kernel.expected"
check "minimal exits 0" run minimal
check "minimal output" has_lines minimal.out "$expected/minimal.expected"
check "iterators exits 0" run iterators
check "iterators output" has_lines iterators.out "$expected/iterators.expected"
check "ksyms nokfuncs exits 0" run ksyms nokfuncs
check "ksyms output (.kconfig from /boot/config-$(uname -r))" \
    has_lines ksyms.out "$expected/ksyms_nokfuncs.expected" "hz=$hz" "version=$version"
check "cgroup_lsm exits 0" run cgroup_lsm
check "cgroup_lsm output" has_lines cgroup_lsm.out "$expected/cgroup_lsm.expected"
# The connection runs over loopback, which the guest may have left down.
ip link set lo up
check "tcpca plain exits 0" run tcpca plain
check "tcpca plain output (struct_ops registered, a connection through it)" \
    has_lines tcpca.out "$expected/tcpca_plain.expected"
for out in probes minimal iterators ksyms cgroup_lsm tcpca; do
    check "$out: no failed check" lacks '^check failed|_ok 0$' "$out.out"
    check "$out: ends with ok" test "$(tail -n 1 "$out.out")" = ok
done
finish
