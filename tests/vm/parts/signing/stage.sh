#!/usr/bin/env bash
# Signed loaders: the test binary of tests/signed_kernel.rs (signatures of skelgen::sign,
# loaders of compile_signed, loaded by the runtime's rule), built on the host for the guest.
set -euo pipefail

cd "$ROOT"
bin=$(cargo test --test signed_kernel --no-run --message-format=json 2>/dev/null |
    sed -n 's/.*"executable":"\([^"]*signed_kernel[^"]*\)".*/\1/p' | tail -n 1)
[ -x "$bin" ] || { echo "no signed_kernel test binary"; exit 1; }
cp "$bin" "$STAGE/signed_kernel"

# The C runtime's signed loading: one driver per example (tests/signed_c.rs).
SKELGEN_SIGNED_C_STAGE=$STAGE/c cargo test --quiet --test signed_c drivers_build
