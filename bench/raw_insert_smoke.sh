#!/usr/bin/env bash
# raw_insert_*_smoke: runs tandem_raw_insert_bench for a few hundred rows and fails unless every row was
# inserted, the report is complete and the table is gone afterwards. A smoke test, never a timed one.
#   raw_insert_smoke.sh PATH/tandem_raw_insert_bench sqlite
#   raw_insert_smoke.sh PATH/tandem_raw_insert_bench postgres   (TANDEM_TEST_PG_STATE_DIR names the server of
#                                                                the ctest `postgres` fixture)
set -euo pipefail

bench_bin=${1:?usage: raw_insert_smoke.sh RAW_INSERT_BENCH sqlite|postgres}
backend=${2:?usage: raw_insert_smoke.sh RAW_INSERT_BENCH sqlite|postgres}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() {
  echo "raw_insert_smoke ($backend): FAIL: $*" >&2
  for f in "$work"/*.out "$work"/*.err; do
    [[ -f $f ]] && { echo "--- $(basename "$f")" >&2; cat "$f" >&2; }
  done
  exit 1
}

case $backend in
  sqlite) url="sqlite://$work/raw.db" ;;
  postgres)
    state=${TANDEM_TEST_PG_STATE_DIR:?the postgres fixture did not set TANDEM_TEST_PG_STATE_DIR}
    [[ -s $state/url ]] || fail "no PostgreSQL URL in $state/url"
    url=$(cat "$state/url") ;;
  *) fail "unknown backend $backend" ;;
esac

"$bench_bin" --db_url="$url" --rows=300 --threads=2 --json >"$work/run.out" 2>"$work/run.err" ||
  fail "exited with $?"
grep -q '"ok":300[,}]' "$work/run.out" || fail "not 300 rows inserted"
grep -q '"failed":0[,}]' "$work/run.out" || fail "some rows failed"
grep -q '"rows_per_second":' "$work/run.out" || fail "no rows/s"
grep -q '"p99":' "$work/run.out" || fail "no latency percentiles"

# The table report, with a name of our choosing, then the same name again: the first run dropped its table.
for run in table again; do
  "$bench_bin" --db_url="$url" --rows=50 --table=raw_insert_smoke_$$ >"$work/$run.out" 2>"$work/$run.err" ||
    fail "$run run exited with $?"
  grep -q '^rows  *50 ok, 0 failed' "$work/$run.out" || fail "$run run: not 50 ok, 0 failed"
done

# Bad flags are refused before touching the database.
if "$bench_bin" --db_url="$url" --rows=10 --table='x; DROP TABLE y' >"$work/bad.out" 2>"$work/bad.err"; then
  fail "an SQL-unsafe table name was accepted"
fi

echo "raw_insert_smoke ($backend): $(cat "$work/run.out")"
echo "raw_insert_smoke ($backend): ok"
