#!/usr/bin/env bash
# Benchmarks one unary RPC of a running service against the echo baseline in the same run: starts the bare
# tandem_echo_server on a free loopback port, runs tandem_load with the same load flags first against it and
# then against the service, prints both reports and the service's figures as ratios to the echo ones. Builds
# and starts nothing else: the service must already listen on a loopback address.
#   bench/run_rpc_vs_echo.sh BUILD_DIR --target=127.0.0.1:50061 \
#     --method=tandem.reminders.v1.ReminderService/ListReminders --request='{"clinicId":"c1"}' --token_file=TOKEN
# Every argument after BUILD_DIR goes to the service's tandem_load run only. The load is the same for both and
# set through the environment (defaults shown):
#   MODE=closed CHANNELS=1 IN_FLIGHT=16 RATE=1000 DURATION=5s WARMUP=1s
set -euo pipefail

build=${1:?usage: run_rpc_vs_echo.sh BUILD_DIR --target=HOST:PORT --method=... [tandem_load flags]}
shift
server_bin=$build/bench/tandem_echo_server
load_bin=$build/bench/tandem_load
for bin in "$server_bin" "$load_bin"; do
  [[ -x $bin ]] || { echo "run_rpc_vs_echo: $bin is missing; build tandem_echo_server and tandem_load" >&2; exit 2; }
done

mode=${MODE:-closed}
load=(--mode="$mode" --channels="${CHANNELS:-1}" --duration="${DURATION:-5s}" --warmup="${WARMUP:-1s}")
if [[ $mode == open ]]; then load+=(--rate="${RATE:-1000}"); else load+=(--in_flight="${IN_FLIGHT:-16}"); fi

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

# Percent of all CPU time spent busy over one second: figures taken while something else uses the cores (a
# compiler) are not worth keeping.
cpu_busy_percent() {
  local a b
  read -ra a < <(grep '^cpu ' /proc/stat)
  sleep 1
  read -ra b < <(grep '^cpu ' /proc/stat)
  local total=0 idle=$(((b[4] + b[5]) - (a[4] + a[5]))) i
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  echo $((total > 0 ? 100 * (total - idle) / total : 0))
}

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'); cpu busy before: $(cpu_busy_percent)%"
echo "load: ${load[*]}"

"$server_bin" --port=0 >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
for _ in $(seq 100); do
  grep -q '^listening on ' "$work/server.out" && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.err" >&2; exit 1; }
  sleep 0.1
done
echo_address=$(sed -n 's/^listening on //p' "$work/server.out")
[[ -n $echo_address ]] || { echo "run_rpc_vs_echo: the echo server did not start" >&2; exit 1; }

echo
echo "== echo baseline: tandem.testing.v1.EchoService/Echo on the bare echo server"
"$load_bin" --target="$echo_address" "${load[@]}" --json | tee "$work/echo.json"
echo
echo "== the service"
"$load_bin" "${load[@]}" "$@" --json | tee "$work/rpc.json"
echo "echo server resident memory: $(awk '/^VmRSS|^VmHWM/ {printf "%s %.1f MiB  ", $1, $2 / 1024}' \
  "/proc/$server_pid/status")"
echo

python3 - "$work/echo.json" "$work/rpc.json" <<'PY'
import json, sys
echo, rpc = (json.load(open(path)) for path in sys.argv[1:3])
for name, r in (("echo", echo), (rpc["method"], rpc)):
    lat = r["latency_us"]
    failed = f"{r['errors']} failed" + (f" {r['errors_by_code']}" if r["errors"] else "")
    print(f"{name}: {r['qps']:.0f} QPS, {r['ok']} ok, {failed}, "
          f"p50 {lat['p50']:.0f} us, p90 {lat['p90']:.0f} us, p99 {lat['p99']:.0f} us")
    for code, message in r["first_error_message"].items():
        print(f"  first {code}: {message}")
if rpc["errors"]:
    print("the service failed calls: its figures are not a benchmark of the RPC")
    sys.exit(1)
ratio = lambda a, b: a / b if b else float("nan")
print(f"ratio to echo: {ratio(rpc['qps'], echo['qps']):.2f} x QPS, "
      f"p50 {ratio(rpc['latency_us']['p50'], echo['latency_us']['p50']):.2f} x, "
      f"p99 {ratio(rpc['latency_us']['p99'], echo['latency_us']['p99']):.2f} x")
PY
