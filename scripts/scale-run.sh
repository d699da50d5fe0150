#!/usr/bin/env bash
# Scale run on PostgreSQL (issue 9; not CI): generates TUMORS synthetic tumors in PARTS files
# (one generator run split with --first, so patients never repeat), imports each into a fresh
# database, then measures
#   - export of one facility's tumors (about a tenth: the generator spreads ten facilities),
#   - the filtered tumor list over HTTP (wrk: throughput, p50, p99),
#   - the follow-up due list of one facility (wall time of each request),
#   - the service's peak memory (VmHWM) after all of it.
# Every part file is deleted after its import, so the disk holds one part at a time.
#
#   scripts/scale-run.sh [tumors=10000000] [parts=10]
#
# Env: ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres), SCALE_DB (default
# cancer_registry_scale, dropped and recreated), WORK (scratch folder, default a temp dir),
# SECONDS_PER_WRK (default 30), DUE_REQUESTS (default 3), FIRST_PART (resume at that part; past
# the last part, only the measurements run). Needs wrk, psql, /usr/bin/time, a release build.
# PostgreSQL's stock settings (128 MB shared_buffers, 1 GB max_wal_size) make a bulk load of
# this size checkpoint-bound; the run in BENCHMARKS.md used shared_buffers=4GB,
# max_wal_size=16GB, checkpoint_timeout=30min, wal_compression=on (ALTER SYSTEM + restart).
set -euo pipefail
cd "$(dirname "$0")/.."
tumors="${1:-10000000}"; parts="${2:-10}"
admin="${ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
dbname="${SCALE_DB:-cancer_registry_scale}"
wrk_seconds="${SECONDS_PER_WRK:-30}"
bin="$(pwd)/target/release/cancer-registry"
shared="$(pwd)/../shared"
work="${WORK:-$(mktemp -d)}"
mkdir -p "$work"
# The generated data and the tokens name facilities nobody registered: a first load.
export CANCER_REGISTRY_ACCEPT_UNKNOWN_FACILITIES=true
export DATABASE_URL="${admin%/*}/$dbname"
export CANCER_REGISTRY_REFERENCE="$shared/reference" CANCER_REGISTRY_ALGORITHMS="$shared/staging/algorithms"
export CANCER_REGISTRY_GENERATOR_TABLES="$shared/naaccr/generator-tables" CANCER_REGISTRY_JWT_SECRET_FILE="$work/secret"
log="$work/scale.log"
say() { echo "$*" | tee -a "$log"; }
timed() { /usr/bin/time -f "%e s wall, %U s user, max RSS %M KB" "$@"; }

# 105,446 tumors per 100,000 generated patients (seed 1): patients for the tumors asked.
patients=$(( tumors * 100000 / 105446 ))
per_part=$(( (patients + parts - 1) / parts ))
say "== scale run $(date -u +%FT%TZ): $tumors tumors asked, $patients patients in $parts parts, database $dbname"
say "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, PostgreSQL $(psql "$admin" -tAc 'show server_version'), shared_buffers $(psql "$admin" -tAc 'show shared_buffers'), max_wal_size $(psql "$admin" -tAc 'show max_wal_size')"
# FIRST_PART=k resumes a run at part k, keeping the database.
first_part="${FIRST_PART:-0}"
if [ "$first_part" -eq 0 ]; then
  psql "$admin" -qc "DROP DATABASE IF EXISTS $dbname" -c "CREATE DATABASE $dbname"
  "$bin" migrate >/dev/null
fi

for ((i = first_part; i < parts; i++)); do
  first=$(( i * per_part ))
  n=$(( patients - first < per_part ? patients - first : per_part ))
  [ "$n" -le 0 ] && break
  f="$work/part-$i.xml"
  say "-- part $i: patients $first..$(( first + n - 1 ))"
  { timed "$bin" generate --patients "$n" --first "$first" --seed 1 --out "$f" >/dev/null; } 2>&1 | tail -1 | sed 's/^/generate: /' | tee -a "$log"
  { timed "$bin" import "$f" >"$work/import-$i.json"; } 2>&1 | tail -1 | sed 's/^/import: /' | tee -a "$log"
  rm -f "$f"
done
# Fresh statistics for the measurements (ANALYZE samples; a VACUUM of the whole load would read
# every page).
psql "$DATABASE_URL" -qc "ANALYZE"
counts=$(psql "$DATABASE_URL" -tAc "select (select count(*) from patients) || ' patients, ' || (select count(*) from tumors) || ' tumors, database ' || pg_size_pretty(pg_database_size(current_database()))")
say "stored: $counts"

facility=0000000001
say "-- export, record type I, facility $facility"
{ timed "$bin" export --record-type I --facility "$facility" --out "$work/selection.xml" >/dev/null; } 2>&1 | tail -1 | sed 's/^/export: /' | tee -a "$log"
say "export: $(grep -c '<Tumor>' "$work/selection.xml" || true) tumors, $(du -m "$work/selection.xml" | cut -f1) MB"
rm -f "$work/selection.xml"

port=$((20000 + RANDOM % 20000))
"$bin" serve --bind "127.0.0.1:$port" >"$work/server.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.2; done
base="http://127.0.0.1:$port/api/v1"
manager=$("$bin" token --sub scale --role manager --ttl 4h)
registrar=$("$bin" token --sub scale-registrar --role registrar --facility "$facility" --ttl 4h)
printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$manager" >"$work/manager.lua"
printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$registrar" >"$work/registrar.lua"

list() {
  say "-- GET $1 ($2, 8 connections, ${wrk_seconds} s)"
  wrk -t2 -c8 -d"${wrk_seconds}s" --latency -s "$work/$2.lua" "$base$1" | grep -E '^ +(50|99)%|Requests/sec|Non-2xx' | tee -a "$log"
}
list "/tumors?dxYearFrom=2018&status=draft&limit=50" manager
list "/tumors?primarySite=C509&dxYear=2020&limit=50" manager
list "/tumors?facility=$facility&histology=8140&limit=50" registrar

say "-- follow-up due list of facility $facility (registrar of that facility), ${DUE_REQUESTS:-3} request(s)"
for _ in $(seq 1 "${DUE_REQUESTS:-3}"); do
  curl -fs -o "$work/due.json" -w "due: %{time_total} s, %{size_download} bytes\n" \
    -H "Authorization: Bearer $registrar" "$base/followup/due?asOf=2026-11-01" | tee -a "$log"
done
say "due: $(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["data"]))' "$work/due.json") patients due"
say "service peak memory: $(grep VmHWM /proc/$pid/status)"
say "== done $(date -u +%FT%TZ); log in $log"
