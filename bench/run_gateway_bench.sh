#!/usr/bin/env bash
# The gateway's cost, measured in one run against its own baseline: wrk drives GET /v1/echo/{message} through the
# gateway to the bare echo server, then tandem_load calls the same Echo RPC on the same server directly over gRPC
# with the same concurrency. Prints both and the throughput ratio. Builds nothing:
#   bench/run_gateway_bench.sh BUILD_DIR          (an optimised build for figures worth recording)
# Exits non-zero when either side had a failed call (non-2xx answers, wrk socket errors or timeouts, gRPC errors
# or calls left unanswered, warmup included) or no figure came out: a ratio over failed calls means nothing.
# Environment (defaults): CONNECTIONS=64 DURATION=10s WARMUP=2s
set -euo pipefail

build=${1:?usage: run_gateway_bench.sh BUILD_DIR}
echo_bin=$build/bench/tandem_echo_server
load_bin=$build/bench/tandem_load
gateway_bin=$build/bench/tandem_gateway_bench
ctl_bin=$build/tools/tandemctl
for bin in "$echo_bin" "$load_bin" "$gateway_bin" "$ctl_bin"; do
  [[ -x $bin ]] || { echo "run_gateway_bench: $bin is missing" >&2; exit 2; }
done
command -v wrk >/dev/null || { echo "run_gateway_bench: wrk is missing (scripts/install-deps.sh)" >&2; exit 2; }

connections=${CONNECTIONS:-64}
duration=${DURATION:-10s}
warmup=${WARMUP:-2s}
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

wait_for() {  # file pattern pid
  for _ in $(seq 100); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || { cat "$1" >&2; return 1; }
    sleep 0.1
  done
  return 1
}

"$echo_bin" --port=0 >"$work/echo.out" 2>"$work/echo.err" &
pids+=($!)
wait_for "$work/echo.out" '^listening on ' "${pids[-1]}"
echo_address=$(sed -n 's/^listening on //p' "$work/echo.out")

"$ctl_bin" keys --dir "$work/keys" >/dev/null
token=$("$ctl_bin" token --dir "$work/keys" --clinic bench --role clinician --sub bench --ttl 3600)
# No admin port: the public port is then the gateway's only listening socket, which the lookup below relies on.
"$gateway_bin" --listen_address=127.0.0.1 --port=0 --admin_port=-1 --io_threads=1 --log_level=warn \
  --jwks_file="$work/keys/jwks.json" --jwt_issuer=tandem-local --jwt_audience=tandem \
  --backend="tandem.testing.v1.EchoService=$echo_address" >"$work/gateway.log" 2>&1 &
pids+=($!)
# The port is in the start-up log line, which is logged at info; warn level hides it, so ask the kernel.
for _ in $(seq 100); do
  gateway_port=$(ss -ltnp 2>/dev/null | awk -v pid="pid=${pids[-1]}," '$0 ~ pid {split($4, a, ":"); print a[length(a)]; exit}')
  [[ -n $gateway_port ]] && break
  sleep 0.1
done
[[ -n ${gateway_port:-} ]] || { echo "gateway did not start" >&2; cat "$work/gateway.log" >&2; exit 1; }
url="http://127.0.0.1:$gateway_port/v1/echo/hello"
curl -fsS -H "Authorization: Bearer $token" "$url" >/dev/null

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p')"
echo "== through the gateway: wrk, $connections connections, $duration"
[[ $warmup != 0s ]] && wrk -t1 -c"$connections" -d"$warmup" -H "Authorization: Bearer $token" "$url" >/dev/null
wrk -t1 -c"$connections" -d"$duration" --latency -H "Authorization: Bearer $token" "$url" | tee "$work/wrk.out"
gateway_qps=$(awk '/^Requests\/sec:/ {print $2}' "$work/wrk.out")
errors=$(awk '/Non-2xx or 3xx responses:/ {print $5}' "$work/wrk.out")
[[ -z $errors ]] || { echo "gateway answered $errors non-2xx responses" >&2; exit 1; }
# wrk prints this line only when a connect, read, write or timeout count is not zero.
if grep -q 'Socket errors:' "$work/wrk.out"; then
  echo "wrk: $(grep 'Socket errors:' "$work/wrk.out" | sed 's/^ *//')" >&2
  exit 1
fi

echo "== direct gRPC: tandem_load closed loop, 1 channel x $connections in flight, $duration"
"$load_bin" --target="$echo_address" --mode=closed --channels=1 --in_flight="$connections" \
  --duration="$duration" --warmup="$warmup" | tee "$work/direct.out"
direct_qps=$(awk '$1 == "qps" {print $2; exit}' "$work/direct.out")
# tandem_load exits 0 whenever the run took place; how the calls fared is in its report. "error", "first"
# (warmup included), "unsent" and "unfinished" lines appear only when some call did not succeed.
direct_failed=$(awk '$1 == "calls" {print $4; exit}' "$work/direct.out")
[[ $direct_failed == 0 ]] || { echo "direct gRPC: ${direct_failed:-unknown number of} calls failed" >&2; exit 1; }
if grep -Eq '^(error|first|unsent|unfinished) ' "$work/direct.out"; then
  echo "direct gRPC: some calls did not succeed" >&2
  exit 1
fi

awk -v g="$gateway_qps" -v d="$direct_qps" 'BEGIN {
  if (!(g > 0 && d > 0)) {
    printf "no throughput to compare (gateway %s, direct %s QPS)\n", g, d > "/dev/stderr"
    exit 1
  }
  printf "gateway/direct throughput ratio: %.2f (gateway %.0f QPS, direct %.0f QPS)\n", g / d, g, d }'
