#!/usr/bin/env bash
# bench_smoke: starts the bare echo server on a free loopback port, drives it with tandem_load for a few
# hundred calls in the closed and the open loop, and fails unless every call succeeded and every report came
# out complete. A smoke test, never a timed one: it checks that the tools work, not how fast.
#   smoke_test.sh PATH/tandem_echo_server PATH/tandem_load
set -euo pipefail

server_bin=${1:?usage: smoke_test.sh ECHO_SERVER LOAD_GENERATOR}
load_bin=${2:?usage: smoke_test.sh ECHO_SERVER LOAD_GENERATOR}
work=$(mktemp -d)
server_pid=""

cleanup() {
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "bench_smoke: FAIL: $*" >&2
  for f in "$work"/*; do
    [[ -f $f ]] && { echo "--- $(basename "$f")" >&2; cat "$f" >&2; }
  done
  exit 1
}

"$server_bin" --port=0 >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
for _ in $(seq 100); do
  grep -q '^listening on ' "$work/server.out" && break
  kill -0 "$server_pid" 2>/dev/null || fail "echo server exited before listening"
  sleep 0.1
done
address=$(sed -n 's/^listening on //p' "$work/server.out")
[[ $address =~ ^127\.0\.0\.1:[0-9]+$ ]] || fail "echo server did not print its address"

# Bounded by --requests; --duration and --rpc_timeout only cap a hung run.
common=(--target="$address" --warmup=0s --duration=20s --rpc_timeout=2s --payload_bytes=64)

# $1: report file, $2: expected successful calls.
check_json() {
  local report=$1 expected=$2
  [[ -s $report ]] || fail "$(basename "$report") is empty"
  grep -q "\"ok\":${expected}[,}]" "$report" || fail "$(basename "$report"): not $expected successful calls"
  grep -q '"errors":0[,}]' "$report" || fail "$(basename "$report"): some calls failed"
  grep -q '"unfinished":0[,}]' "$report" || fail "$(basename "$report"): calls left unanswered"
  grep -q '"unsent":0[,}]' "$report" || fail "$(basename "$report"): scheduled calls not sent"
  grep -q '"p999":' "$report" || fail "$(basename "$report"): no latency percentiles"
}

"$load_bin" "${common[@]}" --mode=closed --channels=2 --in_flight=8 --requests=400 --json \
  >"$work/closed.json" 2>"$work/closed.err" || fail "closed loop exited with $?"
check_json "$work/closed.json" 400

"$load_bin" "${common[@]}" --mode=open --channels=2 --rate=2000 --requests=300 --json \
  >"$work/open.json" 2>"$work/open.err" || fail "open loop exited with $?"
check_json "$work/open.json" 300
grep -q '"max_send_lag_us":' "$work/open.json" || fail "open.json: no send lag"

"$load_bin" "${common[@]}" --mode=closed --in_flight=4 --requests=200 \
  >"$work/table.txt" 2>"$work/table.err" || fail "table run exited with $?"
grep -q '^calls  *200 ok, 0 failed$' "$work/table.txt" || fail "table.txt: not 200 ok, 0 failed"
grep -q '^qps  *[0-9]' "$work/table.txt" || fail "table.txt: no qps"

# It refuses anything but a loopback target, before sending a byte.
if "$load_bin" --target=192.0.2.1:80 --requests=1 >"$work/remote.out" 2>"$work/remote.err"; then
  fail "a non-loopback target was accepted"
fi

echo "bench_smoke: closed $(cat "$work/closed.json")"
echo "bench_smoke: open $(cat "$work/open.json")"
echo "bench_smoke: ok"
