# Helpers for tests/vm/parts/*/guest.sh (and stage.sh): `source "$ROOT/tests/vm/lib.sh"`.
# Each check prints one line, "ok   <what>" or "FAIL <what>"; `finish` ends the part with
# status 1 when any check failed.

vm_failures=0

# check WHAT COMMAND...: runs COMMAND and records whether it succeeded.
check() {
    local what=$1
    shift
    if "$@"; then
        echo "ok   $what"
    else
        echo "FAIL $what"
        vm_failures=$((vm_failures + 1))
    fi
}

# has_lines OUTPUT EXPECTED [KEY=VALUE...]: every line of the file EXPECTED, with each
# {KEY} replaced by VALUE, is a whole line of the file OUTPUT. Prints the missing ones.
has_lines() {
    local out=$1 expected=$2 line kv missing=0
    shift 2
    while IFS= read -r line; do
        for kv in "$@"; do
            line=${line//\{${kv%%=*}\}/${kv#*=}}
        done
        if ! grep -Fxq -- "$line" "$out"; then
            echo "     missing line: $line"
            missing=1
        fi
    done <"$expected"
    return "$missing"
}

# lacks PATTERN FILE: no line of FILE matches the extended regular expression PATTERN.
lacks() {
    ! grep -Eq -- "$1" "$2"
}

# kernel_version: KERNEL_VERSION(a, b, c) of the running kernel, as libbpf computes it.
kernel_version() {
    local a b c
    IFS=.- read -r a b c _ <<<"$(uname -r)"
    echo $(((a << 16) | (b << 8) | (c > 255 ? 255 : c)))
}

# vm_kdir: the kbuild directory of the headers of the VM's kernel ($VM_KDIR, set by run.sh
# from scripts/vm-kernels.sh), for a stage.sh; when there is none, says so and returns 1.
vm_kdir() {
    local kdir=${VM_KDIR:-/lib/modules/$VM_KERNEL_RELEASE/build}
    if [ ! -d "$kdir" ]; then
        echo "no headers for $VM_KERNEL_RELEASE in $kdir; scripts/vm-kernels.sh fetches them" >&2
        return 1
    fi
    echo "$kdir"
}

# vm_make ARGS...: make, for a kernel's modules (a stage.sh). Where the kernel's build
# tools need a newer libc and another compiler than the host's ($VM_CHROOT, set by run.sh),
# make runs in that Debian chroot, in a mount namespace of its own where the repository
# and the kernel cache have the same paths as on the host.
vm_make() {
    if [ -z "${VM_CHROOT:-}" ]; then
        make "$@"
        return
    fi
    if [ ! -d "$VM_CHROOT" ]; then
        echo "no chroot to build $VM_KERNEL_RELEASE's modules in (scripts/vm-chroot.sh failed above)" >&2
        return 1
    fi
    unshare --mount --propagation private -- bash -c '
        set -e
        chroot=$1 kdir=$2
        shift 2
        for dir in /dev /proc "$ROOT" "$kdir"; do
            dir=$(readlink -f "$dir")
            mkdir -p "$chroot$dir"
            mount --rbind "$dir" "$chroot$dir"
        done
        exec chroot "$chroot" env PATH=/usr/bin:/bin HOME=/ make "$@"' \
        vm_make "$VM_CHROOT" "$(dirname "$(readlink -f "$(vm_kdir)")")/.." "$@"
}

# vm_build_modules LOG MAKE-ARGS...: builds a part's modules with vm_make, output in LOG,
# and records that the generated headers build as they are (kbuild W=1, no warning; on
# 6.12 and 7.x that includes the BPF_INTERNAL namespace import the runtime declares). Any
# failure, or a warning, fails.
vm_build_modules() {
    local log=$1
    shift
    local feature="module built from the generated header (kbuild W=1, no warning)"
    if vm_make "$@" >"$log" 2>&1 && ! grep -q 'warning:' "$log"; then
        cat "$log"
        vm_result "$feature" "kernel module" proven
        return 0
    fi
    cat "$log"
    return 1
}

# settled COMMAND...: COMMAND succeeds, at once or within 15 s (tried again every 0.2 s).
# For checks that a program or map is gone: the kernel frees a map after RCU grace periods
# once its last reference is dropped (on 6.12 and later also an RCU tasks trace period when
# a sleepable program used it), which under TCG can take seconds; a map still held by a
# leaked reference never goes, and still fails the check.
settled() {
    local deadline=$((SECONDS + 15))
    until "$@"; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}

# kernel_at_least MAJOR.MINOR: the VM's kernel ($VM_KERNEL_RELEASE) is that version or newer.
kernel_at_least() {
    local want_major=${1%%.*} want_minor=${1#*.} major minor
    IFS=.- read -r major minor _ <<<"$VM_KERNEL_RELEASE"
    [ "$major" -gt "$want_major" ] || { [ "$major" -eq "$want_major" ] && [ "$minor" -ge "$want_minor" ]; }
}

# kernel_has_function NAME: the running kernel has a function NAME (/proc/kallsyms). The
# probes example attaches to do_unlinkat, which 7.x renamed (filename_unlinkat).
kernel_has_function() {
    awk -v name="$1" '$3 == name { found = 1; exit } END { exit !found }' /proc/kallsyms
}

# Result lines, from which docs/kernels.md's matrix is generated (tests/vm/README.md):
# "FEATURE<tab>LANGUAGE<tab>proven" or "FEATURE<tab>LANGUAGE<tab>refused<tab>MESSAGE" in
# $STAGE/results; run.sh adds the kernel's id in front.
vm_result() {
    local IFS=$'\t'
    echo "$*" >>"$STAGE/results"
}

# proven FEATURE LANGUAGE COMMAND...: a check whose success proves FEATURE in LANGUAGE.
# Returns 0 when it passed.
proven() {
    local feature=$1 lang=$2 before=$vm_failures
    shift 2
    check "$lang: $feature" "$@"
    [ "$vm_failures" -eq "$before" ] && vm_result "$feature" "$lang" proven
}

# refused FEATURE LANGUAGE MESSAGE OUTPUT COMMAND...: COMMAND must fail, and print a line
# containing MESSAGE (a fixed string) into the file OUTPUT: the kernel refuses FEATURE and
# the skeleton says so.
refused() {
    local feature=$1 lang=$2 message=$3 out=$4 before=$vm_failures
    shift 4
    check "$lang: $feature refused with \"$message\"" refuses "$message" "$out" "$@"
    [ "$vm_failures" -eq "$before" ] && vm_result "$feature" "$lang" refused "$message"
}

# refuses MESSAGE OUTPUT COMMAND...: COMMAND fails and OUTPUT has MESSAGE (for refused).
refuses() {
    local message=$1 out=$2
    shift 2
    ! "$@" && grep -Fq -- "$message" "$out"
}

# group FEATURE LANGUAGE: the checks from here to the next `group` (or `finish`) together
# prove FEATURE in LANGUAGE; it is recorded as proven when none of them failed.
group() {
    group_end
    vm_group=("$1" "$2" "$vm_failures")
}

group_end() {
    if [ "${#vm_group[@]}" -eq 3 ] && [ "$vm_failures" -eq "${vm_group[2]}" ]; then
        vm_result "${vm_group[0]}" "${vm_group[1]}" proven
    fi
    vm_group=()
}
vm_group=()

# finish: the part's exit status.
finish() {
    group_end
    if [ "$vm_failures" -gt 0 ]; then
        echo "$vm_failures check(s) failed"
        exit 1
    fi
    echo "every check passed"
    exit 0
}
