#!/usr/bin/env bash
# The Go skeleton's checks that need Linux 6.1: test binaries (go test -c) of the Go
# examples, built against skeletons this skelgen writes: probes (kprobe, kretprobe, fentry,
# fexit, fmod_ret and LSM attach, which the host refuses), and minimal, iterators, ksyms
# and tcpca (struct_ops) for a second kernel. The Go toolchain's caches are in $VM_CACHE,
# which every kernel's staging shares.
set -euo pipefail

go=$(command -v go || echo /usr/local/go/bin/go)
export HOME=$STAGE/home XDG_CONFIG_HOME=$STAGE/home/.config
export GOCACHE=$VM_CACHE/go-cache GOPATH=$VM_CACHE/go-path GOTMPDIR=$STAGE/go-tmp
export GOTOOLCHAIN=local GOFLAGS= CGO_ENABLED=0
mkdir -p "$HOME" "$GOTMPDIR"

# A copy of the consumer module with freshly generated skeletons.
src=$STAGE/src
mkdir -p "$src"
cp "$ROOT/examples/go/go.mod" "$src/"
cp -r "$ROOT/examples/go/internal" "$src/"
for name in probes minimal iterators ksyms tcpca hooks; do
    mkdir -p "$src/$name"
    cp "$ROOT/examples/go/$name/"*_test.go "$ROOT/examples/go/$name/gen.go" "$src/$name/"
    "$SKELGEN" --lang go "$ROOT/examples/bpf/$name.bpf.o" -o "$src/$name/${name}_skel.go"
    (cd "$src" && "$go" test -c -o "$STAGE/$name.test" "./$name")
done
