#!/usr/bin/env bash
# The Rust examples on every kernel of the matrix: the probes test with
# SKELGEN_PROBES_KERNEL=1 loads, attaches (attach()) and triggers kprobe, kretprobe, fentry,
# fexit, fmod_ret and, the BPF LSM being on, LSM programs besides the uprobes; minimal,
# iterators and ksyms (.kconfig from /boot/config-$(uname -r), kfuncs from 6.4, which the
# test decides from the running kernel), and tcpca: its .struct_ops map laid out in the
# kernel's layout, registered, carrying TCP, unregistered; loads without or with a corrupt
# BTF refused; the .struct_ops.link map from 6.4 (before, its load must be refused).
source "$ROOT/tests/vm/lib.sh"

# run NAME PASSED [ENV...]: runs test binary NAME, which must pass PASSED tests.
run() {
    local name=$1 passed=$2
    shift 2
    echo "== $name $*"
    env "$@" "bin/$name" --test-threads 1 --nocapture >"$name.out" 2>&1
    local rc=$?
    cat "$name.out"
    [ "$rc" -eq 0 ] && grep -q "^test result: ok. $passed passed" "$name.out" &&
        lacks '^skipping' "$name.out"
}

probes_linked() {
    local p
    run probes 1 SKELGEN_PROBES_KERNEL=1 && grep -qx 'probes ok (kernel)' probes.out || return 1
    for p in kprobe_unlinkat kretprobe_unlinkat fentry_unlinkat fexit_unlinkat fmod_ret_file_open lsm_file_open; do
        # The harness may print the test's name on the same line as the first of these.
        grep -Eq "(^| )linked $p\$" probes.out || { echo "     not linked: $p"; return 1; }
    done
}

check "the BPF LSM is active" grep -qw bpf /sys/kernel/security/lsm
probes_feature="kprobe, kretprobe, fentry, fexit, fmod_ret, lsm attach"
if kernel_has_function do_unlinkat; then
    proven "$probes_feature" Rust probes_linked
else
    # Its fentry and fexit programs attach to do_unlinkat, which 7.x renamed.
    refused "$probes_feature" Rust 'PROG_LOAD fentry_unlinkat (after looking up do_unlinkat)' \
        probes.out probes_linked
fi
proven "ksyscall/kretsyscall attach, by the kernel's syscall name" Rust \
    run hooks 1 SKELGEN_HOOKS_KERNEL=1
proven "tracepoint attach, maps, .bss/.rodata views (minimal)" Rust run minimal 4
proven "iterators (iter/bpf_map, iter/bpf_prog)" Rust run iterators 1
# The test calls the kfuncs from 6.4 on, and leaves them out before.
proven ".kconfig and ksyms" Rust run ksyms 2 && kernel_at_least 6.4 &&
    vm_result "kfuncs (bpf_iter_num_*, 6.4)" Rust proven
ip link set lo up
tcpca_plain() {
    run tcpca 6 SKELGEN_TCPCA_PLAIN=1 && grep -q 'kernel_layout value_size' tcpca.out
}
proven ".struct_ops map, laid out from the kernel's BTF" Rust tcpca_plain
if kernel_at_least 6.4; then
    proven ".struct_ops.link map through a BPF link (6.4)" Rust run tcpca 6
else
    refused ".struct_ops.link map through a BPF link (6.4)" Rust \
        '"MAP_CREATE tcpca_link", plan_step: Some(5), errno: 22' tcpca.out run tcpca 6
fi
finish
