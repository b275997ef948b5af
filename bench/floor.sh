#!/usr/bin/env bash
# Open+load of every skeleton language against the floor (the kernel's own work for the
# object, benches/floor.rs) and bpftool's light skeletons, per example, in one run:
#
#   floor         the object's plan from user space with the loader's attrs
#   C, Rust, Go   skelgen's skeletons: open then load, then destroy outside the timing
#   bpftool 7.1   `bpftool gen skeleton -L` of the host (Debian, libbpf 1.1)
#   bpftool 7.8   the same from the Debian sid chroot (libbpf 1.8), when it is there
#
# Each driver prints the median of RUNS open+load cycles in one process (the first load
# included) and the median of the later ones while one loaded skeleton is kept (what a
# cached loader can serve). ROUNDS rounds, every driver of every example in turn in each;
# the middle round's value is reported. Needs root.
#
#   bench/floor.sh [EXAMPLE...]     results in target/bench-floor/results.tsv
#
# Environment: RUNS (default 100), ROUNDS (3), CHROOT (/var/lib/skelgen-kernels/chroot/sid).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
RUNS=${RUNS:-100}
ROUNDS=${ROUNDS:-3}
chroot_dir=${CHROOT:-/var/lib/skelgen-kernels/chroot/sid}
out=$root/target/bench-floor
examples=("$@")
[ "${#examples[@]}" -gt 0 ] || examples=(minimal subprogs core ksyms iterators)
[ "$(id -u)" -eq 0 ] || { echo "bench/floor.sh: loading BPF needs root" >&2; exit 1; }
go=$(command -v go || echo /usr/local/go/bin/go)

cargo build --quiet --release --bin skelgen
cargo bench --quiet --bench floor --no-run
floor=$(cargo bench --bench floor --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "floor" and m.get("executable"):
        print(m["executable"])')
skelgen=$root/target/release/skelgen
rm -rf "$out"
mkdir -p "$out"/{c,ref71,ref78,go,rust/src}

camel() { python3 -c 'import sys; print("".join(w.capitalize() for w in sys.argv[1].split("_")))' "$1"; }

# --- C, and bpftool's headers --------------------------------------------------------
have78=0
chroot_cc=$(cd "$chroot_dir/usr/bin" 2>/dev/null && ls gcc gcc-[0-9]* 2>/dev/null | grep -v -- '-ar\|-nm\|-ranlib' | head -n 1 || true)
[ -x "$chroot_dir/usr/sbin/bpftool" ] && [ -f "$chroot_dir/usr/include/bpf/skel_internal.h" ] &&
    [ -n "$chroot_cc" ] && have78=1
for e in "${examples[@]}"; do
    obj=examples/bpf/$e.bpf.o
    "$skelgen" --lang c "$obj" -o "$out/c/$e.lskel.h"
    gcc -O2 -std=c11 -Wall -Wextra -Werror -DSKEL="$e" -DSKEL_HEADER="\"$e.lskel.h\"" \
        -I"$out/c" bench/open_load.c -o "$out/c/ol_$e"
    python3 bench/ref_types.py "$obj" >"$out/ref71/${e}_types.h"
    if bpftool gen skeleton -L "$obj" name "$e" >"$out/ref71/$e.lskel.h" 2>/dev/null; then
        printf '#include "%s_types.h"\n#include "%s.lskel.h"\n' "$e" "$e" >"$out/ref71/${e}_ref.h"
        gcc -O2 -std=gnu11 -DSKEL="$e" -DSKEL_HEADER="\"${e}_ref.h\"" \
            -I"$out/ref71" bench/open_load.c -o "$out/ref71/ol_$e"
    fi
    if [ "$have78" = 1 ]; then
        # Generated and built inside the chroot (its bpftool, libbpf headers and gcc),
        # statically, so the host runs it.
        w=$chroot_dir/tmp/skelgen-floor
        mkdir -p "$w"
        cp "$obj" bench/open_load.c "$out/ref71/${e}_types.h" "$w/"
        # libbpf reads the kernel's configuration and kallsyms for .kconfig and ksym
        # externs: /proc is mounted in a mount namespace of its own, so only this sees it.
        if unshare -m sh -c 'mount -t proc proc "$1/proc" && exec chroot "$1" bpftool gen skeleton -L "$2" name "$3"' \
            sh "$chroot_dir" "/tmp/skelgen-floor/$e.bpf.o" "$e" >"$w/$e.lskel.h" 2>/dev/null; then
            printf '#include "%s_types.h"\n#include "%s.lskel.h"\n' "$e" "$e" >"$w/${e}_ref.h"
            chroot "$chroot_dir" "$chroot_cc" -O2 -std=gnu11 -static -DSKEL="$e" \
                -DSKEL_HEADER="\"${e}_ref.h\"" -I/tmp/skelgen-floor \
                /tmp/skelgen-floor/open_load.c -o "/tmp/skelgen-floor/ol_$e" &&
                cp "$w/ol_$e" "$out/ref78/ol_$e"
        fi
    fi
done

# --- Rust: one program with every example's module -----------------------------------
{
    echo '[package]'
    echo 'name = "floor-rust"'
    echo 'version = "0.0.0"'
    echo 'edition = "2021"'
    echo 'publish = false'
    echo '[dependencies]'
    echo 'libc = "0.2"'
    echo '[build-dependencies]'
    echo "skelgen = { path = \"$root\", default-features = false }"
    echo '[workspace]'
} >"$out/rust/Cargo.toml"
{
    echo 'fn main() {'
    for e in "${examples[@]}"; do echo "    skelgen::build::generate(\"$root/examples/bpf/$e.bpf.o\").unwrap();"; done
    echo '}'
} >"$out/rust/build.rs"
{
    for e in "${examples[@]}"; do echo "include!(concat!(env!(\"OUT_DIR\"), \"/$e.skel.rs\"));"; done
    cat <<'RS'
/// Median open+load of RUNS cycles (first load included), and of later loads while one
/// loaded skeleton is kept, in ns.
fn time<T>(runs: usize, mut load: impl FnMut() -> T) -> (u128, u128) {
    let mut cycle = |keep: &mut Vec<T>| {
        let t = std::time::Instant::now();
        let s = load();
        let ns = t.elapsed().as_nanos();
        keep.push(s);
        ns
    };
    let mut kept = Vec::new();
    let mut all: Vec<u128> = (0..runs).map(|_| { let ns = cycle(&mut kept); kept.clear(); ns }).collect();
    let first = cycle(&mut kept);
    let mut held: Vec<u128> = (0..runs).map(|_| { let ns = cycle(&mut kept); kept.truncate(1); ns }).collect();
    let _ = first;
    all.sort_unstable();
    held.sort_unstable();
    (all[runs / 2], held[runs / 2])
}

fn main() {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap();
    let runs: usize = args.next().unwrap().parse().unwrap();
    let (all, held) = match name.as_str() {
RS
    for e in "${examples[@]}"; do
        echo "        \"$e\" => time(runs, || $e::Open$(camel "$e")::open().unwrap().load().unwrap()),"
    done
    cat <<'RS'
        _ => panic!("unknown example"),
    };
    println!("{all}\t{held}");
}
RS
} >"$out/rust/src/main.rs"
(cd "$out/rust" && cargo build --quiet --release)

# --- Go: one program with every example's package ------------------------------------
printf 'module floor\n\ngo 1.21\n' >"$out/go/go.mod"
for e in "${examples[@]}"; do
    mkdir -p "$out/go/$e"
    "$skelgen" --lang go "examples/bpf/$e.bpf.o" -o "$out/go/$e/${e}_skel.go"
done
{
    echo 'package main'
    echo
    echo 'import ('
    echo '	"fmt"'
    echo '	"os"'
    echo '	"sort"'
    echo '	"strconv"'
    echo '	"time"'
    for e in "${examples[@]}"; do echo "	\"floor/$e\""; done
    echo ')'
    cat <<'GO'

type closer interface{ Close() error }

// timeLoads: the median open+load of runs cycles (first load included), and of later
// loads while one loaded skeleton is kept, in ns.
func timeLoads(runs int, load func() (closer, error)) (int64, int64) {
	cycle := func() (int64, closer) {
		t := time.Now()
		s, err := load()
		ns := time.Since(t).Nanoseconds()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return ns, s
	}
	all, held := make([]int64, runs), make([]int64, runs)
	for i := range all {
		ns, s := cycle()
		all[i] = ns
		s.Close()
	}
	_, keep := cycle()
	for i := range held {
		ns, s := cycle()
		held[i] = ns
		s.Close()
	}
	keep.Close()
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	sort.Slice(held, func(i, j int) bool { return held[i] < held[j] })
	return all[runs/2], held[runs/2]
}

func main() {
	runs, _ := strconv.Atoi(os.Args[2])
	var all, held int64
	switch os.Args[1] {
GO
    for e in "${examples[@]}"; do
        c=$(camel "$e")
        echo "	case \"$e\":"
        echo "		all, held = timeLoads(runs, func() (closer, error) {"
        echo "			s, err := $e.Open$c()"
        echo "			if err == nil {"
        echo "				err = s.Load()"
        echo "			}"
        echo "			return s, err"
        echo "		})"
    done
    cat <<'GO'
	}
	fmt.Printf("%d\t%d\n", all, held)
}
GO
} >"$out/go/main.go"
(cd "$out/go" && GOTOOLCHAIN=local CGO_ENABLED=0 "$go" build -o floor-go .)

# --- Measure -------------------------------------------------------------------------
run_c() { [ -x "$1" ] && "$1" "$RUNS" 2>/dev/null || echo "-"; }
mid() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
printf 'example\tfloor_ns\tc_ns\trust_ns\trust_held_ns\tgo_ns\tgo_held_ns\tbpftool71_ns\tbpftool78_ns\tloader_insns\tloader_verified\tloader_load_ns\tloader_run_ns\tprogs\tprog_verified\n' \
    >"$out/results.tsv"
declare -A col
for round in $(seq 1 "$ROUNDS"); do
    for e in "${examples[@]}"; do
        line=$("$floor" "$RUNS" "$e" | cut -f2-)
        col[$e,floor]+=" $(cut -f1 <<<"$line")"
        col[$e,loader]=$(cut -f2- <<<"$line")
        col[$e,ref71]+=" $(run_c "$out/ref71/ol_$e")"
        col[$e,c]+=" $(run_c "$out/c/ol_$e")"
        r=$("$out/rust/target/release/floor-rust" "$e" "$RUNS")
        col[$e,rust]+=" $(cut -f1 <<<"$r")"
        col[$e,rusth]+=" $(cut -f2 <<<"$r")"
        g=$("$out/go/floor-go" "$e" "$RUNS")
        col[$e,go]+=" $(cut -f1 <<<"$g")"
        col[$e,goh]+=" $(cut -f2 <<<"$g")"
        col[$e,ref78]+=" $(run_c "$out/ref78/ol_$e")"
    done
    echo "round $round done" >&2
done
for e in "${examples[@]}"; do
    row=$e
    for k in floor c rust rusth go goh ref71 ref78; do
        # shellcheck disable=SC2086
        row+=$'\t'$(mid ${col[$e,$k]})
    done
    printf '%s\t%s\n' "$row" "${col[$e,loader]}" >>"$out/results.tsv"
done
column -t "$out/results.tsv"
