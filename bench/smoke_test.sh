#!/usr/bin/env bash
# bench_smoke: starts the bare echo server on a free loopback port, drives it with tandem_load for a few
# hundred calls in the closed and the open loop, then for about a second by method name with JSON request
# templates, and fails unless every call succeeded and every report came out complete; calls the server cannot
# answer must show up by status code. A smoke test, never a timed one: it checks that the tools work, not how
# fast.
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

# Any unary RPC by name, from JSON templates used round-robin ({{seq}} rendered per call), for about a second.
"$load_bin" --target="$address" --method=tandem.testing.v1.EchoService/Echo --request='{"message":"hello"}' \
  --request='{"message":"call {{seq}} of run {{run}}","note":"n-{{seq}}"}' --token=smoke-not-a-secret \
  --mode=closed --channels=2 --in_flight=4 --warmup=0s --duration=1s --rpc_timeout=2s --json \
  >"$work/method.json" 2>"$work/method.err" || fail "the run by method name exited with $?"
grep -Eq '"ok":[1-9][0-9]*[,}]' "$work/method.json" || fail "method.json: no successful call"
grep -q '"errors":0[,}]' "$work/method.json" || fail "method.json: some calls failed"
grep -q '"errors_by_code":{}' "$work/method.json" || fail "method.json: calls by error code"
grep -q '"request_templates":2[,}]' "$work/method.json" || fail "method.json: not 2 templates"
grep -q '"method":"tandem.testing.v1.EchoService/Echo"' "$work/method.json" || fail "method.json: no method"
if grep -q 'smoke-not-a-secret' "$work/method.json" "$work/method.err"; then fail "the token was printed"; fi

# A method the echo server does not serve: every call fails, and the report counts them by code.
"$load_bin" "${common[@]}" --method=tandem.reminders.v1.ReminderService/ListReminders \
  --request='{"clinicId":"c1","page":{"pageSize":10}}' --requests=20 --json \
  >"$work/unimplemented.json" 2>"$work/unimplemented.err" || fail "the unimplemented run exited with $?"
grep -q '"ok":0[,}]' "$work/unimplemented.json" || fail "unimplemented.json: calls counted as ok"
grep -q '"UNIMPLEMENTED":20[,}]' "$work/unimplemented.json" || fail "unimplemented.json: not 20 UNIMPLEMENTED"

# An unknown method, a request that is not of the method's type, or a missing token file: refused (exit 2)
# before a call is sent.
for bad in --method=tandem.nothing.v1.NoService/Nothing --request='{"noSuchField":1}' \
  --request='{"delayMs":"{{seq}}"}' --token_file="$work/missing-token"; do
  set +e
  "$load_bin" "${common[@]}" "$bad" --requests=1 >"$work/bad.out" 2>"$work/bad.err"
  status=$?
  set -e
  [[ $status == 2 ]] || fail "$bad: exit status $status, not 2"
done

# It refuses anything but a loopback target, before sending a byte.
if "$load_bin" --target=192.0.2.1:80 --requests=1 >"$work/remote.out" 2>"$work/remote.err"; then
  fail "a non-loopback target was accepted"
fi

echo "bench_smoke: closed $(cat "$work/closed.json")"
echo "bench_smoke: open $(cat "$work/open.json")"
echo "bench_smoke: by method $(cat "$work/method.json")"
echo "bench_smoke: ok"
