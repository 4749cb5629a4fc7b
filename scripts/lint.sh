#!/usr/bin/env bash
# clang-format and clang-tidy on the C++ files changed since the base revision (default: the previous commit on
# main, or every file when there is no history). Warnings are errors.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${1:-build/ci}"
base="${TANDEM_LINT_BASE:-HEAD~1}"

if git rev-parse --verify -q "$base" >/dev/null; then
  mapfile -t files < <(git diff --name-only --diff-filter=ACMR "$base" -- '*.cc' '*.h'; \
                       git ls-files --others --exclude-standard -- '*.cc' '*.h')
else
  mapfile -t files < <(git ls-files -- '*.cc' '*.h')
fi
[ ${#files[@]} -eq 0 ] && { echo "lint: no changed C++ files"; exit 0; }

status=0
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  if ! clang-format --dry-run --Werror "$f" 2>/dev/null; then
    echo "lint: $f is not clang-formatted (run clang-format -i $f)"
    status=1
  fi
done

mapfile -t sources < <(printf '%s\n' "${files[@]}" | grep -E '\.cc$' || true)
if [ ${#sources[@]} -gt 0 ]; then
  # Only files the compilation database knows (generated protos and fuzz-only sources are skipped).
  mapfile -t known < <(for f in "${sources[@]}"; do
    grep -q "\"file\": \"$(pwd)/$f\"" "$build_dir/compile_commands.json" && echo "$f"; done || true)
  if [ ${#known[@]} -gt 0 ]; then
    printf "%s\n" "${known[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy -p "$build_dir" --quiet --extra-arg=-Wno-unknown-warning-option 2>/dev/null || status=1
  fi
fi
exit $status
