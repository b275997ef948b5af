#!/usr/bin/env bash
# The kernel-module examples (examples/kernel), built with kbuild against the headers of
# the VM's kernel, with W=1 and no warning allowed.
set -euo pipefail

kdir=/lib/modules/$VM_KERNEL_RELEASE/build
[ -d "$kdir" ] || kdir=/usr/src/linux-headers-$VM_KERNEL_RELEASE
if [ ! -d "$kdir" ]; then
    echo "no headers for $VM_KERNEL_RELEASE in /lib/modules/$VM_KERNEL_RELEASE/build or" \
        "$kdir; scripts/install-deps.sh installs linux-headers-amd64"
    exit 1
fi

cp "$ROOT"/examples/kernel/*.c "$ROOT"/examples/kernel/Kbuild "$ROOT"/examples/kernel/Makefile "$STAGE/"
make -C "$STAGE" KDIR="$kdir" SKELGEN="$SKELGEN" BPF_DIR="$ROOT/examples/bpf" 2>&1 | tee "$STAGE/build.log"
if grep -q 'warning:' "$STAGE/build.log"; then
    echo "the kernel-module examples do not build cleanly with W=1"
    exit 1
fi
