#!/usr/bin/env bash
# Measures the echo baseline of this machine: starts the bare tandem_echo_server on a free loopback port,
# runs tandem_load in the closed loop and then in the open loop against it, prints both reports and stops the
# server. Builds nothing: pass a build directory that holds bench/tandem_echo_server and bench/tandem_load
# (an optimised one for figures worth recording; see docs/BENCHMARKS.md).
#   bench/run_echo_baseline.sh BUILD_DIR
# The load can be changed through the environment (defaults shown):
#   CHANNELS=2 IN_FLIGHT=64 RATE=5000 DURATION=10s WARMUP=2s PAYLOAD_BYTES=16 JSON=0
set -euo pipefail

build=${1:?usage: run_echo_baseline.sh BUILD_DIR}
server_bin=$build/bench/tandem_echo_server
load_bin=$build/bench/tandem_load
for bin in "$server_bin" "$load_bin"; do
  [[ -x $bin ]] || { echo "run_echo_baseline: $bin is missing; build the tandem_echo_server and tandem_load targets" >&2; exit 2; }
done

channels=${CHANNELS:-2}
in_flight=${IN_FLIGHT:-64}
rate=${RATE:-5000}
duration=${DURATION:-10s}
warmup=${WARMUP:-2s}
payload=${PAYLOAD_BYTES:-16}
json=()
[[ ${JSON:-0} == 1 ]] && json=(--json)

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

# Percent of all CPU time spent busy over one second, from /proc/stat: the run's figures mean little when
# something else (a compiler) is using the cores. The load average lags by a minute and counts this run too.
cpu_busy_percent() {
  local a b
  read -ra a < <(grep '^cpu ' /proc/stat)
  sleep 1
  read -ra b < <(grep '^cpu ' /proc/stat)
  local total=0 idle=$(((b[4] + b[5]) - (a[4] + a[5]))) i
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  echo $((total > 0 ? 100 * (total - idle) / total : 0))
}

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/^Mem:/ {print $2 " GiB"}')"
echo "before: load average $(cut -d' ' -f1-3 /proc/loadavg), cpu busy $(cpu_busy_percent)%"

"$server_bin" --port=0 >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
for _ in $(seq 100); do
  grep -q '^listening on ' "$work/server.out" && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.err" >&2; exit 1; }
  sleep 0.1
done
address=$(sed -n 's/^listening on //p' "$work/server.out")
[[ -n $address ]] || { echo "run_echo_baseline: the echo server did not start" >&2; exit 1; }

common=(--target="$address" --duration="$duration" --warmup="$warmup" --payload_bytes="$payload" "${json[@]}")

echo
echo "== closed loop: $channels channels x $in_flight in flight"
"$load_bin" "${common[@]}" --mode=closed --channels="$channels" --in_flight="$in_flight"
echo
echo "== open loop: $rate calls/s over $channels channels"
"$load_bin" "${common[@]}" --mode=open --channels="$channels" --rate="$rate"
echo
echo "after: load average $(cut -d' ' -f1-3 /proc/loadavg) (this run included)"
