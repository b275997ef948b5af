#!/usr/bin/env bash
# skelgen's Go skeleton against cilium/ebpf's bpf2go, side by side on the same objects:
# open+load latency (each program loads and closes the object in a loop) and the size of
# a program that does only that. Run as root (loading BPF); prints a Markdown report.
#
#   bench/go.sh                  minimal, core and many: 200 warm loads, 20 cold processes
#   bench/go.sh minimal          one object
#   ITERATIONS=50 COLD=5 bench/go.sh
#
# Everything is built in target/bench-go/ (never committed): a Go module with one command
# per tool and object. bpf2go (CILIUM_EBPF_VERSION, from the Go module proxy) compiles the
# object's C source, as bpf2go always does; its embedded object is then replaced by the
# committed examples/bpf/NAME.bpf.o, so both tools load the very same bytes. bpf2go's
# generated code (loadXObjects, ebpf.CollectionSpec) does the loading, as in any bpf2go user.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
objects=("$@")
[ "${#objects[@]}" -gt 0 ] || objects=(minimal core many)
iterations=${ITERATIONS:-200}
cold=${COLD:-20}
version=${CILIUM_EBPF_VERSION:-v0.22.0}
go=$(command -v go || echo /usr/local/go/bin/go)
clang=${CLANG:-clang-19}
strip=${STRIP:-llvm-strip-19}
work=$root/target/bench-go

[ "$(id -u)" -eq 0 ] || { echo "bench/go.sh: loading BPF needs root" >&2; exit 1; }
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0

cargo build --quiet --release --bin skelgen
skelgen=$root/target/release/skelgen
rm -rf "$work"
mkdir -p "$work"
cd "$work"
cat >go.mod <<EOF
module bench

go 1.24
EOF
"$go" get "github.com/cilium/ebpf@$version" >/dev/null 2>&1
"$go" run "github.com/cilium/ebpf/cmd/bpf2go@$version" -h >/dev/null 2>&1 || true

# The timing loop both commands share: -n loads in this process (the first one cold),
# one load time in nanoseconds per line.
timing_loop() {
    cat <<'EOF'
func main() {
	n := flag.Int("n", 1, "loads")
	flag.Parse()
	for i := 0; i < *n; i++ {
		start := time.Now()
		closer, err := load()
		elapsed := time.Since(start)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		closer()
		fmt.Println(elapsed.Nanoseconds())
	}
}
EOF
}

for name in "${objects[@]}"; do
    ident=$(echo "$name" | sed -E 's/(^|_)([a-z])/\U\2/g')

    dir=$work/skelgen_$name
    mkdir -p "$dir"
    "$skelgen" --lang go --go-package main "$root/examples/bpf/$name.bpf.o" -o "$dir/${name}_skel.go"
    {
        printf 'package main\n\nimport (\n\t"flag"\n\t"fmt"\n\t"os"\n\t"time"\n)\n\n'
        printf 'func load() (func(), error) {\n\ts, err := Load%s()\n\tif err != nil {\n\t\treturn nil, err\n\t}\n\treturn func() { s.Close() }, nil\n}\n\n' "$ident"
        timing_loop
    } >"$dir/main.go"

    dir=$work/bpf2go_$name
    mkdir -p "$dir"
    (cd "$dir" && "$go" run "github.com/cilium/ebpf/cmd/bpf2go@$version" -cc "$clang" -strip "$strip" \
        -target bpfel -go-package main "$name" "$root/examples/bpf/$name.bpf.c" -- \
        -I"$root/examples/bpf/include" -I/usr/include/x86_64-linux-gnu >/dev/null)
    cp "$root/examples/bpf/$name.bpf.o" "$dir/${name}_bpfel.o"
    {
        printf 'package main\n\nimport (\n\t"flag"\n\t"fmt"\n\t"os"\n\t"time"\n)\n\n'
        printf 'func load() (func(), error) {\n\tvar objs %sObjects\n\tif err := load%sObjects(&objs, nil); err != nil {\n\t\treturn nil, err\n\t}\n\treturn func() { objs.Close() }, nil\n}\n\n' "$name" "$ident"
        timing_loop
    } >"$dir/main.go"
done

bin=$work/bin
mkdir -p "$bin"
for name in "${objects[@]}"; do
    for tool in skelgen bpf2go; do
        "$go" build -o "$bin/${tool}_$name" "./${tool}_$name"
        "$go" build -ldflags='-s -w' -o "$bin/${tool}_$name.stripped" "./${tool}_$name"
    done
done

# median FILE: the median of the numbers in FILE, one per line.
median() {
    sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
ms() {
    awk -v ns="$1" 'BEGIN { printf "%.2f", ns / 1e6 }'
}
mib() {
    awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'
}
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'
}

echo "| object | measure | skelgen | bpf2go | bpf2go / skelgen |"
echo "|---|---|---:|---:|---:|"
for name in "${objects[@]}"; do
    : >"$work/$name.skelgen.warm" >"$work/$name.bpf2go.warm"
    : >"$work/$name.skelgen.cold" >"$work/$name.bpf2go.cold"
    # Interleaved, so both see the same machine load.
    for _ in $(seq "$cold"); do
        "$bin/skelgen_$name" -n 1 >>"$work/$name.skelgen.cold"
        "$bin/bpf2go_$name" -n 1 >>"$work/$name.bpf2go.cold"
    done
    "$bin/skelgen_$name" -n "$iterations" | tail -n +2 >"$work/$name.skelgen.warm"
    "$bin/bpf2go_$name" -n "$iterations" | tail -n +2 >"$work/$name.bpf2go.warm"
    for kind in cold warm; do
        s=$(median "$work/$name.skelgen.$kind")
        b=$(median "$work/$name.bpf2go.$kind")
        what="open+load, first in a process (median of $cold processes)"
        [ "$kind" = warm ] && what="open+load, again in the same process (median of $((iterations - 1)))"
        echo "| $name | $what | $(ms "$s") ms | $(ms "$b") ms | $(ratio "$b" "$s") |"
    done
    for variant in "" .stripped; do
        s=$(stat -c %s "$bin/skelgen_$name$variant")
        b=$(stat -c %s "$bin/bpf2go_$name$variant")
        what="program size"
        [ -n "$variant" ] && what="program size, -ldflags='-s -w'"
        echo "| $name | $what | $(mib "$s") MiB | $(mib "$b") MiB | $(ratio "$b" "$s") |"
    done
done
echo
echo "$("$go" version), cilium/ebpf $version, Linux $(uname -r), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
