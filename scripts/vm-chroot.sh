#!/usr/bin/env bash
# A Debian chroot to build a kernel's out-of-tree modules in, when the kernel's build tools
# need a newer libc than the machine's, and its compiler is not the machine's.
#
#   scripts/vm-chroot.sh SUITE COMPILER     e.g. sid gcc-16, trixie gcc-14
#
# Made once with debootstrap (minbase, plus COMPILER, make, the C library's headers, libelf,
# which objtool and resolve_btfids link, and pahole, which makes the modules' BTF) under
# $SKELGEN_KERNEL_CACHE/chroot/SUITE, and kept; made again when one of them is missing.
# Prints the chroot's directory.
# The mirror is the one the machine's apt sources use (or $SKELGEN_DEBIAN_MIRROR).
set -euo pipefail

[ "$#" -eq 2 ] || {
    echo "usage: scripts/vm-chroot.sh SUITE COMPILER" >&2
    exit 2
}
suite=$1 compiler=$2
cache=${SKELGEN_KERNEL_CACHE:-/var/lib/skelgen-kernels}
dir=$cache/chroot/$suite

fail() {
    echo "scripts/vm-chroot.sh: $suite chroot: $*" >&2
    exit 1
}

if [ -f "$dir/.skelgen-ready" ] && [ -x "$dir/usr/bin/$compiler" ] && [ -x "$dir/usr/bin/pahole" ]; then
    echo "$dir"
    exit 0
fi

command -v debootstrap >/dev/null || fail "debootstrap not found; scripts/install-deps.sh installs it"
mirror=${SKELGEN_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
    mirror=$(awk '/^URIs:/ { u = $2 } /^Suites:/ && u !~ /security/ { print u; exit }' \
        /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
fi
[ -n "$mirror" ] || mirror=$(sed -n 's/^deb \(\[[^]]*\] \)\?\([^ ]*\) [a-z]* .*/\2/p' \
    /etc/apt/sources.list 2>/dev/null | grep -v security | head -n 1)
[ -n "$mirror" ] || fail "no Debian mirror in the machine's apt sources; set SKELGEN_DEBIAN_MIRROR"

rm -rf "$dir"
mkdir -p "$dir"
log=$cache/chroot/$suite.log
echo "making the $suite chroot in $dir (debootstrap, about a minute)" >&2
debootstrap --variant=minbase --include="$compiler,make,libc6-dev,libelf1t64,dwarves" \
    "$suite" "$dir" "$mirror" >"$log" 2>&1 || {
    tail -n 30 "$log" >&2
    fail "debootstrap failed (above; full log $log)"
}
[ -x "$dir/usr/bin/$compiler" ] || fail "debootstrap did not install $compiler"
touch "$dir/.skelgen-ready"
echo "$dir"
