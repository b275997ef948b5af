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

# vm_kdir: the kbuild directory of the headers of the VM's kernel ($VM_KERNEL_RELEASE), for
# a stage.sh; when there is none, says how to install them and returns 1.
vm_kdir() {
    local kdir=/lib/modules/$VM_KERNEL_RELEASE/build
    [ -d "$kdir" ] || kdir=/usr/src/linux-headers-$VM_KERNEL_RELEASE
    if [ ! -d "$kdir" ]; then
        echo "no headers for $VM_KERNEL_RELEASE in /lib/modules/$VM_KERNEL_RELEASE/build or" \
            "$kdir; scripts/install-deps.sh installs linux-headers-amd64" >&2
        return 1
    fi
    echo "$kdir"
}

# finish: the part's exit status.
finish() {
    if [ "$vm_failures" -gt 0 ]; then
        echo "$vm_failures check(s) failed"
        exit 1
    fi
    echo "every check passed"
    exit 0
}
