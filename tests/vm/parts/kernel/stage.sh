#!/usr/bin/env bash
# The kernel-module examples (examples/kernel), built with kbuild against the headers of
# the VM's kernel, with W=1 and no warning allowed.
set -euo pipefail

source "$ROOT/tests/vm/lib.sh"
kdir=$(vm_kdir)

cp "$ROOT"/examples/kernel/*.c "$ROOT"/examples/kernel/Kbuild "$ROOT"/examples/kernel/Makefile "$STAGE/"
make -C "$STAGE" KDIR="$kdir" SKELGEN="$SKELGEN" BPF_DIR="$ROOT/examples/bpf" 2>&1 | tee "$STAGE/build.log"
if grep -q 'warning:' "$STAGE/build.log"; then
    echo "the kernel-module examples do not build cleanly with W=1"
    exit 1
fi
