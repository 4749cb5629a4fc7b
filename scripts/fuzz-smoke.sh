#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (preset `fuzz`) and runs each for a few seconds from its seed corpus.
# A crash, leak or sanitizer report fails the run. TANDEM_FUZZ_SECONDS sets the time per target;
# TANDEM_FUZZ_TARGETS="a_fuzz b_fuzz" runs only those.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${TANDEM_FUZZ_SECONDS:-5}"
# Set here, not inherited: a sanitizer report must stop the target with a non-zero status (the targets are also
# built with -fno-sanitize-recover=all), with a stack to act on.
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1
cmake --preset fuzz >/dev/null
if [ -n "${TANDEM_FUZZ_TARGETS:-}" ]; then
  read -r -a targets <<<"$TANDEM_FUZZ_TARGETS"
else
  listed=$(sed -n 's/^tandem_fuzz_target(\([a-z0-9_]*\).*/\1/p' tests/fuzz/CMakeLists.txt)
  mapfile -t targets <<<"$listed"
fi
[ -n "${targets[0]:-}" ] || { echo "fuzz: no targets found in tests/fuzz/CMakeLists.txt" >&2; exit 1; }
cmake --build --preset fuzz -j "$(nproc)" --target "${targets[@]}"
for t in "${targets[@]}"; do
  work=$(mktemp -d)
  [ -d "tests/fuzz/corpus/$t" ] && cp -r "tests/fuzz/corpus/$t/." "$work/"
  echo "fuzz: $t for ${seconds}s"
  # A crashing input is kept next to the log (build/fuzz/<target>-crash-...), not in the working tree.
  "build/fuzz/tests/fuzz/$t" -max_total_time="$seconds" -max_len=8192 -print_final_stats=0 \
    -artifact_prefix="build/fuzz/$t-" "$work" >"build/fuzz/$t.log" 2>&1 ||
    { tail -40 "build/fuzz/$t.log"; rm -rf "$work"; exit 1; }
  rm -rf "$work"
  # Belt and braces: a report that did not stop the target (a library built without the flags) still fails.
  if grep -Eq 'runtime error:|ERROR: (Address|Leak|UndefinedBehavior)Sanitizer' "build/fuzz/$t.log"; then
    echo "fuzz: $t reported a sanitizer error but exited 0" >&2
    grep -E -m5 -A10 'runtime error:|ERROR: (Address|Leak|UndefinedBehavior)Sanitizer' "build/fuzz/$t.log" >&2
    exit 1
  fi
done
echo "fuzz: ${#targets[@]} targets clean"
