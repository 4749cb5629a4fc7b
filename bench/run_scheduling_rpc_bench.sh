#!/usr/bin/env bash
# Benchmarks two scheduling RPCs against the bare echo baseline, each in one run of bench/run_rpc_vs_echo.sh:
#   - FindSlots over 90 days for one clinician with 500 appointments (as that clinician);
#   - CheckCareTeam with a warm care-team cache (as the progress service, with its own service token).
# Starts everything it needs on free loopback ports in a fresh directory: a redis-server (the cache), keys
# from tandemctl (people, the progress service's key, a KEK), tandem_scheduling on SQLite; seeds the roster
# and the appointments through the RPCs themselves with tandem_load; prints the service's time to ready and
# its resident memory (now and peak) after each load. Builds nothing.
#   bench/run_scheduling_rpc_bench.sh BUILD_DIR
# The load of both comparisons is run_rpc_vs_echo.sh's, from the environment (MODE, CHANNELS, IN_FLIGHT, RATE,
# DURATION, WARMUP); APPOINTMENTS (500) sets the calendar's size.
set -euo pipefail

build=${1:?usage: run_scheduling_rpc_bench.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
service_bin=$build/services/scheduling/tandem_scheduling
load_bin=$build/bench/tandem_load
ctl_bin=$build/tools/tandemctl
for bin in "$service_bin" "$load_bin" "$ctl_bin" "$build/bench/tandem_echo_server"; do
  [[ -x $bin ]] || { echo "run_scheduling_rpc_bench: $bin is missing" >&2; exit 2; }
done
appointments=${APPOINTMENTS:-500}

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Resident memory of a process in MiB: now (VmRSS) and its peak so far (VmHWM).
rss() { awk '/^VmRSS|^VmHWM/ {printf "%s %.1f MiB  ", $1, $2 / 1024}' "/proc/$1/status"; echo; }

umask 077
"$ctl_bin" keys --dir "$work/keys" >/dev/null
"$ctl_bin" kek --out "$work/keys/kek.hex"
# The service's own key too: without --signing_key_file tandem_scheduling has no outbox relay, and (build of
# 2026-12-02) crashes at start dereferencing it.
for service in progress scheduling; do "$ctl_bin" service-key --dir "$work/keys" --service "$service" >/dev/null; done

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" \
  --logfile "$work/redis.log" &
pids+=($!)
redis_pid=$!
for _ in $(seq 50); do
  redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG && break
  sleep 0.1
done

port=$(free_port)
admin_port=$(free_port)
started=$(date +%s%N)
"$service_bin" --listen_address=127.0.0.1 --port="$port" --admin_address=127.0.0.1 --admin_port="$admin_port" \
  --db_url="sqlite://$work/scheduling.db" --redis_url="redis://127.0.0.1:$redis_port" \
  --jwks_file="$work/keys/jwks.json" --kek_file="$work/keys/kek.hex" --jwt_issuer=tandem-local \
  --jwt_audience=tandem --signing_key_file="$work/keys/services/scheduling.pem" --log_level=warn \
  >"$work/scheduling.log" 2>&1 &
pids+=($!)
service_pid=$!
ready=""
for _ in $(seq 3000); do
  if curl -fs "http://127.0.0.1:$admin_port/readyz" >/dev/null 2>&1; then ready=$(date +%s%N); break; fi
  kill -0 "$service_pid" 2>/dev/null || { cat "$work/scheduling.log" >&2; exit 1; }
  sleep 0.01
done
[[ -n $ready ]] || { echo "run_scheduling_rpc_bench: the service never became ready" >&2; exit 1; }
echo "tandem_scheduling ready (admin /readyz 200) $(((ready - started) / 1000000)) ms after start (fresh SQLite)"
echo "  rss at ready: $(rss "$service_pid")"

"$ctl_bin" token --dir "$work/keys" --clinic c1 --role admin --sub a1 >"$work/admin.token"
"$ctl_bin" token --dir "$work/keys" --clinic c1 --role clinician --sub dr1 >"$work/clinician.token"

# One call of `method` with `request` as the clinic's admin; fails unless it succeeded.
call() {
  "$load_bin" --target="127.0.0.1:$port" --method="tandem.scheduling.v1.SchedulingService/$1" \
    --request="$2" --token_file="$work/admin.token" --requests=1 --warmup=0s --duration=30s --json \
    >"$work/call.json"
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r["ok"] == 1 else
    "seeding %s failed: %s" % (sys.argv[2], r["first_error_message"]))' "$work/call.json" "$1"
}

call UpsertClinician '{"clinician":{"clinicId":"c1","clinicianId":"dr1","displayName":"Dr One",
  "timeZone":"America/New_York","bufferBeforeMinutes":10,"bufferAfterMinutes":10}}'
hours=""
for day in 1 2 3 4 5; do hours+="{\"weekday\":$day,\"start\":{\"hours\":9},\"end\":{\"hours\":17}},"; done
call SetAvailability "{\"availability\":{\"clinicId\":\"c1\",\"clinicianId\":\"dr1\",\"workingHours\":[${hours%,}]}}"
call UpsertClient '{"client":{"clinicId":"c1","clientId":"cl1","displayName":"Client One",
  "timeZone":"America/Chicago"}}'
call SetCareTeam '{"clinicId":"c1","clientId":"cl1","clinicianIds":["dr1"]}'

# The calendar: 50-minute sessions on the 65 weekdays from Monday 2027-01-04 (across New York's clock change
# of 2027-03-14), five inside working hours (09:00, 10:10, 11:20, 13:40, 14:50, which leave about two free
# 50-minute slots a day with the 10-minute buffers) and the rest in the evening, until there are enough.
python3 - "$appointments" >"$work/bookings.jsonl" <<'PY'
import datetime, json, sys
from zoneinfo import ZoneInfo
zone, utc = ZoneInfo("America/New_York"), datetime.timezone.utc
times = [(9, 0), (10, 10), (11, 20), (13, 40), (14, 50), (18, 0), (19, 10), (20, 20), (21, 30)]
days = [datetime.date(2027, 1, 4) + datetime.timedelta(d) for d in range(90)]
weekdays = [d for d in days if d.weekday() < 5]
starts = [datetime.datetime.combine(d, datetime.time(*t), zone) for t in times for d in weekdays]
wanted = int(sys.argv[1])
if wanted > len(starts):
    sys.exit(f"at most {len(starts)} appointments fit")
for start in sorted(starts[:wanted]):
    end = start + datetime.timedelta(minutes=50)
    stamp = lambda t: t.astimezone(utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    print(json.dumps({"clinicId": "c1", "idempotencyKey": "seed-{{run}}-{{seq}}", "clinicianId": "dr1",
                      "clientIds": ["cl1"], "startTime": stamp(start), "endTime": stamp(end),
                      "modality": "MODALITY_TELEHEALTH"}, separators=(",", ":")))
PY
"$load_bin" --target="127.0.0.1:$port" --method=tandem.scheduling.v1.SchedulingService/BookAppointment \
  --request_file="$work/bookings.jsonl" --token_file="$work/admin.token" --requests="$appointments" \
  --warmup=0s --duration=300s --json >"$work/book.json"
python3 - "$work/book.json" "$appointments" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("booked %d of %s" % (r["ok"], sys.argv[2]))
sys.exit(0 if r["ok"] == int(sys.argv[2]) else "booking failed: %s" % r["first_error_message"])
PY
echo "  rss after seeding: $(rss "$service_pid")"

address="127.0.0.1:$port"
echo
echo "=== FindSlots, 90 days (2027-01-04 .. 2027-04-03), as the clinician"
"$here/run_rpc_vs_echo.sh" "$build" --target="$address" \
  --method=tandem.scheduling.v1.SchedulingService/FindSlots --token_file="$work/clinician.token" \
  --request='{"clinicId":"c1","clinicianIds":["dr1"],"firstDate":{"year":2027,"month":1,"day":4},
    "lastDate":{"year":2027,"month":4,"day":3}}'
echo "tandem_scheduling after FindSlots: $(rss "$service_pid")"
echo "redis-server: $(rss "$redis_pid")"

check='{"clinicId":"c1","clientId":"cl1","clinicianId":"dr1"}'
service_auth=(--service_key_file="$work/keys/services/progress.pem" --service_name=progress --audience=scheduling)
# Warm the cache: the first check reads the database and fills it.
"$load_bin" --target="$address" --method=tandem.scheduling.v1.SchedulingService/CheckCareTeam \
  --request="$check" "${service_auth[@]}" --requests=10 --warmup=0s --duration=10s >/dev/null
echo
echo "=== CheckCareTeam, warm cache, as the progress service"
"$here/run_rpc_vs_echo.sh" "$build" --target="$address" \
  --method=tandem.scheduling.v1.SchedulingService/CheckCareTeam --request="$check" "${service_auth[@]}"
echo "tandem_scheduling after CheckCareTeam: $(rss "$service_pid")"
echo "redis-server: $(rss "$redis_pid")"
redis-cli -p "$redis_port" info stats | grep -E '^keyspace_(hits|misses)' | tr -d '\r' | tr '\n' ' '
echo
