#!/usr/bin/env bash
# The kernel-module examples (examples/kernel), built with kbuild against the headers of
# the VM's kernel ($VM_KDIR), with W=1 and no warning allowed.
set -euo pipefail

source "$ROOT/tests/vm/lib.sh"
kdir=$(vm_kdir)

cp "$ROOT"/examples/kernel/*.c "$ROOT"/examples/kernel/Kbuild "$ROOT"/examples/kernel/Makefile "$STAGE/"
args=(-C "$STAGE" KDIR="$kdir" SKELGEN="$SKELGEN" BPF_DIR="$ROOT/examples/bpf")
# The skeleton headers and bpf_listing on the host (skelgen, clang, the guest's libc); the
# modules with the kernel's own compiler and build tools (vm_make).
headers=$(make -s --no-print-directory -C "$STAGE" --eval 'list-headers: ; @echo $(HEADERS)' list-headers)
# shellcheck disable=SC2086
make "${args[@]}" $headers bpf_listing 2>&1 | tee "$STAGE/build.log"
vm_build_modules "$STAGE/modules.log" "${args[@]}" modules || {
    echo "the kernel-module examples do not build cleanly (W=1) against $kdir"
    exit 1
}
if grep -q 'warning:' "$STAGE/build.log"; then
    echo "the skeleton headers or bpf_listing do not build cleanly"
    exit 1
fi
