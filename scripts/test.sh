#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the README's test command and what CI runs.
#
#   scripts/test.sh            everything (gcc -Werror build + all tests, every test again under ASan + UBSan,
#                              fuzz targets, clang-format and clang-tidy (scripts/lint.sh: the files changed since
#                              .ci/lint-base, or since the last passing run here), benchmarks in smoke mode)
#   TANDEM_TEST_QUICK=1 ...    only the -Werror build and its tests
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

bash scripts/install-deps.sh

jobs=$(nproc)
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"

echo "== build (gcc, -Werror)"
cmake --preset ci >/dev/null
cmake --build --preset ci -j "$jobs"

echo "== tests"
ctest --preset ci -j "$jobs" --timeout 600 --no-tests=error

if [ "${TANDEM_TEST_QUICK:-0}" != "1" ]; then
  echo "== sanitizers (ASan + UBSan): every test again, services and the processes tests start included"
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j "$jobs"
  # Every report goes to a file, so one written by a child process (a service a test started and stopped)
  # fails the stage even when the test itself passed.
  reports=build/asan/sanitizer-reports
  rm -rf "$reports" && mkdir -p "$reports"
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1:log_path=$PWD/$reports/asan" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$PWD/$reports/ubsan" \
    ctest --preset asan -j "$jobs" --timeout 900 --no-tests=error || sanitized_tests=$?
  if [ -n "$(ls -A "$reports")" ]; then
    cat "$reports"/*
    echo "sanitizer reports above (in $reports)" >&2
    exit 1
  fi
  [ "${sanitized_tests:-0}" = 0 ] || exit "$sanitized_tests"

  echo "== fuzz targets (clang, libFuzzer), a few seconds each"
  bash scripts/fuzz-smoke.sh

  echo "== clang-format and clang-tidy"
  bash scripts/lint.sh build/ci
fi

echo "== done in $(( $(date +%s) - start )) s"
