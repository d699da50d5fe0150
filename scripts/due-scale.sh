#!/usr/bin/env bash
# The due list at scale on PostgreSQL (issue 20; not CI): generates PARTS files of TUMORS
# tumors each (one generator run split with --first), imports them one after the other into a
# fresh database, and after each import measures, on a freshly started service:
#   - the first page (limit 500) of facility 0000000001's due list, as its registrar (5 requests),
#   - the whole list streamed as CSV (rows, bytes, wall time),
#   - the service's resident memory sampled while streaming, and its peak (VmHWM).
# So the figures come at PARTS sizes and show how they grow.
#
#   scripts/due-scale.sh [tumors_per_part=500000] [parts=2]
#
# Env: ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres), SCALE_DB (default
# cancer_registry_due, dropped and recreated), WORK (scratch folder), MEASURE_AT (the parts,
# counted from 1, after which to measure, space-separated; default every part). Needs psql, a
# release build. The generator numbers accessions uniquely within 100,000 patients, so keep a
# part at or under ~105,000 tumors (imports refuse a file with duplicate accessions) and use
# more parts for a larger database. BIN runs another build of the service; MEASURE_ONLY=1 keeps
# the database as the last run left it and only measures.
set -euo pipefail
cd "$(dirname "$0")/.."
tumors="${1:-500000}"; parts="${2:-2}"
admin="${ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
dbname="${SCALE_DB:-cancer_registry_due}"
bin="${BIN:-$(pwd)/target/release/cancer-registry}"
shared="$(pwd)/../shared"
work="${WORK:-$(mktemp -d)}"
mkdir -p "$work"
# The generated data and the tokens name facilities nobody registered: a first load.
export CANCER_REGISTRY_ACCEPT_UNKNOWN_FACILITIES=true
export DATABASE_URL="${admin%/*}/$dbname"
export CANCER_REGISTRY_REFERENCE="$shared/reference" CANCER_REGISTRY_ALGORITHMS="$shared/staging/algorithms"
export CANCER_REGISTRY_GENERATOR_TABLES="$shared/naaccr/generator-tables" CANCER_REGISTRY_JWT_SECRET_FILE="$work/secret"
export CANCER_REGISTRY_DATA_DIR="$work/files"
log="$work/due-scale.log"
say() { echo "$*" | tee -a "$log"; }
timed() { /usr/bin/time -f "%e s wall, max RSS %M KB" "$@"; }
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; true' EXIT
per_part=$(( tumors * 100000 / 105446 ))
facility=0000000001
as_of=2026-11-01
say "== due-scale $(date -u +%FT%TZ): $parts parts of ~$tumors tumors ($per_part patients), load average $(cut -d' ' -f1-3 /proc/loadavg)"

measure() {
  local port=$((20000 + RANDOM % 20000))
  "$bin" serve --bind "127.0.0.1:$port" >"$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.2; done
  local base="http://127.0.0.1:$port/api/v1"
  local registrar
  registrar=$("$bin" token --sub due-scale --role registrar --facility "$facility" --ttl 4h)
  say "$(psql "$DATABASE_URL" -tAc "select (select count(*) from patients) || ' patients, ' || (select count(*) from tumors) || ' tumors, ' || (select count(distinct patient_id) from tumors where facility_id = '$facility') || ' patients in facility $facility, database ' || pg_size_pretty(pg_database_size(current_database()))")"
  for _ in 1 2 3 4 5; do
    curl -fs -o "$work/page.json" -w "first page (limit 500): %{time_total} s, %{size_download} bytes\n" \
      -H "Authorization: Bearer $registrar" "$base/followup/due?asOf=$as_of&limit=500" | tee -a "$log"
  done
  # Resident memory while the whole list streams, sampled every 0.5 s.
  ( while kill -0 "$pid" 2>/dev/null; do grep VmRSS /proc/$pid/status | awk '{print $2}'; sleep 0.5; done ) >"$work/rss" &
  local sampler=$!
  local start end
  start=$(date +%s.%N)
  rows=$(curl -fsN -H "Authorization: Bearer $registrar" "$base/followup/due?asOf=$as_of&format=csv" | tee >(wc -c >"$work/bytes") | wc -l)
  end=$(date +%s.%N)
  kill "$sampler" 2>/dev/null || true
  sleep 0.2
  say "whole list as CSV: $((rows - 1)) patients due, $(cat "$work/bytes") bytes, $(python3 -c "print(f'{$end - $start:.1f}')") s; service RSS while streaming max $(sort -n "$work/rss" | tail -1) KB; VmHWM $(grep VmHWM /proc/$pid/status | awk '{print $2}') KB"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
}

if [ -n "${MEASURE_ONLY:-}" ]; then
  "$bin" migrate >/dev/null
  measure
  exit 0
fi
psql "$admin" -qc "DROP DATABASE IF EXISTS $dbname" -c "CREATE DATABASE $dbname"
"$bin" migrate >/dev/null

for ((i = 0; i < parts; i++)); do
  f="$work/part-$i.xml"
  say "-- part $i: patients $((i * per_part))..$(((i + 1) * per_part - 1))"
  { timed "$bin" generate --patients "$per_part" --first $((i * per_part)) --seed 1 --out "$f" >/dev/null; } 2>&1 | tail -1 | sed 's/^/generate: /' | tee -a "$log"
  if ! timed "$bin" import "$f" >"$work/import-$i.json" 2>"$work/import-$i.err"; then
    say "import of part $i failed:"; grep -v '^ ' "$work/import-$i.err" | head -5 | tee -a "$log"; exit 1
  fi
  tail -1 "$work/import-$i.err" | sed 's/^/import: /' | tee -a "$log"
  rm -f "$f"
  if [ -z "${MEASURE_AT:-}" ] || [[ " $MEASURE_AT " == *" $((i + 1)) "* ]]; then
    psql "$DATABASE_URL" -qc "ANALYZE"
    measure
  fi
done
say "== done $(date -u +%FT%TZ); log in $log"
