#!/usr/bin/env bash
# Fill fuzz/corpus/<target>/ with seed inputs taken from the example objects:
#   elf, pipeline: every examples/bpf/*.bpf.o as it is
#   btf:           its .BTF and .BTF.ext sections, in the layout fuzz_targets/btf.rs reads
#                  (little-endian u32 length of .BTF, .BTF, then .BTF.ext)
# Re-running it refreshes the seeds and keeps whatever the fuzzer has added.
set -euo pipefail

fuzz_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$fuzz_dir")
corpus=$fuzz_dir/corpus
objcopy=${LLVM_OBJCOPY:-llvm-objcopy-19}
command -v "$objcopy" >/dev/null 2>&1 || objcopy=llvm-objcopy

mkdir -p "$corpus/elf" "$corpus/btf" "$corpus/pipeline"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Write a little-endian u32.
le32() {
    local n=$1 shift
    for shift in 0 8 16 24; do
        printf '%b' "\\x$(printf %02x $(((n >> shift) & 255)))"
    done
}

shopt -s nullglob
objects=("$root"/examples/bpf/*.bpf.o)
if [ "${#objects[@]}" -eq 0 ]; then
    echo "seed: no examples/bpf/*.bpf.o; fuzzing starts from an empty corpus" >&2
    exit 0
fi

btf_seeds=0
for obj in "${objects[@]}"; do
    name=$(basename "$obj" .bpf.o)
    cp "$obj" "$corpus/elf/$name.bpf.o"
    cp "$obj" "$corpus/pipeline/$name.bpf.o"

    rm -f "$tmp/btf" "$tmp/ext"
    if ! "$objcopy" --dump-section ".BTF=$tmp/btf" "$obj" "$tmp/out" >/dev/null 2>&1; then
        continue
    fi
    "$objcopy" --dump-section ".BTF.ext=$tmp/ext" "$obj" "$tmp/out" >/dev/null 2>&1 || : >"$tmp/ext"
    {
        le32 "$(stat -c %s "$tmp/btf")"
        cat "$tmp/btf" "$tmp/ext"
    } >"$corpus/btf/$name.seed"
    btf_seeds=$((btf_seeds + 1))
done

echo "seed: ${#objects[@]} objects, $btf_seeds with BTF"
