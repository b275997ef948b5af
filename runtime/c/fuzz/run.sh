#!/usr/bin/env bash
# libFuzzer runs of the C runtime's parsers: fuzz_btf (the kernel-BTF reader), fuzz_inflate
# (the gzip reader), fuzz_buffers (ring and perf buffer records) and fuzz_elf (the ELF
# symbol reader of uprobes by name).
#
#   runtime/c/fuzz/run.sh [TARGET...]     default: every fuzz_*.c here
#
# Each target is built with clang-19 -fsanitize=fuzzer,address,undefined; the inputs in
# regressions/<target>/ are replayed first (each must pass), then the target runs for
# $FUZZ_SECONDS (default 15) from seeds/<target>/, in a working corpus under
# target/runtime-c-fuzz/ so the committed seeds stay as they are; an input that runs for
# 10 s counts as a hang. A crash fails the run; its
# input is left in target/runtime-c-fuzz/artifacts/<target>/: minimise it (-minimize_crash=1),
# fix the runtime, and commit the input to regressions/<target>/.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out=$root/target/runtime-c-fuzz
seconds=${FUZZ_SECONDS:-15}
mkdir -p "$out"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for f in "$here"/fuzz_*.c; do
        t=$(basename "$f" .c)
        targets+=("${t#fuzz_}")
    done
fi

failed=0
for t in "${targets[@]}"; do
    bin=$out/fuzz_$t
    log=$out/fuzz_$t.log
    if ! clang-19 -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
        "$here/fuzz_$t.c" -o "$bin" 2>"$log"; then
        cat "$log"
        echo "fuzz_$t: build failed"
        failed=1
        continue
    fi
    regressions=$here/regressions/$t
    if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
        if ! "$bin" "$regressions"/* >"$log" 2>&1; then
            tail -n 30 "$log"
            echo "fuzz_$t: a regression input fails again"
            failed=1
            continue
        fi
        echo "fuzz_$t: $(ls "$regressions" | wc -l) regression inputs pass"
    fi
    mkdir -p "$out/corpus/$t" "$out/artifacts/$t"
    if ! "$bin" "$out/corpus/$t" "$here/seeds/$t" -max_total_time="$seconds" -max_len=65536 \
        -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$out/artifacts/$t/" -print_final_stats=1 \
        >"$log" 2>&1; then
        tail -n 40 "$log"
        echo "fuzz_$t: found a failure; the input is in ${out#"$root"/}/artifacts/$t/"
        failed=1
        continue
    fi
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
    echo "fuzz_$t: ${seconds}s, ${runs:-?} runs, no failure"
done
exit $failed
