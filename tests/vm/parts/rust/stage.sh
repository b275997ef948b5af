#!/usr/bin/env bash
# The Rust skeleton's checks that need Linux 6.1: the test binaries of examples/rust
# (built here, in a target directory in $VM_CACHE that every kernel's staging shares) for
# the probes example,
# whose kprobe, kretprobe, fentry, fexit, fmod_ret and LSM programs the host refuses, and
# minimal, iterators, ksyms and tcpca (struct_ops in 6.1's layout) for a second kernel.
set -euo pipefail

cd "$STAGE"
mkdir -p bin
cargo test --locked --no-run --message-format=json \
    --manifest-path "$ROOT/examples/rust/Cargo.toml" --target-dir "$VM_CACHE/rust-target" \
    --test probes --test minimal --test iterators --test ksyms --test tcpca --test hooks >build.json
# Each test target's executable, from cargo's "compiler-artifact" messages.
for name in probes minimal iterators ksyms tcpca hooks; do
    exe=$(grep -F "\"name\":\"$name\"" build.json | grep -F '"kind":["test"]' |
        sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n 1)
    [ -n "$exe" ] || {
        echo "no test executable for $name in cargo's output"
        exit 1
    }
    cp "$exe" "bin/$name"
done
ls -l bin
