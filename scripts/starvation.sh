#!/usr/bin/env bash
# One user cannot starve the others (issue 21; not CI). Loads a database with PATIENTS
# generated patients (files of 100,000, imported with the CLI), starts the release service, and
# while another user reads one tumor in a loop (`wrk -t1 -c4`, GET /api/v1/tumors/{id} with its
# audit row), runs each heavy load alone:
#   1. the whole registry's due list, streamed as CSV by central staff, twice at once;
#   2. five POST /submissions at once by one registrar (the job limits answer 429 to the ones
#      over the limit; the accepted build runs to its end);
#   3. an import through the API of a new file of IMPORT patients.
# For each it prints the reader's requests, p50 / p99 latency and non-2xx answers (a 503 would
# be one), what the load did and how long it took, and counts "database is locked" / "busy" in
# the service log.
#
#   scripts/starvation.sh [patients=300000] [import=100000]
#
# Env: DATABASE_URL (default: a fresh SQLite file; a postgres:// URL is emptied first), WORK.
# Needs: wrk, curl, python3, a release build (cargo build --release), psql for PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
patients="${1:-300000}"; import_n="${2:-100000}"
bin="$(pwd)/target/release/cancer-registry"
work="${WORK:-$(mktemp -d)}"; mkdir -p "$work"
port=$((20000 + RANDOM % 20000))
export CANCER_REGISTRY_ACCEPT_UNKNOWN_FACILITIES=true
export DATABASE_URL="${DATABASE_URL:-$work/starve.db}"
export CANCER_REGISTRY_JWT_SECRET_FILE="$work/secret" CANCER_REGISTRY_DATA_DIR="$work/files"
export CANCER_REGISTRY_MAX_IMPORT_PATIENTS=1000000 CANCER_REGISTRY_MAX_IMPORT_TUMORS=2000000
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; true' EXIT
case "$DATABASE_URL" in
  postgres*) psql "$DATABASE_URL" -qc "DROP SCHEMA public CASCADE; CREATE SCHEMA public;"; backend=postgresql ;;
  *) rm -f "$DATABASE_URL"*; backend=sqlite ;;
esac
log="$work/starvation.log"
say() { echo "$*" | tee -a "$log"; }
say "== starvation $(date -u +%FT%TZ): $backend, $patients patients, import of $import_n; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

# Load the database part by part (a generated file repeats no accession number within 100,000).
t0=$(date +%s)
for ((first = 0; first < patients; first += 100000)); do
  n=$(( patients - first < 100000 ? patients - first : 100000 ))
  "$bin" generate --patients "$n" --first "$first" --seed 3 --out "$work/part.xml" >/dev/null
  "$bin" import "$work/part.xml" >/dev/null
done
"$bin" generate --patients "$import_n" --first "$patients" --seed 3 --out "$work/new.xml" >/dev/null
say "loaded in $(( $(date +%s) - t0 )) s"

"$bin" serve --bind "127.0.0.1:$port" >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 150); do curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.2; done
base="http://127.0.0.1:$port/api/v1"
tok() { "$bin" token --sub "$1" --role "$2" ${3:+--facility "$3"} --ttl 4h; }
reader=$(tok reader registrar 0000000001)
central=$(tok central manager)
heavy=$(tok heavy registrar 0000000001)
tumor=$(curl -fs -H "Authorization: Bearer $reader" "$base/tumors?limit=1" | python3 -c 'import sys,json; print(json.load(sys.stdin)["data"][0]["id"])')
say "$(curl -fs -H "Authorization: Bearer $central" "$base/tumors?limit=1" >/dev/null && echo ready), reader's tumor $tumor"
printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$reader" >"$work/auth.lua"

# Starts the reader's loop; `stop_reader NAME` ends it and prints its figures.
start_reader() {
  wrk -t1 -c4 -d3600s --latency -s "$work/auth.lua" "$base/tumors/$tumor" >"$work/wrk.out" 2>&1 &
  wrk_pid=$!
  sleep 1
}
stop_reader() {
  kill -INT "$wrk_pid" 2>/dev/null || true
  wait "$wrk_pid" 2>/dev/null || true
  local figures
  figures=$(grep -E '^ +(50|99)%|requests in|Non-2xx|Socket errors' "$work/wrk.out" | tr -s ' ' | paste -sd' ')
  say "  reader during $1: ${figures:-no output: $(cat "$work/wrk.out")}; service $(grep -E 'VmHWM' /proc/$pid/status | tr -s ' \t' ' ')"
}
locked() { grep -ciE 'database is locked|database is busy|no database connection' "$work/server.log" || true; }

say "-- 0. the reader alone, 15 s"
start_reader; sleep 15; stop_reader "nothing else"

say "-- 1. the registry's due list streamed as CSV, twice at once"
start_reader
t=$(date +%s.%N)
# Wait for these jobs only: a bare `wait` would also wait for the reader's wrk.
jobs_=()
for i in 1 2; do
  (curl -fsN -H "Authorization: Bearer $central" "$base/followup/due?asOf=2026-11-01&format=csv" | wc -l >"$work/due-$i") &
  jobs_+=($!)
done
wait "${jobs_[@]}"
secs=$(python3 -c "print(f'{$(date +%s.%N) - $t:.1f}')")
stop_reader "two due lists"
say "  due lists: $(cat "$work/due-1") and $(cat "$work/due-2") lines, ${secs} s"

say "-- 2. five submissions at once from one registrar"
for i in 1 2 3 4 5; do
  curl -fs -X POST -H "Authorization: Bearer $central" -H 'Content-Type: application/json' \
    -d "{\"name\":\"Starvation $i $RANDOM\",\"kind\":\"other\",\"facilities\":[\"0000000001\"]}" "$base/recipients" \
    | python3 -c 'import sys,json; print(json.load(sys.stdin)["id"])' >"$work/recipient-$i"
done
start_reader
t=$(date +%s.%N)
jobs_=()
for i in 1 2 3 4 5; do
  curl -s -o "$work/sub-$i.json" -w '%{http_code}\n' -X POST -H "Authorization: Bearer $heavy" \
    -H 'Content-Type: application/json' -d "{\"recipient\":\"$(cat "$work/recipient-$i")\"}" "$base/submissions" >"$work/sub-$i.code" &
  jobs_+=($!)
done
wait "${jobs_[@]}"
codes=$(cat "$work"/sub-*.code | sort | uniq -c | tr -s ' ' | paste -sd',')
for i in 1 2 3 4 5; do
  if [ "$(cat "$work/sub-$i.code")" = 202 ]; then
    id=$(python3 -c 'import sys,json; print(json.load(open(sys.argv[1]))["id"])' "$work/sub-$i.json")
    while :; do
      s=$(curl -fs -H "Authorization: Bearer $heavy" "$base/submissions/$id" | python3 -c 'import sys,json; d=json.load(sys.stdin); print(d["status"], d["tumors"])')
      case "$s" in done*|failed*) break ;; esac
      sleep 0.5
    done
    say "  submission $id: $s"
  fi
done
secs=$(python3 -c "print(f'{$(date +%s.%N) - $t:.1f}')")
stop_reader "five submissions"
say "  answers: $codes; builds ended after ${secs} s"

say "-- 3. an import of $import_n new patients through the API"
start_reader
t=$(date +%s.%N)
code=$(curl -s -o "$work/import.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $central" \
  -H 'Content-Type: application/xml' --data-binary @"$work/new.xml" "$base/imports")
secs=$(python3 -c "print(f'{$(date +%s.%N) - $t:.1f}')")
stop_reader "the import"
say "  import: HTTP $code in ${secs} s: $(head -c 300 "$work/import.json")"

say "service log: $(locked) lines saying locked / busy / no connection; peak memory $(grep VmHWM /proc/$pid/status | tr -s ' ')"
say "== done; log in $log"
