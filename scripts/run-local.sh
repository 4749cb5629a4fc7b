#!/usr/bin/env bash
# Installs what is missing, builds, and runs the suite on this machine: a local Redis, every Tandem service that
# exists, embedded SQLite databases under .run/, and local key material. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"
bin="$root/build/release"

run="$root/.run"
mkdir -p "$run/keys" "$run/data" "$run/redis" "$run/logs"
"$bin/tools/tandemctl" keys --dir "$run/keys" >/dev/null
[ -f "$run/keys/kek.hex" ] || "$bin/tools/tandemctl" kek --out "$run/keys/kek.hex"

redis_port="${TANDEM_REDIS_PORT:-6390}"
pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "stopped"
}
trap cleanup EXIT INT TERM

redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$run/redis" --save "" --appendonly yes \
  --logfile "$run/logs/redis.log" &
pids+=($!)

# Every service gets the same local configuration; each later service adds one line here.
export TANDEM_REDIS_URL="redis://127.0.0.1:$redis_port"
export TANDEM_JWKS_FILE="$run/keys/jwks.json"
export TANDEM_KEK_FILE="$run/keys/kek.hex"
export TANDEM_KEYS_DIR="$run/keys"

for _ in $(seq 50); do
  redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
  sleep 0.1
done

cat <<MSG

Tandem is running.
  Redis          127.0.0.1:$redis_port
  Keys           $run/keys (JWKS, signing key, key-encryption key)
  Data           $run/data (SQLite)
  Logs           $run/logs

Mint a token for a request:
  $bin/tools/tandemctl token --clinic c1 --role clinician --sub u1

Ctrl-C stops everything.
MSG
wait -n "${pids[@]}"
