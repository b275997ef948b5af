#!/usr/bin/env bash
# The Go examples on Linux 6.1: kprobe, kretprobe, fentry, fexit, fmod_ret and LSM programs
# attached and triggered (probes, SKELGEN_PROBES_KERNEL), uprobes, the tracepoint and
# iterator examples, .kconfig read from /boot/config-$(uname -r) (ksyms without the
# kfuncs 6.1 lacks), and tcpca's .struct_ops map laid out from 6.1's own BTF (6.1 cannot
# create its .struct_ops.link map).
source "$ROOT/tests/vm/lib.sh"

# run NAME TESTS [VAR=VALUE...]: runs the tests of NAME.test matching TESTS, verbosely,
# with the variables set; it passes when they all passed and none was skipped.
run() {
    local name=$1 tests=$2
    shift 2
    echo "== $name $tests $*"
    env "$@" "./$name.test" -test.v -test.count=1 -test.run "$tests" >"$name.out" 2>&1
    local rc=$?
    cat "$name.out"
    [ "$rc" -eq 0 ] && grep -q -- '--- PASS' "$name.out" && lacks '--- (SKIP|FAIL)' "$name.out"
}

check "probes: kprobe, kretprobe, fentry, fexit, fmod_ret, lsm and uprobes" \
    run probes . SKELGEN_PROBES_KERNEL=1 SKELGEN_PROBES_LSM=1
check "probes: every kernel probe fired" \
    grep -Eq 'kprobe [1-9][0-9]*, kretprobe [1-9][0-9]* \(ret 0\), fentry [1-9][0-9]*, fexit [1-9][0-9]* \(ret 0\), fmod_ret [1-9][0-9]*, lsm [1-9][0-9]* hits' probes.out
check "minimal" run minimal .
check "iterators" run iterators .
check "ksyms: .kconfig from /boot/config-$(uname -r), ksyms" \
    run ksyms '^TestKconfigAndKsyms$' SKELGEN_KSYMS_NOKFUNCS=1
check "tcpca: struct_ops registered with 6.1's layout, a connection through it" \
    run tcpca '^(TestAttachWithoutItsProgram|TestRealRun|TestBTFReadsTheKernels)$' SKELGEN_TCPCA_PLAIN=1
finish
