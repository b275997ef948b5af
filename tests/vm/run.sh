#!/usr/bin/env bash
# Every check that needs Debian's Linux 6.1 kernel, in one boot of it under virtme-ng.
#
#   tests/vm/run.sh            every part of tests/vm/parts/
#   tests/vm/run.sh c kernel   only the named parts (still one boot)
#
# 1. On the host, each part's stage.sh builds what its guest.sh needs into a fresh
#    directory target/vm/<part> ($STAGE).
# 2. The kernel boots once (TCG, no KVM) with the BPF LSM enabled, and runs each staged
#    part's guest.sh in order, as root, in its $STAGE, which the guest can write.
# 3. The host prints every part's output and PASS/FAIL, and fails when a part failed, was
#    not staged, did not run (the boot failed or timed out), or the boot failed.
#
# The contract between this script and the parts is in tests/vm/README.md.
# Environment: SKELGEN_VM_KERNEL (a kernel image; default the newest /boot/vmlinuz-6.1.*),
# SKELGEN_VM_TIMEOUT (seconds for the whole boot, default 1800).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
parts_dir=tests/vm/parts
stage_root=$ROOT/target/vm
timeout_s=${SKELGEN_VM_TIMEOUT:-1800}

fail() {
    echo "tests/vm/run.sh: $*" >&2
    exit 1
}

# --- what to run -----------------------------------------------------------

kernel=${SKELGEN_VM_KERNEL:-}
if [ -n "$kernel" ]; then
    [ -r "$kernel" ] || fail "SKELGEN_VM_KERNEL=$kernel is not a readable kernel image"
else
    kernel=$(ls -1 /boot/vmlinuz-6.1.* 2>/dev/null | sort -V | tail -n 1 || true)
    [ -n "$kernel" ] && [ -r "$kernel" ] ||
        fail "no Linux 6.1 kernel image (/boot/vmlinuz-6.1.*); scripts/install-deps.sh installs linux-image-amd64"
fi
release=${kernel##*/vmlinuz-}

vng=$(command -v vng || true)
[ -n "$vng" ] || [ ! -x /opt/virtme-ng/bin/vng ] || vng=/opt/virtme-ng/bin/vng
[ -n "$vng" ] || fail "vng (virtme-ng) not found; scripts/install-deps.sh installs it"
# vng runs virtme-run, which lives next to the real vng in its virtualenv.
vng_dir=$(dirname "$(readlink -f "$vng")")

parts=()
if [ "$#" -gt 0 ]; then
    for p in "$@"; do
        [ -f "$parts_dir/$p/guest.sh" ] || fail "no part '$p' (no $parts_dir/$p/guest.sh)"
        parts+=("$p")
    done
else
    for d in "$parts_dir"/*/; do
        [ -f "$d/guest.sh" ] && parts+=("$(basename "$d")")
    done
fi
[ "${#parts[@]}" -gt 0 ] || fail "no parts in $parts_dir"

# The kernel's own LSM list with bpf added, so BPF LSM programs attach.
lsm=$(sed -n 's/^CONFIG_LSM="\(.*\)"$/\1/p' "/boot/config-$release" 2>/dev/null || true)
case ",${lsm:-}," in
    ,,) lsm=lockdown,yama,bpf ;;
    *,bpf,*) ;;
    *) lsm=$lsm,bpf ;;
esac

# --- stage -----------------------------------------------------------------

rm -rf "$stage_root"
mkdir -p "$stage_root"
echo "==> building skelgen"
cargo build --quiet --bin skelgen
export ROOT SKELGEN=$ROOT/target/debug/skelgen VM_KERNEL_RELEASE=$release

staged=()
for p in "${parts[@]}"; do
    stage=$stage_root/$p
    mkdir -p "$stage"
    echo "==> stage $p"
    start=$SECONDS
    if STAGE=$stage bash "$parts_dir/$p/stage.sh" >"$stage/stage.log" 2>&1; then
        staged+=("$p")
        echo "    staged in $((SECONDS - start))s"
    else
        echo "    stage.sh failed (exit $?); its output:"
        sed 's/^/    | /' "$stage/stage.log"
    fi
done

# --- boot ------------------------------------------------------------------

guest=$stage_root/guest.sh
{
    echo '#!/bin/bash'
    echo '# Written by tests/vm/run.sh: runs each staged part in the VM.'
    printf 'export ROOT=%q SKELGEN=%q VM_KERNEL_RELEASE=%q\n' "$ROOT" "$SKELGEN" "$release"
    echo 'echo "@@ guest up after $(cut -d" " -f1 /proc/uptime)s on $(uname -r)"'
    echo 'mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf'
    echo 'mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing'
    for p in "${staged[@]}"; do
        stage=$stage_root/$p
        printf 'export STAGE=%q\n' "$stage"
        printf 'echo "@@ part %s"\n' "$p"
        printf 'start=$(date +%%s%%N)\n'
        printf '(cd "$STAGE" && timeout 900 bash %q) >"$STAGE/guest.log" 2>&1\n' \
            "$ROOT/$parts_dir/$p/guest.sh"
        printf 'echo "$? $(( ($(date +%%s%%N) - start) / 1000000 ))" >"$STAGE/guest.rc"\n'
    done
    echo 'echo "@@ guest done"'
} >"$guest"

boot_rc=0
boot_ms=0
if [ "${#staged[@]}" -gt 0 ]; then
    echo "==> boot $kernel (lsm=$lsm) for: ${staged[*]}"
    boot_start=$(date +%s%N)
    PATH=$vng_dir:$PATH timeout "$timeout_s" "$vng" --run "$kernel" --disable-kvm --user root \
        --cpus 2 --memory 2G --rwdir "$stage_root" --append "lsm=$lsm" \
        -- bash "$guest" >"$stage_root/boot.log" 2>&1 || boot_rc=$?
    boot_ms=$((($(date +%s%N) - boot_start) / 1000000))
else
    echo "==> no part staged: no boot"
    echo "@@ guest done" >"$stage_root/boot.log"
fi
up=$(sed -n 's/^@@ guest up after \([0-9.]*\)s.*/\1/p' "$stage_root/boot.log")

# --- results ---------------------------------------------------------------

failed=0
for p in "${parts[@]}"; do
    stage=$stage_root/$p
    echo
    if [[ " ${staged[*]:-} " != *" $p "* ]]; then
        echo "FAIL $p: stage.sh failed"
        failed=1
        continue
    fi
    echo "--- $p: guest output"
    sed 's/^/    /' "$stage/guest.log" 2>/dev/null || echo "    (none)"
    if [ ! -f "$stage/guest.rc" ]; then
        echo "FAIL $p: did not finish in the VM"
        failed=1
        continue
    fi
    read -r rc ms <"$stage/guest.rc"
    if [ "$rc" -eq 0 ]; then
        echo "PASS $p (${ms} ms in the VM)"
    else
        echo "FAIL $p: guest.sh exited with $rc (${ms} ms in the VM)"
        failed=1
    fi
done

echo
echo "boot: ${boot_ms} ms in all, guest up after ${up:-?} s, vng exit status $boot_rc"
if ! grep -q '^@@ guest done' "$stage_root/boot.log"; then
    echo "FAIL: the VM did not finish (timeout ${timeout_s}s or a failed boot); its console:"
    tail -n 40 "$stage_root/boot.log" | sed 's/^/    | /'
    failed=1
elif [ "$boot_rc" -ne 0 ]; then
    echo "FAIL: vng exited with $boot_rc; its console:"
    tail -n 40 "$stage_root/boot.log" | sed 's/^/    | /'
    failed=1
fi
exit "$failed"
