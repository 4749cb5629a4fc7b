#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (preset `fuzz`) and runs each for a few seconds from its seed corpus.
# A crash, leak or sanitizer report fails the run. TANDEM_FUZZ_SECONDS sets the time per target.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${TANDEM_FUZZ_SECONDS:-5}"
cmake --preset fuzz >/dev/null
mapfile -t targets < <(sed -n 's/^tandem_fuzz_target(\([a-z0-9_]*\).*/\1/p' tests/fuzz/CMakeLists.txt)
cmake --build --preset fuzz -j "$(nproc)" --target "${targets[@]}"
for t in "${targets[@]}"; do
  work=$(mktemp -d)
  [ -d "tests/fuzz/corpus/$t" ] && cp -r "tests/fuzz/corpus/$t/." "$work/"
  echo "fuzz: $t for ${seconds}s"
  "build/fuzz/tests/fuzz/$t" -max_total_time="$seconds" -max_len=8192 -print_final_stats=0 "$work" \
    > "build/fuzz/$t.log" 2>&1 || { tail -40 "build/fuzz/$t.log"; rm -rf "$work"; exit 1; }
  rm -rf "$work"
done
echo "fuzz: ${#targets[@]} targets clean"
