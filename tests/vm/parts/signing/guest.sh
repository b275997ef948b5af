#!/usr/bin/env bash
# Signed loaders in the guest's kernel (tests/signed_kernel.rs): every example loads signed
# with the scheme the release takes (7.3 and later: instructions and metadata; 6.18 to 7.2:
# instructions only), and a flipped byte of blob, instructions or signature, or a keyring
# without the certificate, is refused and leaves nothing. Kernels before 6.18 have no signed
# BPF_PROG_LOAD: the part says so and passes.
source "$ROOT/tests/vm/lib.sh"

release=$(uname -r)
IFS=. read -r major minor _ <<<"$release"
if [ "$major" -lt 6 ] || { [ "$major" -eq 6 ] && [ "${minor%%[!0-9]*}" -lt 18 ]; }; then
    echo "skip: Linux $release has no signed BPF_PROG_LOAD (6.18 or later)"
    exit 0
fi
if ! grep -q '^CONFIG_SYSTEM_DATA_VERIFICATION=y' "/boot/config-$release" 2>/dev/null &&
    [ -r "/boot/config-$release" ]; then
    echo "note: /boot/config-$release has no CONFIG_SYSTEM_DATA_VERIFICATION: expecting EOPNOTSUPP"
fi

run_tests() {
    ./signed_kernel --test-threads=1 --nocapture >signed_kernel.out 2>&1
    local rc=$?
    grep -E '^(test |[a-z]+: |instruction|blob|signature|builtin|skipped)' signed_kernel.out
    [ "$rc" -eq 0 ] || cat signed_kernel.out
    return "$rc"
}

check "signed loaders on $release (tests/signed_kernel.rs)" run_tests
finish
