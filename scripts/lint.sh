#!/usr/bin/env bash
# clang-format and clang-tidy on C++ files. Warnings are errors.
#   scripts/lint.sh [BUILD_DIR]    a configured and built tree (default build/ci): its compile_commands.json must
#                                  list every .cc that is checked, and the generated headers must exist.
# Which files:
#   TANDEM_LINT_BASE=REV    those changed since REV, uncommitted and untracked ones included (before a commit:
#                           TANDEM_LINT_BASE=HEAD).
#   TANDEM_LINT_BASE=all    every file.
#   unset (CI)              those changed since the last commit that passed on this machine, as recorded in
#                           $TANDEM_LINT_STATE (default ~/.cache/tandem/lint-passed, kept like the ccache); with no
#                           usable record, those changed since the commit in .ci/lint-base (files older than it
#                           were checked when they changed); every file when neither is usable, when the recorded commit is not in
#                           HEAD's history (a shallow clone, a rewritten branch) or when clang-tidy, clang-format
#                           or their configuration changed since. A full run is slow (clang-tidy takes 15-25 s a
#                           file); the runs after it check only what changed.
# A header is checked through a .cc that includes it, directly or through other headers (its own .cc first):
# clang-tidy reports findings in headers there. A .cc missing from the compilation database, a header that no .cc
# includes and a failing git command are errors. CLANG_TIDY names another clang-tidy (e.g. clang-tidy-15).
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
build_dir="${1:-build/ci}"
db="$build_dir/compile_commands.json"
state="${TANDEM_LINT_STATE:-$HOME/.cache/tandem/lint-passed}"
read -r -a tidy <<<"${CLANG_TIDY:-clang-tidy}"
[ -s "$db" ] || { echo "lint: $db is missing (configure and build $build_dir first)" >&2; exit 2; }
git rev-parse --git-dir >/dev/null

# What a recorded pass depends on besides the files.
tools=$( { "${tidy[@]}" --version; clang-format --version; cat .clang-tidy .clang-format; } | sha256sum | cut -c1-16)

base="${TANDEM_LINT_BASE:-}"
if [ -z "$base" ] && [ -s "$state" ]; then
  read -r recorded recorded_tools <"$state" || true
  if [ "${recorded_tools:-}" = "$tools" ] && git merge-base --is-ancestor "${recorded:-none}" HEAD 2>/dev/null; then
    base=$recorded
  fi
fi
# Without a record, the commit named in .ci/lint-base (kept in the repository; moved forward when a run on a clean
# checkout passes): a fresh clone checks what changed since then instead of spending 30-40 minutes on every file.
if [ -z "$base" ] && [ -s .ci/lint-base ]; then
  read -r committed_base <.ci/lint-base
  git merge-base --is-ancestor "$committed_base" HEAD 2>/dev/null && base=$committed_base
fi
if [ -z "$base" ] || [ "$base" = all ]; then
  echo "lint: every C++ file"
  listed=$(git ls-files --cached --others --exclude-standard -- '*.cc' '*.h')
else
  git rev-parse --verify -q "$base^{commit}" >/dev/null || { echo "lint: $base is not a commit" >&2; exit 2; }
  echo "lint: C++ files changed since $(git rev-parse --short "$base")"
  listed=$(git diff --name-only --diff-filter=ACMR "$base" -- '*.cc' '*.h'
           git ls-files --others --exclude-standard -- '*.cc' '*.h')
fi
listed=$(sort -u <<<"$listed")
files=()
while read -r f; do
  if [ -n "$f" ] && [ -f "$f" ]; then files+=("$f"); fi  # not deleted in the working tree
done <<<"$listed"
[ ${#files[@]} -eq 0 ] && { echo "lint: no changed C++ files"; exit 0; }

status=0
for f in "${files[@]}"; do
  if ! clang-format --dry-run --Werror "$f" 2>/dev/null; then
    echo "lint: $f is not clang-formatted (run clang-format -i $f)"
    status=1
  fi
done

# A .cc that compiles header $1: exit 1 when there is none, 2 when git fails.
includer_of() {
  local -a queue=("$1") next
  local -A seen=(["$1"]=1)
  local h u users
  while [ ${#queue[@]} -gt 0 ]; do
    next=()
    for h in "${queue[@]}"; do
      [ -f "${h%.h}.cc" ] && { echo "${h%.h}.cc"; return 0; }
      users=$(git grep --untracked -l -F "#include \"$h\"" -- '*.cc' '*.h') || [ $? -eq 1 ] || exit 2
      for u in $users; do
        case $u in
          *.cc) echo "$u"; return 0 ;;
          *) [ -n "${seen[$u]:-}" ] || { seen[$u]=1; next+=("$u"); } ;;
        esac
      done
    done
    queue=("${next[@]}")
  done
  return 1
}

units=()
for f in "${files[@]}"; do
  case $f in
    *.cc) units+=("$f") ;;
    *.h)
      rc=0
      cc=$(includer_of "$f") || rc=$?
      case $rc in
        0) units+=("$cc") ;;
        1) echo "lint: no .cc includes $f, so nothing checks it"; status=1 ;;
        *) echo "lint: git grep failed" >&2; exit 2 ;;
      esac ;;
  esac
done

known=$(jq -r '.[].file' "$db")
declare -A in_db=()
while read -r f; do in_db[$f]=1; done <<<"$known"
units_sorted=$(printf '%s\n' "${units[@]}" | sort -u)
checked=()
while read -r f; do
  [ -n "$f" ] || continue
  if [ -n "${in_db[$PWD/$f]:-}" ]; then
    checked+=("$f")
  else
    echo "lint: $f is not in $db (not part of any target, or the build is not configured)"
    status=1
  fi
done <<<"$units_sorted"
if [ ${#checked[@]} -gt 0 ]; then
  echo "lint: clang-tidy on ${#checked[@]} files"
  errors=$(mktemp)
  printf "%s\n" "${checked[@]}" |
    xargs -P "$(nproc)" -n 4 "${tidy[@]}" -p "$build_dir" --quiet --extra-arg=-Wno-unknown-warning-option \
    2>"$errors" || status=1
  # Keep what clang-tidy says on stderr (files it could not process) but not its per-file warning counts.
  grep -Ev '^[0-9]+ (warning|error)s? (and [0-9]+ (warning|error)s? )?(generated|treated as errors)\.$' "$errors" >&2 ||
    true
  rm -f "$errors"
fi

# A pass stands for HEAD only in a clean checkout: uncommitted edits may be what made it pass.
dirty=$(git status --porcelain -- '*.cc' '*.h' .clang-tidy .clang-format)
if [ $status -eq 0 ] && { [ -z "${TANDEM_LINT_BASE:-}" ] || [ "$TANDEM_LINT_BASE" = all ]; } && [ -z "$dirty" ]; then
  mkdir -p "$(dirname "$state")"
  echo "$(git rev-parse HEAD) $tools" >"$state"
fi
exit $status
