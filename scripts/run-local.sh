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

# Clinical data, keys and the Redis password are this user's alone: every file made from here on is owner-only,
# and what an earlier run left readable by others is closed.
umask 077
run="$root/.run"
mkdir -p "$run/keys" "$run/data" "$run/redis" "$run/logs"
chmod -R go-rwx "$run"
"$bin/tools/tandemctl" keys --dir "$run/keys" >/dev/null
[ -f "$run/keys/kek.hex" ] || "$bin/tools/tandemctl" kek --out "$run/keys/kek.hex"

# Redis requires a password, made once and kept in the keys directory. It reaches redis-server in a config file
# and the services in their environment, never on a command line (which every user can see with ps).
redis_password_file="$run/keys/redis.password"
[ -s "$redis_password_file" ] || od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$redis_password_file"
redis_password=$(cat "$redis_password_file")
printf 'requirepass %s\n' "$redis_password" >"$run/redis/redis.conf"

redis_port="${TANDEM_REDIS_PORT:-6390}"
pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "stopped"
}
trap cleanup EXIT INT TERM

redis-server "$run/redis/redis.conf" --port "$redis_port" --bind 127.0.0.1 --dir "$run/redis" --save "" \
  --appendonly yes --logfile "$run/logs/redis.log" &
pids+=($!)

# Every service gets the same local configuration; each later service adds one line here.
export TANDEM_REDIS_URL="redis://:$redis_password@127.0.0.1:$redis_port"
export TANDEM_JWKS_FILE="$run/keys/jwks.json"
export TANDEM_KEK_FILE="$run/keys/kek.hex"
export TANDEM_KEYS_DIR="$run/keys"
export TANDEM_JWT_ISSUER="tandem-local"
export TANDEM_JWT_AUDIENCE="tandem"

for _ in $(seq 50); do
  REDISCLI_AUTH="$redis_password" redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG && break
  sleep 0.1
done

wait_for_port() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "port $1 did not open; see $run/logs" >&2
  return 1
}

# Every service in services/registry.tsv, each with its own SQLite database and its own signing key (all keys
# are in the JWKS before any service reads it); the gateway gets them as backends.
grep -E '^[a-z]' "$root/services/registry.tsv" | while read -r name _rest; do
  "$bin/tools/tandemctl" service-key --dir "$run/keys" --service "$name"
done
backends=()
services_text=""
while read -r name grpc_service _proto port admin local_flags; do
  case "$name" in ""|\#*) continue ;; esac
  # shellcheck disable=SC2086  # local_flags is a list of flags
  "$bin/services/$name/tandem_$name" --listen_address=127.0.0.1 --port="$port" --admin_port="$admin" \
    --grpc_reflection \
    --db_url="sqlite://$run/data/$name.db" --signing_key_file="$run/keys/services/$name.pem" $local_flags \
    >"$run/logs/$name.log" 2>&1 &
  pids+=($!)
  wait_for_port "$port"
  backends+=("$grpc_service=127.0.0.1:$port")
  services_text+=$(printf '\n  %-14s 127.0.0.1:%s (gRPC; metrics on :%s/metrics)' "$name" "$port" "$admin")
done <"$root/services/registry.tsv"

gateway_port="${TANDEM_GATEWAY_PORT:-8080}"
gateway_admin_port="${TANDEM_GATEWAY_ADMIN_PORT:-9450}"
IFS=, ; backend_list="${backends[*]:-}" ; unset IFS
"$bin/services/gateway/tandem_gateway" --listen_address=127.0.0.1 --port="$gateway_port" \
  --admin_port="$gateway_admin_port" \
  --jwks_file="$run/keys/jwks.json" --jwt_issuer=tandem-local --jwt_audience=tandem \
  --backend="$backend_list" >"$run/logs/gateway.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$gateway_admin_port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

cat <<MSG

Tandem is running.
  Gateway        http://127.0.0.1:$gateway_port   (point clinic frontends here; API description at /openapi.json)
                 admin: http://127.0.0.1:$gateway_admin_port/metrics, /readyz$services_text
  Redis          127.0.0.1:$redis_port (password in $redis_password_file)
  Keys           $run/keys (JWKS, signing key, key-encryption key)
  Data           $run/data (SQLite)
  Logs           $run/logs

A first request:
  TOKEN=\$($bin/tools/tandemctl token --dir $run/keys --clinic c1 --role clinician --sub u1)
  curl -s -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:$gateway_port/v1/session

Reminders of clinic c1, as the clinic's support staff:
  SUPPORT=\$($bin/tools/tandemctl token --dir $run/keys --clinic c1 --role support --sub s1)
  curl -s -H "Authorization: Bearer \$SUPPORT" http://127.0.0.1:$gateway_port/v1/clinics/c1/reminders

Ctrl-C stops everything.
MSG
wait -n "${pids[@]}"
