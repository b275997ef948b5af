#!/usr/bin/env bash
# The Go examples on every kernel of the matrix: kprobe, kretprobe, fentry, fexit, fmod_ret
# and LSM programs attached and triggered (probes, SKELGEN_PROBES_KERNEL), uprobes, the
# tracepoint and iterator examples, .kconfig read from /boot/config-$(uname -r) and ksyms
# (kfuncs from 6.4), and tcpca's struct_ops maps laid out from the kernel's own BTF: the
# .struct_ops map everywhere, the .struct_ops.link map from 6.4; before 6.4 its load must
# be refused with the skeleton's message.
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

probes_fired() {
    run probes . SKELGEN_PROBES_KERNEL=1 SKELGEN_PROBES_LSM=1 &&
        grep -Eq 'kprobe [1-9][0-9]*, kretprobe [1-9][0-9]* \(ret 0\), fentry [1-9][0-9]*, fexit [1-9][0-9]* \(ret 0\), fmod_ret [1-9][0-9]*, lsm [1-9][0-9]* hits' probes.out
}

probes_feature="kprobe, kretprobe, fentry, fexit, fmod_ret, lsm attach"
if kernel_has_function do_unlinkat; then
    proven "$probes_feature" Go probes_fired
else
    # Its fentry and fexit programs attach to do_unlinkat, which 7.x renamed.
    refused "$probes_feature" Go "load: PROG_LOAD fentry_unlinkat (after looking up do_unlinkat)" \
        probes.out probes_fired
fi
proven "ksyscall/kretsyscall attach, by the kernel's syscall name" Go \
    run hooks '^TestKsyscall$' SKELGEN_HOOKS_KERNEL=1
proven "tracepoint attach, maps, .bss/.rodata views (minimal)" Go run minimal .
proven "iterators (iter/bpf_map, iter/bpf_prog)" Go run iterators .
proven ".kconfig and ksyms" Go run ksyms '^TestKconfigAndKsyms$' SKELGEN_KSYMS_NOKFUNCS=1
ip link set lo up
tcpca_tests='^(TestAttachWithoutItsProgram|TestRealRun|TestBTFReadsTheKernels)$'
proven ".struct_ops map, laid out from the kernel's BTF" Go \
    run tcpca "$tcpca_tests" SKELGEN_TCPCA_PLAIN=1
if kernel_at_least 6.4; then
    proven "kfuncs (bpf_iter_num_*, 6.4)" Go run ksyms '^TestKconfigAndKsyms$'
    proven ".struct_ops.link map through a BPF link (6.4)" Go run tcpca "$tcpca_tests"
else
    refused "kfuncs (bpf_iter_num_*, 6.4)" Go "load: PROG_LOAD use_kfuncs" ksyms.out \
        run ksyms '^TestKconfigAndKsyms$'
    refused ".struct_ops.link map through a BPF link (6.4)" Go \
        "load: MAP_CREATE tcpca_link (loader step 5): invalid argument" tcpca.out \
        run tcpca "$tcpca_tests"
fi
finish
