#!/usr/bin/env bash
# The kernel light skeleton on Linux 6.1, through the modules of examples/kernel:
#  - iterators_kmod: loads and attaches the two iterators; userspace finds the links by
#    id and reads listings that show the module's own programs and maps; the .bss
#    counters read through the module are live; the .rodata knob changes the output;
#    rmmod leaves no program, map or link behind (checked by id);
#  - rejected_kmod: a .bss value_size the loader refuses, then a program the verifier
#    refuses; insmod fails with the error and the verifier log, and leaves nothing behind;
#  - attach_kmod: fentry, fexit, fmod_ret, lsm, raw tracepoint and XDP links made from a
#    module, triggered, and released by rmmod in another task than the one that loaded;
#    the autoload and max_entries knobs; .kconfig values.
source "$ROOT/tests/vm/lib.sh"

listing=./bpf_listing

# insmod_timed MODULE [PARAM...]: insmod, printing how long it took and what the module
# logged.
insmod_timed() {
    local start rc
    dmesg -C
    start=$(date +%s%N)
    insmod "./$1.ko" "${@:2}"
    rc=$?
    echo "insmod $1: exit $rc in $((($(date +%s%N) - start) / 1000)) us"
    dmesg | grep "$1: " | tee "$1.dmesg"
    return "$rc"
}

# newer_has FILE LINE-PATTERN...: each extended regular expression matches a line of FILE.
newer_has() {
    local file=$1 pattern
    shift
    for pattern in "$@"; do
        grep -Eq -- "$pattern" "$file" || { echo "     no line matches: $pattern"; return 1; }
    done
}

# loader_freed FILE: the objects newer than $before, written to FILE, include no loader
# program or map (the loader's map may still be waiting to be freed; see settled).
loader_freed() {
    # shellcheck disable=SC2086
    $listing newer $before >"$1" && lacks '__loader' "$1"
}

count() {
    grep -Ec -- "$1" "$2"
}

param() {
    cat "/sys/module/$1/parameters/$2"
}

# --- iterators_kmod ---------------------------------------------------------

echo "== iterators_kmod"
group "iterators, live .bss view, .rodata knob, nothing left after rmmod" "kernel module"
before=$($listing maxids)
check "insmod iterators_kmod" insmod_timed iterators_kmod
settled loader_freed iter.objects
cat iter.objects
check "exactly its 2 programs, 3 maps and 2 iterator links exist" \
    test "$(wc -l <iter.objects)" -eq 7
check "its programs and maps, by name" newer_has iter.objects \
    '^prog [0-9]+ dump_bpf_map$' '^prog [0-9]+ dump_bpf_prog$' \
    '^map [0-9]+ iterator.rodata$' '^map [0-9]+ iterator.bss$'
check "two iterator links (type 4)" test "$(count '^link [0-9]+ type 4 ' iter.objects)" -eq 2
check "no loader program or map is left" lacks '__loader' iter.objects
$listing read dump_bpf_map dump_bpf_prog | tee iter.listing
check "userspace reads both listings" test "${PIPESTATUS[0]}" -eq 0
check "the program listing shows the module's iterators" newer_has iter.listing \
    '^ +[0-9]+ dump_bpf_map +bpf_iter_bpf_map ' '^ +[0-9]+ dump_bpf_prog +bpf_iter_bpf_prog '
check "the map listing shows the module's maps" newer_has iter.listing \
    '^ +[0-9]+ iterator.bss +1 +4 +16$' '^ +[0-9]+ iterator.rodata +1 +4 +89$'
check "print_header=1: header lines" test "$(count '^ +id name' iter.listing)" -eq 2
# Entries each listing printed, which the programs also count in .bss.
read -r map_lines prog_lines < <(awk '/^== link/ { it = $NF; next } /^ +id name/ { next }
    { n[it]++ } END { print n["dump_bpf_map"] + 0, n["dump_bpf_prog"] + 0 }' iter.listing)
maps_listed=$(param iterators_kmod maps_listed)
progs_listed=$(param iterators_kmod progs_listed)
echo "listed: $map_lines maps, $prog_lines programs; .bss: maps_listed $maps_listed progs_listed $progs_listed"
check "the .bss view is live: maps_listed counts the map listing" \
    test "$maps_listed" -eq "$map_lines" -a "$map_lines" -ge 3
check "the .bss view is live: progs_listed counts the program listing" \
    test "$progs_listed" -eq "$prog_lines" -a "$prog_lines" -ge 2
check "rmmod iterators_kmod" rmmod iterators_kmod
check "nothing of iterators_kmod remains (by id)" settled $listing gone $before

before=$($listing maxids)
check "insmod iterators_kmod print_header=0" insmod_timed iterators_kmod print_header=0
$listing read dump_bpf_map dump_bpf_prog >iter.noheader
check "print_header=0 (.rodata knob): no header line" lacks '^ +id name' iter.noheader
check "print_header=0: the listings are there" newer_has iter.noheader 'dump_bpf_prog +bpf_iter'
check "rmmod iterators_kmod again" rmmod iterators_kmod
check "nothing of the second load remains (by id)" settled $listing gone $before

# --- rejected_kmod ----------------------------------------------------------

echo "== rejected_kmod"
group "verifier refusal with step and log, nothing left" "kernel module"
before=$($listing maxids)
insmod_timed rejected_kmod >rejected.insmod 2>&1
rc=$?
cat rejected.insmod
check "insmod rejected_kmod fails" test "$rc" -ne 0
check "with EACCES, the verifier's verdict" grep -q 'Permission denied' rejected.insmod
check "value_size knob reaches the loader: .bss refuses 4 bytes" newer_has rejected_kmod.dmesg \
    'rejected_kmod: value_size 4 for .bss: load failed: -22 at step [0-9]+ \(MAP_CREATE .bss\)'
check "the module names the failing step" newer_has rejected_kmod.dmesg \
    'rejected_kmod: load failed: -13 at step [0-9]+ \(PROG_LOAD unchecked_prog'
# The verdict's wording changes between kernels (7.3 explains it differently from 6.1);
# the log's closing count is in every one.
check "and prints the verifier log" newer_has rejected_kmod.dmesg \
    'rejected_kmod: verifier: processed [0-9]+ insns'
check "the module is not loaded" lacks '^rejected_kmod ' /proc/modules
check "nothing of the failed load remains (by id)" settled $listing gone $before

# --- attach_kmod ------------------------------------------------------------

echo "== attach_kmod"
attach_feature="fentry, fexit, fmod_ret, lsm, raw tracepoint, XDP attach; .kconfig; knobs"
before=$($listing maxids)
if ! kernel_has_function do_unlinkat; then
    # The probes' fentry and fexit programs attach to do_unlinkat (7.x: filename_unlinkat).
    group_end
    refused "$attach_feature" "kernel module" "PROG_LOAD fentry_unlinkat (after looking up do_unlinkat)" \
        attach_kmod.dmesg insmod_timed attach_kmod
    check "nothing of the failed insmod remains (by id)" settled $listing gone $before
    finish
fi
group "$attach_feature" "kernel module"
check "insmod attach_kmod" insmod_timed attach_kmod
settled loader_freed attach.objects
cat attach.objects
check "loaded programs outlive insmod's fds" newer_has attach.objects \
    '^prog [0-9]+ fentry_unlinkat$' '^prog [0-9]+ fexit_unlinkat$' \
    '^prog [0-9]+ fmod_ret_file_o$' '^prog [0-9]+ lsm_file_open$' \
    '^prog [0-9]+ on_sys_enter$' '^prog [0-9]+ on_getppid$' '^prog [0-9]+ xdp_count_proto$'
check "autoload 0: no kprobe or uprobe program, no 6.4 kfunc program" \
    lacks '^prog [0-9]+ ((k|kret|u|uret)probe|use_kfuncs)' attach.objects
check "the typeless ksym resolved: read_ksyms loaded" newer_has attach.objects \
    '^prog [0-9]+ read_ksyms$'
hz=$(sed -n 's/^CONFIG_HZ=//p' "/boot/config-$(uname -r)")
for p in kconfig_hz kconfig_version kconfig_bpf_syscall kconfig_absent; do
    echo "$p $(param attach_kmod $p)"
done
check ".kconfig CONFIG_HZ is the kernel's ($hz)" test "$(param attach_kmod kconfig_hz)" = "$hz"
check ".kconfig LINUX_KERNEL_VERSION is the running kernel's" \
    test "$(param attach_kmod kconfig_version)" = "$(kernel_version)"
check ".kconfig CONFIG_BPF_SYSCALL (weak, set) is 1" test "$(param attach_kmod kconfig_bpf_syscall)" = 1
check ".kconfig CONFIG_SKELGEN_ABSENT_OPTION (weak, unset) is 0" \
    test "$(param attach_kmod kconfig_absent)" = 0
check "4 BPF trampoline links (fentry, fexit, fmod_ret, lsm)" \
    test "$(count '^link [0-9]+ type 2 ' attach.objects)" -eq 4
check "1 raw tracepoint link" test "$(count '^link [0-9]+ type 1 ' attach.objects)" -eq 1
check "1 XDP link" test "$(count '^link [0-9]+ type 6 ' attach.objects)" -eq 1
for i in 1 2 3; do
    : >"unlink-me.$i" && rm "unlink-me.$i"
    cat /etc/hostname >/dev/null
    id -u >/dev/null
done
(exec 3<>/dev/tcp/127.0.0.1/9) 2>/dev/null
for p in fentry_hits fexit_hits fmod_ret_hits lsm_hits getuid_calls; do
    echo "$p $(param attach_kmod $p)"
done
check "fentry counted the unlinks" test "$(param attach_kmod fentry_hits)" -ge 3
check "fexit counted the unlinks" test "$(param attach_kmod fexit_hits)" -ge 3
check "fmod_ret counted the opens" test "$(param attach_kmod fmod_ret_hits)" -ge 3
check "lsm counted the opens" test "$(param attach_kmod lsm_hits)" -ge 3
check "the raw tracepoint counted getuid" test "$(param attach_kmod getuid_calls)" -ge 3
ip -d link show lo | tee attach.lo
check "lo runs the XDP program" grep -q 'prog/xdp id [0-9]* name xdp_count_proto' attach.lo
bpftool map show name ethertype_count | tee attach.map
check "max_entries knob: ethertype_counts has 128 entries" grep -q 'max_entries 128 ' attach.map
bpftool -j map lookup name proto_counts key 6 0 0 0 | tee attach.tcp
echo
check "XDP counted the TCP packets on lo" grep -Eq '"packets":[1-9]' attach.tcp
check "rmmod attach_kmod (its fds were insmod's)" rmmod attach_kmod
check "attach_kmod's exit ran" grep -q 'attach_kmod: unloaded' <(dmesg)
check "lo has no XDP program any more" lacks 'xdp' <(ip -d link show lo)
check "nothing of attach_kmod remains (by id)" settled $listing gone $before

finish
