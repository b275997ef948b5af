#!/usr/bin/env bash
# The project's test command; CI runs it through .ci/run.
#
#   scripts/test.sh            run every step
#   scripts/test.sh fmt test   run only the named steps
#   scripts/test.sh --list     list the steps
#
# Steps, in order (every step runs even when an earlier one failed):
#   deps           scripts/install-deps.sh (installs what is missing, mounts bpffs/tracefs)
#   fmt            cargo fmt --check (the crate and the fuzz crate)
#   clippy         cargo clippy --all-targets -- -D warnings
#   test           cargo test --all-targets
#   vm             tests/vm/run.sh: every check that needs another kernel, in one boot of
#                  each of Debian's 6.1, 6.12, 7.2 and 7.3 (tests/vm/README.md)
#   doctest        cargo test --doc
#   lib-only       cargo build --no-default-features --lib (the library without the CLI)
#   runtime-go     the Go runtime package (runtime/go): gofmt -l, go vet for every
#                  little-endian Linux target the skeletons build for, go test, and go vet
#                  and go test with Go 1.21 when that toolchain can be fetched
#   fuzz-runtime-go  each Go fuzz target of runtime/go for $GO_FUZZ_SECONDS (default 10)
#                  from its seeds (runtime/go/testdata/fuzz/<target>); a failure leaves the
#                  input there, to commit once fixed
#   runtime-c      runtime/c/tests/run.sh: the C runtime's unit tests (gcc, clang-19, and
#                  clang-19 with ASan/UBSan; C11 -Wall -Wextra -pedantic -Werror), every
#                  header built as C11 and as C++17, and the kernel variant built by kbuild W=1
#   runtime-rust   the Rust runtime crate (runtime/rust): rustfmt --check of its sources,
#                  clippy -D warnings with every part and with none of the optional ones,
#                  cargo test
#   fuzz-<target>  replay fuzz/regressions/<target>/, then fuzz for $FUZZ_SECONDS (default 20)
#                  from the seed corpus (fuzz/seed.sh); a crash fails the step
#   fuzz-runtime-c runtime/c/fuzz/run.sh: replay runtime/c/fuzz/regressions/, then libFuzzer
#                  (clang-19, ASan/UBSan) on the C runtime's BTF reader, gzip reader and
#                  buffer record parsing for $FUZZ_RUNTIME_C_SECONDS each (default 15)
#   fuzz-runtime-rust  each target of runtime/rust/fuzz in turn: replay its regressions/,
#                  then fuzz for $FUZZ_SECONDS from its committed seeds/ (runtime/rust/README.md)
#
# The last line printed is "N passed, M failed" (counting steps); the exit status is
# non-zero when any step failed. Logs of the fuzz steps are kept in target/test-logs/.
#
# BPF needs locked memory: this script raises the limit with `ulimit -l unlimited`
# (as root); when that is refused it says so and goes on.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

for dir in "$HOME/.cargo/bin" /usr/local/go/bin /usr/local/bin; do
    case ":$PATH:" in
        *":$dir:"*) ;;
        *) if [ -d "$dir" ]; then PATH="$dir:$PATH"; fi ;;
    esac
done
export PATH

FUZZ_SECONDS=${FUZZ_SECONDS:-20}
GO_FUZZ_SECONDS=${GO_FUZZ_SECONDS:-10}
log_dir=$root/target/test-logs

fuzz_targets=()
if [ -d fuzz/fuzz_targets ]; then
    for f in fuzz/fuzz_targets/*.rs; do
        [ -e "$f" ] || continue
        fuzz_targets+=("$(basename "$f" .rs)")
    done
fi

all_steps=(deps fmt clippy test vm doctest lib-only runtime-go fuzz-runtime-go runtime-c
    runtime-rust)
for t in "${fuzz_targets[@]}"; do
    all_steps+=("fuzz-$t")
done
all_steps+=(fuzz-runtime-c fuzz-runtime-rust)

if [ "${1:-}" = "--list" ]; then
    printf '%s\n' "${all_steps[@]}"
    exit 0
fi

selected=("${all_steps[@]}")
if [ "$#" -gt 0 ]; then
    for want in "$@"; do
        case " ${all_steps[*]} " in
            *" $want "*) ;;
            *)
                echo "test.sh: unknown step '$want' (steps: ${all_steps[*]})" >&2
                exit 2
                ;;
        esac
    done
    selected=("$@")
fi

if ! ulimit -l unlimited 2>/dev/null; then
    echo "note: could not raise the locked-memory limit (ulimit -l is $(ulimit -l));" \
        "kernels before 5.11 may refuse BPF maps and programs"
fi

# --- the steps -------------------------------------------------------------

step_deps() { bash scripts/install-deps.sh; }

step_fmt() {
    # rustfmt colours its diff even into a pipe or a CI log.
    local color=()
    [ -t 1 ] || color=(-- --color=never)
    cargo fmt --check "${color[@]}" || return 1
    if [ -f fuzz/Cargo.toml ]; then
        cargo fmt --check --manifest-path fuzz/Cargo.toml "${color[@]}" || return 1
    fi
}

step_clippy() { cargo clippy --all-targets -- -D warnings; }

step_test() { cargo test --all-targets; }

step_vm() { bash tests/vm/run.sh; }

step_doctest() { cargo test --doc; }

step_lib_only() { cargo build --no-default-features --lib; }

# The Go runtime is built, vetted and tested as the package it is, with the local
# toolchain and nothing from the environment that would change what it builds.
go_runtime() {
    (cd runtime/go && GOTOOLCHAIN=local GOFLAGS= CGO_ENABLED=0 "$@")
}

step_runtime_go() {
    local unformatted arch
    unformatted=$(cd runtime/go && gofmt -l .)
    if [ -n "$unformatted" ]; then
        echo "not gofmt-clean: $unformatted"
        return 1
    fi
    for arch in 386 amd64 arm arm64 loong64 mips64le mipsle ppc64le riscv64; do
        GOOS=linux GOARCH=$arch go_runtime go vet ./... || return 1
    done
    go_runtime go test -count=1 ./... || return 1
    # The oldest Go the skeletons support, when its toolchain can be fetched.
    if (cd runtime/go && GOTOOLCHAIN=go1.21.13 go version >/dev/null 2>&1); then
        (cd runtime/go && GOTOOLCHAIN=go1.21.13 GOFLAGS= CGO_ENABLED=0 go vet ./... &&
            GOTOOLCHAIN=go1.21.13 GOFLAGS= CGO_ENABLED=0 go test -count=1 ./...)
    else
        echo "note: go1.21.13 cannot be fetched; the runtime was tested with $(go version)"
    fi
}

step_fuzz_runtime_go() {
    local target log
    mkdir -p "$log_dir"
    for target in $(go_runtime go test -list '^Fuzz' . | grep '^Fuzz'); do
        log=$log_dir/fuzz-runtime-go-$target.log
        if ! go_runtime go test -run '^$' -fuzz "^$target\$" -fuzztime="${GO_FUZZ_SECONDS}s" . >"$log" 2>&1; then
            tail -n 40 "$log"
            echo "fuzzing $target found a failure; the input is in runtime/go/testdata/fuzz/$target/"
            return 1
        fi
        echo "$target: $(grep -Eo 'execs: [0-9]+' "$log" | tail -n 1)"
    done
}

step_runtime_c() { bash runtime/c/tests/run.sh; }

step_fuzz_runtime_c() {
    FUZZ_SECONDS=${FUZZ_RUNTIME_C_SECONDS:-15} bash runtime/c/fuzz/run.sh
}

seeded=0
fuzz_step() {
    if [ "$seeded" -eq 0 ]; then
        bash fuzz/seed.sh || return 1
        seeded=1
    fi
    fuzz_run . "$1"
}

# The Rust runtime (runtime/rust): rustfmt (its parts are include!d, which cargo fmt does
# not follow), clippy with and without its optional parts, unit tests.
step_runtime_rust() {
    local manifest=runtime/rust/Cargo.toml target_dir=$root/target/runtime-rust
    (cd runtime/rust && rustfmt --check --edition 2021 src/lib.rs src/runtime/*.rs \
        src/runtime/tests/*.rs fuzz/fuzz_targets/*.rs) || return 1
    cargo clippy --manifest-path "$manifest" --target-dir "$target_dir" --all-targets \
        --features fuzzing -- -D warnings || return 1
    cargo clippy --manifest-path "$manifest" --target-dir "$target_dir" --all-targets \
        --no-default-features -- -D warnings || return 1
    cargo test --manifest-path "$manifest" --target-dir "$target_dir"
}

# Every fuzz target of the Rust runtime, from its committed seeds.
step_fuzz_runtime_rust() {
    local dir=runtime/rust/fuzz f target
    for f in "$dir"/fuzz_targets/*.rs; do
        target=$(basename "$f" .rs)
        mkdir -p "$dir/corpus/$target"
        cp -n "$dir/seeds/$target"/* "$dir/corpus/$target/"
        echo "-- $target"
        fuzz_run runtime/rust "$target" || return 1
    done
}

# fuzz_run CRATE TARGET: builds CRATE/fuzz's TARGET, replays CRATE/fuzz/regressions/TARGET/,
# then fuzzes for $FUZZ_SECONDS from CRATE/fuzz/corpus/TARGET/; a crash fails it.
fuzz_run() {
    local crate=$1 target=$2 log
    local name=${crate#.}
    name=${name#/}
    name=${name//\//-}${name:+-}$target
    mkdir -p "$log_dir" "$crate/fuzz/corpus/$target"

    log=$log_dir/fuzz-$name-build.log
    if ! (cd "$crate" && cargo +nightly fuzz build "$target") >"$log" 2>&1; then
        tail -n 60 "$log"
        echo "fuzz build failed; full log: ${log#"$root"/}"
        return 1
    fi

    local regressions=$crate/fuzz/regressions/$target
    local count=0
    if [ -d "$regressions" ]; then
        count=$(find "$regressions" -type f ! -name '.*' | wc -l)
    fi
    if [ "$count" -gt 0 ]; then
        log=$log_dir/fuzz-$name-regressions.log
        if ! (cd "$crate" && cargo +nightly fuzz run "$target" "fuzz/regressions/$target" \
            -- -runs=0) >"$log" 2>&1; then
            tail -n 80 "$log"
            echo "a regression input in ${regressions#./} fails again; full log: ${log#"$root"/}"
            return 1
        fi
        echo "regressions: $count inputs pass"
    fi

    log=$log_dir/fuzz-$name.log
    if ! (cd "$crate" && cargo +nightly fuzz run "$target" "fuzz/corpus/$target" -- \
        -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1) >"$log" 2>&1; then
        tail -n 80 "$log"
        echo "fuzzing $target found a failure; the input is in ${crate#./}/fuzz/artifacts/$target/"
        echo "(see fuzz/README.md: minimise it and commit it to ${regressions#./}/); full log: ${log#"$root"/}"
        return 1
    fi
    grep -E '^stat::number_of_executed_units|^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true
}

# --- running them ----------------------------------------------------------

passed=0
failed=0
summary=()

run_step() {
    local name=$1 start elapsed status
    local -a fn
    case "$name" in
        fuzz-runtime-go) fn=(step_fuzz_runtime_go) ;;
        fuzz-runtime-c) fn=(step_fuzz_runtime_c) ;;
        fuzz-runtime-rust) fn=(step_fuzz_runtime_rust) ;;
        fuzz-*) fn=(fuzz_step "${name#fuzz-}") ;;
        *) fn=("step_${name//-/_}") ;;
    esac
    echo
    echo "==> $name"
    start=$SECONDS
    if "${fn[@]}"; then
        status=PASS
        passed=$((passed + 1))
    else
        status=FAIL
        failed=$((failed + 1))
    fi
    elapsed=$((SECONDS - start))
    echo "<== $name: $status (${elapsed}s)"
    summary+=("$(printf '%-4s %-16s %5ss' "$status" "$name" "$elapsed")")
}

total_start=$SECONDS
for name in "${selected[@]}"; do
    run_step "$name"
done

echo
echo "Summary ($((SECONDS - total_start))s):"
printf '  %s\n' "${summary[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
