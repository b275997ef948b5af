#!/usr/bin/env bash
# Side by side, in one run: open+load latency and release binary size of a program that
# opens and loads one BPF object with
#   - skelgen's Rust light skeleton (skelgen::build in build.rs; libc only),
#   - libbpf-rs with libbpf-cargo's skeleton (libbpf, libelf and zlib through libbpf-sys),
#   - aya (pure Rust, the object parsed at run time).
# libbpf-rs, libbpf-cargo and aya come from crates.io into a scratch workspace under
# target/bench-rust (never committed). Needs root (it loads BPF) and network for crates.io.
#
#   bench/rust.sh     BENCH_PROCESSES (15) processes of each, BENCH_RUNS (50) + 1 loads each
#
# Each load sets the same .rodata value (target_pid) first and is dropped outside the
# timing. The table goes to stdout and target/bench-rust/results.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${BENCH_RUNS:-50}
object=$ROOT/examples/bpf/minimal.bpf.o
dir=$ROOT/target/bench-rust
if [ "$(id -u)" -ne 0 ]; then
    echo "bench/rust.sh: loading BPF needs root" >&2
    exit 1
fi
mkdir -p "$dir"
cd "$dir"

# --- the scratch workspace -------------------------------------------------

cat >Cargo.toml <<TOML
[workspace]
members = ["skelgen-bench", "libbpf-bench", "aya-bench"]
resolver = "2"

[profile.release]
# The defaults, written out: what a user's release build gets.
opt-level = 3
debug = false
TOML

mkdir -p skelgen-bench/src libbpf-bench/src aya-bench/src

cat >skelgen-bench/Cargo.toml <<TOML
[package]
name = "skelgen-bench"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
libc = "0.2"

[build-dependencies]
skelgen = { path = "$ROOT", default-features = false }
TOML
cat >skelgen-bench/build.rs <<RS
fn main() {
    skelgen::build::generate("$object").unwrap();
}
RS
cat >skelgen-bench/src/main.rs <<'RS'
include!(concat!(env!("OUT_DIR"), "/minimal.skel.rs"));
include!("../../timing.rs");

fn main() {
    let times = time_loads(|| {
        let mut open = minimal::OpenMinimal::open().unwrap();
        open.rodata_mut().target_pid = 1;
        open.load().unwrap()
    });
    report("skelgen", &times);
}
RS

cat >libbpf-bench/Cargo.toml <<'TOML'
[package]
name = "libbpf-bench"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
libbpf-rs = "0.27"

[build-dependencies]
libbpf-cargo = "0.27"
TOML
cat >libbpf-bench/build.rs <<RS
fn main() {
    let out = std::path::Path::new(&std::env::var_os("OUT_DIR").unwrap()).join("minimal.skel.rs");
    libbpf_cargo::SkeletonBuilder::new().obj("$object").generate(&out).unwrap();
}
RS
cat >libbpf-bench/src/main.rs <<'RS'
mod minimal {
    include!(concat!(env!("OUT_DIR"), "/minimal.skel.rs"));
}
include!("../../timing.rs");

use libbpf_rs::skel::{OpenSkel, SkelBuilder};
use std::mem::MaybeUninit;

fn main() {
    // The skeleton borrows the storage of its open object, so the loop is written out.
    let mut times = Vec::with_capacity(RUNS + 1);
    for _ in 0..=RUNS {
        let mut storage = MaybeUninit::uninit();
        let start = std::time::Instant::now();
        let mut open = minimal::MinimalSkelBuilder::default().open(&mut storage).unwrap();
        open.maps.rodata_data.as_deref_mut().unwrap().target_pid = 1;
        let skel = open.load().unwrap();
        times.push(start.elapsed());
        drop(skel);
    }
    report("libbpf-rs", &times);
}
RS

cat >aya-bench/Cargo.toml <<'TOML'
[package]
name = "aya-bench"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
aya = "0.14"
TOML
cat >aya-bench/build.rs <<RS
fn main() {
    let out = std::path::Path::new(&std::env::var_os("OUT_DIR").unwrap()).join("minimal.bpf.o");
    std::fs::copy("$object", out).unwrap();
}
RS
cat >aya-bench/src/main.rs <<'RS'
include!("../../timing.rs");

use aya::programs::TracePoint;
use aya::{Ebpf, EbpfLoader};

static OBJECT: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/minimal.bpf.o"));

fn load(loader: &mut EbpfLoader<'_>) -> Ebpf {
    let mut ebpf = loader.override_global("target_pid", &1u32, true).load(OBJECT).unwrap();
    let prog: &mut TracePoint = ebpf.program_mut("handle_getpid").unwrap().try_into().unwrap();
    prog.load().unwrap();
    ebpf
}

fn main() {
    if std::env::args().nth(1).as_deref() != Some("reuse") {
        // A new loader per load: EbpfLoader::new() reads and parses the kernel's BTF
        // (/sys/kernel/btf/vmlinux) every time.
        report("aya", &time_loads(|| load(&mut EbpfLoader::new())));
        return;
    }
    // One loader for every load: the kernel's BTF is read once, in the first load's time.
    let start = std::time::Instant::now();
    let mut loader = EbpfLoader::new();
    let first = load(&mut loader);
    let mut times = vec![start.elapsed()];
    drop(first);
    times.extend(time_loads(|| load(&mut loader)).into_iter().skip(1));
    report("aya (one EbpfLoader)", &times);
}
RS

cat >timing.rs <<RS
/// Timed loads (BENCH_RUNS).
const RUNS: usize = $runs;

/// Times RUNS + 1 calls of \`load\`, dropping what it returns outside the timing.
#[allow(dead_code)]
fn time_loads<T>(mut load: impl FnMut() -> T) -> Vec<std::time::Duration> {
    let mut times = Vec::with_capacity(RUNS + 1);
    for _ in 0..=RUNS {
        let start = std::time::Instant::now();
        let loaded = load();
        times.push(start.elapsed());
        drop(loaded);
    }
    times
}

/// Prints "RESULT <first load us>:<median of the others us>:<name>".
fn report(name: &str, times: &[std::time::Duration]) {
    let first = times[0].as_secs_f64() * 1e6;
    let mut us: Vec<f64> = times[1..].iter().map(|t| t.as_secs_f64() * 1e6).collect();
    us.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!("RESULT {first:.0}:{:.0}:{name}", us[us.len() / 2]);
}
RS

# --- build and run ---------------------------------------------------------

echo "==> cargo build --release (skelgen, libbpf-rs + libbpf-cargo, aya from crates.io)"
cargo build --release --quiet
ulimit -l unlimited 2>/dev/null || true

# Each program runs PROCESSES times, the three interleaved so that the machine's load
# falls on all alike: its first load in a fresh process ("cold": what a tool that loads
# once pays) and the median of its other RUNS loads ("warm").
processes=${BENCH_PROCESSES:-15}
: >"$dir/raw.txt"
for _ in $(seq "$processes"); do
    for run in skelgen libbpf aya "aya reuse"; do
        read -r bin arg <<<"$run"
        "$dir/target/release/$bin-bench" $arg | sed -n 's/^RESULT //p' >>"$dir/raw.txt"
    done
done

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
column() { awk -F: -v n="$1" -v f="$2" '$3 == n { print $f }' "$dir/raw.txt" | median; }
size_row() {
    local exe=$dir/target/release/$1-bench stripped=$dir/target/$1-bench.stripped
    strip -o "$stripped" "$exe"
    echo "$(($(stat -c %s "$exe") / 1024)) KiB | $(($(stat -c %s "$stripped") / 1024)) KiB |" \
        "$(ldd "$exe" | awk '/=>/ { print $1 }' | sort | tr '\n' ' ')|"
}

base_cold=$(column skelgen 1)
base_warm=$(column skelgen 2)
{
    echo "| loader | first load (µs) | vs skelgen | later loads (µs) | vs skelgen | release binary | stripped | shared libraries |"
    echo "|---|---:|---:|---:|---:|---:|---:|---|"
    while IFS=: read -r bin name; do
        cold=$(column "$name" 1)
        warm=$(column "$name" 2)
        ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
        echo "| $name | $cold | $(ratio "$cold" "$base_cold") | $warm | $(ratio "$warm" "$base_warm") | $(size_row "$bin")"
    done <<ROWS
skelgen:skelgen
libbpf:libbpf-rs
aya:aya
aya:aya (one EbpfLoader)
ROWS
    echo
    echo "Object: examples/bpf/minimal.bpf.o (1 program; 6 maps: a hash map and five global-data"
    echo "sections), .rodata's target_pid set before each load. Medians over $processes processes:"
    echo "the first load of each process, and the median of its $runs later loads. Kernel"
    echo "$(uname -r), $(nproc) CPUs, $(rustc --version | cut -d' ' -f1-2); libbpf-rs"
    echo "$(grep -A1 '^name = "libbpf-rs"' Cargo.lock | sed -n 's/version = "\(.*\)"/\1/p'), libbpf-sys" \
        "$(grep -A1 '^name = "libbpf-sys"' Cargo.lock | sed -n 's/version = "\(.*\)"/\1/p'), aya" \
        "$(grep -A1 '^name = "aya"' Cargo.lock | sed -n 's/version = "\(.*\)"/\1/p')."
} | tee "$dir/results.md"
