#!/usr/bin/env bash
# The C skeleton's checks that need Linux 6.1: headers and strict gcc builds of the C
# examples whose programs the host kernel refuses (kprobes, fentry/fexit/fmod_ret, LSM,
# lsm_cgroup), plus minimal, iterators, ksyms and tcpca (struct_ops) for a second kernel.
set -euo pipefail

cd "$STAGE"
cc_flags=(-std=c11 -Wall -Wextra -Werror -pedantic -I "$STAGE")

# cgroup_lsm has no committed object: it is built here, as the host-side tests build it.
clang-19 -g -O2 -target bpf -I/usr/include/x86_64-linux-gnu \
    -c "$ROOT/examples/c/cgroup_lsm.bpf.c" -o cgroup_lsm.bpf.o

for name in probes minimal iterators ksyms cgroup_lsm tcpca net hooks; do
    obj=$ROOT/examples/bpf/$name.bpf.o
    [ "$name" = cgroup_lsm ] && obj=$STAGE/cgroup_lsm.bpf.o
    "$SKELGEN" --lang c "$obj" -o "$name.lskel.h"
    gcc "${cc_flags[@]}" -o "$name" "$ROOT/examples/c/$name.c"
done
