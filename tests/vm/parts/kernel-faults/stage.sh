#!/usr/bin/env bash
# The modules of this part, built with kbuild against the headers of the VM's kernel, W=1
# and no warning allowed: faults_kmod (the fault injector, with the kernel skeleton of
# examples/bpf/iterators.bpf.o) and manylog_kmod (many.bpf.o); and bpf_listing
# (examples/kernel), which reads the iterators.
set -euo pipefail

here=$ROOT/tests/vm/parts/kernel-faults
source "$ROOT/tests/vm/lib.sh"
kdir=$(vm_kdir)

cp "$here"/*.c "$here/Kbuild" "$STAGE/"
for obj in iterators many; do
    "$SKELGEN" --lang kernel "$ROOT/examples/bpf/$obj.bpf.o" -o "$STAGE/$obj.kern.lskel.h"
done
vm_build_modules "$STAGE/build.log" -C "$kdir" M="$STAGE" W=1 modules || {
    echo "the modules do not build cleanly (W=1) against $kdir"
    exit 1
}
cc -std=gnu11 -Wall -Wextra -Werror -O2 -o "$STAGE/bpf_listing" "$ROOT/examples/kernel/bpf_listing.c"
