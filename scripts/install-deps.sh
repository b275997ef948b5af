#!/usr/bin/env bash
# Install everything the test suite needs, and prepare the kernel side.
#
# Idempotent and quiet: when everything is already present it prints nothing and
# returns in a second or two. Output of a failed install is printed in full.
#
# What it provides:
#   Debian:  clang-19 llvm-19 gcc g++ make bpftool libbpf-dev iproute2 qemu-system-x86
#            libclang-rt-19-dev (libFuzzer and the sanitizers, for runtime/c/fuzz)
#            linux-image-amd64 linux-headers-amd64 busybox-static kmod debootstrap
#            dwarves (pahole: BTF of modules built against 6.12, whose headers ship vmlinux)
#            bazel-bootstrap (Bazel 4.2) and bazel-bootstrap-source, whose stand-ins for
#            rules_cc and rules_java let the Bazel example build without network
#            hyperfine (for bench/loader.sh)
#   PyPI:    virtme-ng (in a virtualenv at $VNG_VENV, default /opt/virtme-ng;
#            `vng` is linked into /usr/local/bin)
#   Rust:    a nightly toolchain, clippy and rustfmt for stable, cargo-fuzz
#   Kernel:  bpffs at /sys/fs/bpf and tracefs at /sys/kernel/tracing
#            (the VM kernels 6.12, 7.2 and 7.3 are fetched by tests/vm/run.sh through
#            scripts/vm-kernels.sh, which verifies them on every run)
#
# Go is expected at /usr/local/go/bin (it is not a Debian package here).
#
# Not done here, because a child process cannot do it for its caller: raising the
# locked-memory limit for BPF. Run `ulimit -l unlimited` in the shell that runs
# the tests (scripts/test.sh does this itself).
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
for dir in "$HOME/.cargo/bin" /usr/local/go/bin /usr/local/bin; do
    case ":$PATH:" in
        *":$dir:"*) ;;
        *) if [ -d "$dir" ]; then PATH="$dir:$PATH"; fi ;;
    esac
done
export PATH

VNG_VENV=${VNG_VENV:-/opt/virtme-ng}

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo -n)
    else
        echo "install-deps: not root and no sudo; installing may fail" >&2
    fi
fi

failed=0

# Run a command with its output captured; print the output only if it fails.
quiet() {
    local log
    log=$(mktemp)
    local rc=0
    "$@" >"$log" 2>&1 </dev/null || rc=$?
    if [ "$rc" -eq 0 ]; then
        rm -f "$log"
        return 0
    fi
    echo "install-deps: failed (exit $rc): $*" >&2
    cat "$log" >&2
    rm -f "$log"
    return "$rc"
}

# --- Debian packages -------------------------------------------------------

apt_wanted=(
    clang-19 llvm-19 libclang-rt-19-dev gcc g++ make bpftool libbpf-dev iproute2 qemu-system-x86
    linux-image-amd64 linux-headers-amd64 busybox-static kmod hyperfine debootstrap dwarves
    bazel-bootstrap bazel-bootstrap-source
    openssl
)

python_for_venv=/usr/bin/python3
[ -x "$python_for_venv" ] || python_for_venv=$(command -v python3 || true)
if [ -z "$python_for_venv" ]; then
    apt_wanted+=(python3 python3-venv)
    python_for_venv=/usr/bin/python3
elif ! "$python_for_venv" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    apt_wanted+=(python3-venv)
fi

apt_missing=()
for pkg in "${apt_wanted[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed'; then
        apt_missing+=("$pkg")
    fi
done

if [ "${#apt_missing[@]}" -gt 0 ]; then
    if quiet "${SUDO[@]}" apt-get update -q; then
        quiet "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${apt_missing[@]}" \
            || failed=1
    else
        failed=1
    fi
fi

# --- virtme-ng from PyPI ---------------------------------------------------

if ! command -v vng >/dev/null 2>&1; then
    if [ ! -x "$VNG_VENV/bin/vng" ]; then
        { quiet "${SUDO[@]}" "$python_for_venv" -m venv "$VNG_VENV" \
            && quiet "${SUDO[@]}" "$VNG_VENV/bin/pip" install -q --disable-pip-version-check virtme-ng; } \
            || failed=1
    fi
    if [ -x "$VNG_VENV/bin/vng" ]; then
        quiet "${SUDO[@]}" ln -sf "$VNG_VENV/bin/vng" /usr/local/bin/vng || failed=1
    fi
fi

# --- Rust ------------------------------------------------------------------

if ! command -v rustup >/dev/null 2>&1; then
    echo "install-deps: rustup not found (expected in ~/.cargo/bin); install Rust with rustup first" >&2
    failed=1
else
    if ! rustup toolchain list | grep -q '^nightly'; then
        quiet rustup toolchain install nightly --profile minimal || failed=1
    fi
    installed=$(rustup component list --installed --toolchain stable 2>/dev/null || true)
    for comp in clippy rustfmt; do
        if ! grep -q "^$comp" <<<"$installed"; then
            quiet rustup component add --toolchain stable "$comp" || failed=1
        fi
    done
    if ! cargo fuzz --version >/dev/null 2>&1; then
        echo "install-deps: installing cargo-fuzz (takes a few minutes)"
        quiet cargo install cargo-fuzz --locked || failed=1
    fi
fi

if ! command -v go >/dev/null 2>&1; then
    echo "install-deps: go not found (expected in /usr/local/go/bin)" >&2
    failed=1
fi

# --- Kernel side -----------------------------------------------------------

mounted() { [ "$(awk -v p="$1" '$2 == p { print $3 }' /proc/self/mounts | tail -n 1)" = "$2" ]; }

if ! mounted /sys/fs/bpf bpf; then
    "${SUDO[@]}" mount -t bpf bpf /sys/fs/bpf >/dev/null 2>&1 \
        || echo "install-deps: could not mount bpffs at /sys/fs/bpf" >&2
fi
if ! mounted /sys/kernel/tracing tracefs; then
    "${SUDO[@]}" mount -t tracefs nodev /sys/kernel/tracing >/dev/null 2>&1 \
        || echo "install-deps: could not mount tracefs at /sys/kernel/tracing" >&2
fi

exit "$failed"
