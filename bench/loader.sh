#!/usr/bin/env bash
# skelgen's C light skeletons side by side with `bpftool gen skeleton -L` (libbpf's
# gen_loader) on the same example objects, in one run:
#
#   generation time     hyperfine, median of RUNS_GEN runs per tool (and of
#                       `skelgen --emit blob`, the loader compiler alone)
#   loader size         instructions of the loader program, bytes of its data blob
#   open+load latency   bench/open_load.c built against each tool's header, median of
#                       RUNS_LOAD open+load cycles, three alternating rounds (median of
#                       the three); only for objects the host kernel loads (needs root)
#
#   bench/loader.sh            results in target/bench-loader/ (results.tsv, results.md,
#                              loader-bench.svg)
#   bench/loader.sh --docs     also update docs/benchmarks-loader.md and its figure
#
# Environment: RUNS_GEN (default 30), RUNS_LOAD (default 200), OUT (output directory).
# Needs bpftool, hyperfine, gcc, python3 and libbpf-dev (skel_internal.h for bpftool's
# headers); scripts/install-deps.sh installs them.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
RUNS_GEN=${RUNS_GEN:-30}
RUNS_LOAD=${RUNS_LOAD:-200}
out=${OUT:-$root/target/bench-loader}
docs=0
[ "${1:-}" = "--docs" ] && docs=1

# The examples `bpftool gen skeleton -L` (libbpf 1.1.2) can generate: mapinmap has a
# statically initialised program array, net and many have tcx/ sections.
examples=(minimal subprogs core ksyms iterators ksymvar probes)

for tool in bpftool hyperfine gcc python3; do
    command -v "$tool" >/dev/null || { echo "loader.sh: $tool is not installed" >&2; exit 1; }
done
[ -f /usr/include/bpf/skel_internal.h ] || { echo "loader.sh: libbpf-dev is not installed" >&2; exit 1; }

cargo build --release -q
skelgen=$root/target/release/skelgen
rm -rf "$out"
mkdir -p "$out/ours" "$out/ref" "$out/gen"

median_gen() { # hyperfine's JSON, command index: median in seconds
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["median"])' "$1" "$2"
}

load_median() { # driver: median of RUNS_LOAD open+load cycles in ns, or "refused"
    "$1" "$RUNS_LOAD" 2>/dev/null || echo refused
}

mid() { printf '%s\n' "$@" | sort -n | sed -n 2p; } # the middle of three

# One tab-separated line per example.
printf 'example\tours_insns\tref_insns\tours_blob\tref_blob\tours_gen_s\tref_gen_s\tours_compile_s\tours_load_ns\tref_load_ns\n' \
    >"$out/results.tsv"
for e in "${examples[@]}"; do
    obj=examples/bpf/$e.bpf.o
    "$skelgen" --lang c "$obj" -o "$out/ours/$e.lskel.h"
    bpftool gen skeleton -L "$obj" name "$e" >"$out/ref/$e.lskel.h"

    hyperfine -N --warmup 3 --runs "$RUNS_GEN" --export-json "$out/gen/$e.json" \
        "$skelgen --lang c $obj -o $out/gen/$e.h" \
        "bpftool gen skeleton -L $obj name $e" \
        "$skelgen --emit blob $obj -o $out/gen/$e.blob" >/dev/null 2>&1
    ours_gen=$(median_gen "$out/gen/$e.json" 0)
    ref_gen=$(median_gen "$out/gen/$e.json" 1)
    ours_compile=$(median_gen "$out/gen/$e.json" 2)

    ours_insns=$(sed -n 's/.*unsigned char insns\[\([0-9]*\)\].*/\1/p' "$out/ours/$e.lskel.h")
    ours_blob=$(sed -n 's/.*unsigned char data\[\([0-9]*\)\].*/\1/p' "$out/ours/$e.lskel.h")
    ref_insns=$(sed -n 's/.*opts.insns_sz = \([0-9]*\);.*/\1/p' "$out/ref/$e.lskel.h")
    ref_blob=$(sed -n 's/.*opts.data_sz = \([0-9]*\);.*/\1/p' "$out/ref/$e.lskel.h")

    python3 bench/ref_types.py "$obj" >"$out/ref/${e}_types.h"
    printf '#include "%s_types.h"\n#include "%s.lskel.h"\n' "$e" "$e" >"$out/ref/${e}_ref.h"
    gcc -O2 -std=c11 -Wall -Wextra -Werror -DSKEL="$e" -DSKEL_HEADER="\"$e.lskel.h\"" \
        -I"$out/ours" bench/open_load.c -o "$out/ours/ol_$e"
    gcc -O2 -std=gnu11 -DSKEL="$e" -DSKEL_HEADER="\"${e}_ref.h\"" \
        -I"$out/ref" bench/open_load.c -o "$out/ref/ol_$e"
    ours_load=() ref_load=()
    for _ in 1 2 3; do
        ref_load+=("$(load_median "$out/ref/ol_$e")")
        ours_load+=("$(load_median "$out/ours/ol_$e")")
    done
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$e" \
        "$((ours_insns / 8))" "$((ref_insns / 8))" "$ours_blob" "$ref_blob" \
        "$ours_gen" "$ref_gen" "$ours_compile" "$(mid "${ours_load[@]}")" "$(mid "${ref_load[@]}")" \
        >>"$out/results.tsv"
    echo "$e done" >&2
done

python3 bench/plot.py "$out/results.tsv" "$out/loader-bench.svg" >"$out/results.md"
cat "$out/results.md"
if [ "$docs" = 1 ]; then
    cp "$out/loader-bench.svg" docs/benchmarks-loader.svg
    python3 bench/plot.py --splice docs/benchmarks-loader.md "$out/results.md"
fi
