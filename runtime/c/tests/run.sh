#!/usr/bin/env bash
# Builds and runs the C runtime's unit tests (runtime/c/tests/test_*.c):
#   - with gcc and clang-19, -std=c11 -Wall -Wextra -pedantic -Werror, and once more with
#     clang-19 -fsanitize=address,undefined (any report fails); test_elf also as a non-PIE
#     executable, whose own symbols it reads;
#   - every userspace header in one translation unit as C11 (gcc, clang-19) and as C++17
#     (g++, clang++-19), strict;
#   - the kernel variant (skelgen_runtime.h with __KERNEL__, skelgen_kernel.h,
#     skelgen_kconfig_kernel.h) as a module built by kbuild W=1 against Debian's 6.1 headers
#     (/usr/src/linux-headers-6.1*-amd64) and, when the VM kernel cache has them, 6.12's;
#     any warning fails. Without the 6.1 headers this part is skipped with a message
#     (scripts/install-deps.sh installs them).
# The gzip and configuration fixtures are made here with gzip(1); /proc/config.gz is used
# when readable.
# Output goes to target/runtime-c/. Exit status: non-zero when anything failed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out=$root/target/runtime-c
rm -rf "$out"
mkdir -p "$out/fixtures" "$out/kbuild"
failed=0
fail() { echo "FAILED: $*"; failed=1; }

cflags=(-std=c11 -Wall -Wextra -pedantic -Werror -g -O1)
cxxflags=(-std=c++17 -Wall -Wextra -pedantic -Werror)

# Fixtures: a first block of each kind (gzip stores incompressible data, uses the fixed code
# for a short text and a dynamic one for a long text), a file name in the header, and output
# past the reader's 64 MiB cap.
fx=$out/fixtures
printf 'hello, hello, hello world\n' >"$fx/fixed"
head -c 4096 /dev/urandom >"$fx/stored"
cat "$here"/../*.h >"$fx/dynamic"
cp "$fx/fixed" "$fx/named"
for f in fixed stored dynamic; do gzip -n -9 -c "$fx/$f" >"$fx/$f.gz"; done
(cd "$fx" && gzip -c named >named.gz)
head -c 70M /dev/zero | gzip -c >"$fx/zeros.gz"
# A configuration whose first and last keys are far apart, for the early stop, and a plain
# one that disagrees with it, for the order in which they are read.
{
    echo CONFIG_EARLY=y
    for i in $(seq 1 5000); do echo "CONFIG_FILLER_$i=$i"; done
    echo CONFIG_LATE=42
    echo CONFIG_FILLER_5001=5001
} >"$fx/kconfig"
gzip -n -9 -c "$fx/kconfig" >"$fx/kconfig.gz"
echo CONFIG_EARLY=n >"$fx/kconfig.plain"
if [ -r /proc/config.gz ]; then
    cp /proc/config.gz "$fx/config.gz"
    gzip -dc "$fx/config.gz" >"$fx/config"
fi

run_test() {
    local bin=$1 name
    name=$(basename "$bin")
    case $name in
        test_inflate* | test_kconfig*) "$bin" "$fx" ;;
        *) "$bin" ;;
    esac || fail "$name"
}

for src in "$here"/test_*.c; do
    t=$(basename "$src" .c)
    for cc in gcc clang-19; do
        "$cc" "${cflags[@]}" "$src" -o "$out/$t-$cc" || { fail "$cc $t"; continue; }
        run_test "$out/$t-$cc"
    done
    if [ "$t" = test_elf ]; then
        # The symbol reader against its own executable built without PIE too.
        gcc "${cflags[@]}" -no-pie -fno-pie "$src" -o "$out/$t-nopie" || { fail "no-pie $t"; continue; }
        run_test "$out/$t-nopie"
    fi
    clang-19 "${cflags[@]}" -fsanitize=address,undefined -fno-sanitize-recover=all \
        -fno-omit-frame-pointer "$src" -o "$out/$t-asan" || { fail "asan $t"; continue; }
    ASAN_OPTIONS=detect_leaks=1 run_test "$out/$t-asan"
done

for cc in gcc clang-19; do
    "$cc" "${cflags[@]}" "$here/all_headers.c" -o "$out/all-$cc" || fail "$cc all_headers.c"
done
for cxx in g++ clang++-19; do
    "$cxx" "${cxxflags[@]}" -x c++ "$here/all_headers.c" -o "$out/all-$cxx" || fail "$cxx all_headers.c"
done
for bin in "$out"/all-*; do
    [ -x "$bin" ] && { "$bin" || fail "$(basename "$bin")"; }
done
echo "C11 (gcc, clang-19) and C++17 (g++, clang++-19) builds of every header: done"

# Debian's 6.1 headers on the host; 6.12's from the VM kernel cache when it has them
# (scripts/vm-kernels.sh), whose modpost also checks the BPF_INTERNAL namespace import.
kcache=${SKELGEN_KERNEL_CACHE:-/var/lib/skelgen-kernels}
kdirs=$(ls -d /usr/src/linux-headers-6.1*-amd64 "$kcache"/6.12/root/usr/src/linux-headers-*-amd64 \
    2>/dev/null)
if [ -z "$kdirs" ]; then
    echo "kernel variant: skipped, no /usr/src/linux-headers-6.1*-amd64"
fi
for kdir in $kdirs; do
    rm -rf "$out/kbuild" && mkdir -p "$out/kbuild"
    cp "$here/kmod.c" "$out/kbuild/skelgen_runtime_check.c"
    cp "$here"/../skelgen_runtime.h "$here"/../skelgen_kernel.h \
        "$here"/../skelgen_kconfig_kernel.h "$out/kbuild/"
    echo "obj-m := skelgen_runtime_check.o" >"$out/kbuild/Kbuild"
    if make -C "$kdir" M="$out/kbuild" W=1 modules >"$out/kbuild.log" 2>&1; then
        if grep -q "warning:" "$out/kbuild.log"; then
            cat "$out/kbuild.log"
            fail "kbuild W=1 warned against $(basename "$kdir")"
        else
            echo "kernel variant: kbuild W=1 against $(basename "$kdir"): no warning"
        fi
    else
        cat "$out/kbuild.log"
        fail "kbuild W=1 against $(basename "$kdir")"
    fi
done

exit $failed
