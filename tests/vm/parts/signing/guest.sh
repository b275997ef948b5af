#!/usr/bin/env bash
# Signed loaders in the guest's kernel (tests/signed_kernel.rs): every example loads signed
# with the scheme the release takes (7.3 and later: instructions and metadata; 6.18 to 7.2:
# instructions only), and a flipped byte of blob, instructions or signature, or a keyring
# without the certificate, is refused and leaves nothing. Kernels before 6.18 have no signed
# BPF_PROG_LOAD: the part says so and passes.
source "$ROOT/tests/vm/lib.sh"

release=$(uname -r)
if ! kernel_at_least 6.18; then
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

# driver NAME TAMPER KEYRING STATUS PHRASE: the C runtime's signed load of NAME exits with
# STATUS (0 loaded, 1 refused; 2 would be a leaked fd) and prints PHRASE.
driver() {
    local out
    out=$(cd "c/$1" && ./driver ../cert.der "$2" "$3")
    local rc=$?
    echo "     $1 $2 $3: $out"
    [ "$rc" -eq "$4" ] && grep -qF -- "$5" <<<"$out"
}

for name in minimal subprogs core mapinmap iterators net; do
    check "C runtime: $name loads signed" driver "$name" none session 0 loaded
done
check "C runtime: a flipped blob byte is refused" \
    driver minimal blob session 1 "not the signed one"
check "C runtime: a flipped instruction byte is refused" \
    driver minimal insns session 1 "refused: load the signed loader"
check "C runtime: a flipped signature byte is refused" \
    driver minimal sig session 1 "signature rejected under both schemes"
check "C runtime: a keyring without the certificate is refused" \
    driver minimal none builtin 1 "not in keyring_id's keyring"
finish
