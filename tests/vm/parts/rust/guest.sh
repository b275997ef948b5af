#!/usr/bin/env bash
# The Rust examples on Linux 6.1: the probes test with SKELGEN_PROBES_KERNEL=1 loads,
# attaches (attach()) and triggers kprobe, kretprobe, fentry, fexit, fmod_ret and, the BPF
# LSM being on, LSM programs besides the uprobes; minimal, iterators and ksyms (.kconfig
# from /boot/config-$(uname -r), kfuncs off before 6.4) run on a second kernel, and tcpca
# with its .struct_ops.link map left out (6.1 refuses it): the .struct_ops map laid out in
# 6.1's layout, registered, carrying TCP, unregistered; loads without or with a corrupt BTF.
source "$ROOT/tests/vm/lib.sh"

# run NAME PASSED [ENV...]: runs test binary NAME, which must pass PASSED tests.
run() {
    local name=$1 passed=$2
    shift 2
    echo "== $name $*"
    env "$@" "bin/$name" --test-threads 1 --nocapture >"$name.out" 2>&1
    local rc=$?
    cat "$name.out"
    [ "$rc" -eq 0 ] && grep -q "^test result: ok. $passed passed" "$name.out"
}

check "the BPF LSM is active" grep -qw bpf /sys/kernel/security/lsm
check "probes (kernel) passes" run probes 1 SKELGEN_PROBES_KERNEL=1
check "probes attached and counted kernel probes" grep -qx 'probes ok (kernel)' probes.out
for p in kprobe_unlinkat kretprobe_unlinkat fentry_unlinkat fexit_unlinkat fmod_ret_file_open lsm_file_open; do
    # The harness may print the test's name on the same line as the first of these.
    check "probes linked $p" grep -Eq "(^| )linked $p\$" probes.out
done
check "minimal passes" run minimal 4
check "iterators passes" run iterators 1
check "ksyms passes" run ksyms 2
check "tcpca (plain) passes" run tcpca 6 SKELGEN_TCPCA_PLAIN=1
check "tcpca printed 6.1's layout" grep -q 'kernel_layout value_size' tcpca.out
for out in minimal iterators tcpca; do
    check "$out: nothing skipped" lacks '^skipping' "$out.out"
done
finish
