#!/usr/bin/env bash
# Booking throughput of scheduling's store against the raw insert baseline in the same run: on a fresh SQLite
# file (and on PostgreSQL when a URL is given), tandem_raw_insert_bench inserts BOOKINGS rows, one per
# transaction from one thread, then tandem_scheduling_booking_bench books BOOKINGS appointments through
# SqlSchedulingStore::Book; prints both reports and the bookings' figures as ratios to the raw ones. Builds
# nothing. Exits non-zero when a row or a booking failed.
#   bench/run_booking_bench.sh BUILD_DIR [POSTGRES_URL]
# BOOKINGS (5000) sets the count for both. The PostgreSQL URL is never printed; the booking rows stay in that
# database (each run books under a clinic of its own), the raw table is dropped.
set -euo pipefail

build=${1:?usage: run_booking_bench.sh BUILD_DIR [POSTGRES_URL]}
pg_url=${2:-}
raw_bin=$build/bench/tandem_raw_insert_bench
booking_bin=$build/bench/tandem_scheduling_booking_bench
for bin in "$raw_bin" "$booking_bin"; do
  [[ -x $bin ]] || {
    echo "run_booking_bench: $bin is missing; build tandem_raw_insert_bench and tandem_scheduling_booking_bench" >&2
    exit 2
  }
done
count=${BOOKINGS:-5000}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'); $count of each, one per transaction"

status=0
run_pair() {
  local name=$1 raw_url=$2 booking_url=$3
  echo
  echo "== $name: raw insert baseline"
  "$raw_bin" --db_url="$raw_url" --rows="$count" --threads=1 --json | tee "$work/$name-raw.json" || status=1
  echo "== $name: SqlSchedulingStore::Book"
  "$booking_bin" --db_url="$booking_url" --bookings="$count" --json 2>"$work/$name-booking.err" |
    tee "$work/$name-booking.json" || { status=1; cat "$work/$name-booking.err" >&2; }
  python3 - "$name" "$work/$name-raw.json" "$work/$name-booking.json" <<'PY' || status=1
import json, sys
name, raw, booking = sys.argv[1], *(json.load(open(p)) for p in sys.argv[2:4])
for label, r, rate in (("raw insert", raw, raw["rows_per_second"]), ("Book", booking, booking["bookings_per_second"])):
    lat = r["latency_us"]
    print(f"{name} {label}: {rate:.0f}/s, {r['ok']} ok, {r['failed']} failed, "
          f"p50 {lat['p50']:.0f} us, p90 {lat['p90']:.0f} us, p99 {lat['p99']:.0f} us")
if raw["failed"] or booking["failed"] or not raw["ok"] or not booking["ok"]:
    print(f"{name}: failed writes; these figures are no benchmark")
    sys.exit(1)
ratio = lambda a, b: a / b if b else float("nan")
print(f"{name} ratio to raw insert: {ratio(booking['bookings_per_second'], raw['rows_per_second']):.2f} x "
      f"throughput, p50 {ratio(booking['latency_us']['p50'], raw['latency_us']['p50']):.1f} x, "
      f"p99 {ratio(booking['latency_us']['p99'], raw['latency_us']['p99']):.1f} x")
PY
}

# Separate files, so the booking run's database does not carry the baseline's pages, and the reverse.
run_pair sqlite "sqlite://$work/raw.db" "sqlite://$work/booking.db"
[[ -z $pg_url ]] || run_pair postgresql "$pg_url" "$pg_url"
exit $status
