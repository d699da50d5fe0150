#!/usr/bin/env bash
# Audited reads against a bare handler (issue 20): imports N generated patients into a fresh
# SQLite database (or DATABASE_URL, a PostgreSQL database whose public schema is emptied
# first), starts the release server and the bare actix-web server of `benches/bare_http.rs`,
# and runs `wrk -t2 -c32` ROUNDS times against each in turn (bare, tumor, bare, tumor, ...):
# GET /api/v1/tumors/{id} writes its audit row each time. Prints each run and the ratio, and
# checks that every read left its audit row.
#
#   scripts/read-bench.sh [patients=5000] [seconds=10] [rounds=3]
#
# Needs: wrk (apt), a release build, ../shared (generator tables), sqlite3 or psql.
set -euo pipefail
cd "$(dirname "$0")/.."
patients="${1:-5000}"; seconds="${2:-10}"; rounds="${3:-3}"
bin="$(pwd)/target/release/cancer-registry"
shared="$(pwd)/../shared"
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000)); bare_port=$((port + 1))
# The generated data and the tokens name facilities nobody registered: a first load.
export CANCER_REGISTRY_ACCEPT_UNKNOWN_FACILITIES=true
export DATABASE_URL="${DATABASE_URL:-$work/bench.db}"
export CANCER_REGISTRY_REFERENCE="$shared/reference" CANCER_REGISTRY_ALGORITHMS="$shared/staging/algorithms"
export CANCER_REGISTRY_GENERATOR_TABLES="$shared/naaccr/generator-tables" CANCER_REGISTRY_JWT_SECRET_FILE="$work/secret"
export CANCER_REGISTRY_DATA_DIR="$work/files"
pid=""; bare=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "$bare" ] && kill "$bare" 2>/dev/null; rm -rf "$work"' EXIT
case "$DATABASE_URL" in
  postgres*) psql "$DATABASE_URL" -qc "DROP SCHEMA public CASCADE; CREATE SCHEMA public;"; backend=postgresql ;;
  *) backend=sqlite ;;
esac
bare_bin=$(cargo bench --bench bare_http --no-run --message-format=json 2>/dev/null \
  | python3 -c 'import sys,json
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m["target"]["name"]=="bare_http" and m.get("executable"): print(m["executable"])')
"$bare_bin" "127.0.0.1:$bare_port" 2>/dev/null &
bare=$!
"$bin" generate --patients "$patients" --seed 1 --out "$work/data.xml" >/dev/null 2>&1
"$bin" import "$work/data.xml" --facility 0000000001 >/dev/null
"$bin" serve --bind "127.0.0.1:$port" >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.2; done
token=$("$bin" token --sub bench --role manager --ttl 2h)
auditor=$("$bin" token --sub bench-auditor --role auditor --facility 0000000001 --ttl 2h)
base="http://127.0.0.1:$port/api/v1"
tumor=$(curl -fs -H "Authorization: Bearer $token" "$base/tumors?limit=1" | python3 -c 'import sys,json; print(json.load(sys.stdin)["data"][0]["id"])')
cat > "$work/auth.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $token"
LUA
rows() { curl -fs -H "Authorization: Bearer $auditor" "$base/audit/head" | python3 -c 'import sys,json; print(json.load(sys.stdin)["rows"])'; }
echo "backend: $backend, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), body $(curl -fs -H "Authorization: Bearer $token" "$base/tumors/$tumor" | wc -c) bytes"
summary() { grep -E '^ +(50|99)%|Requests/sec|Non-2xx|Socket errors' | tr -s ' ' | paste -sd' '; }
total_bare=0; total_tumor=0; status=0
for r in $(seq 1 "$rounds"); do
  b=$(wrk -t2 -c32 -d"${seconds}s" --latency "http://127.0.0.1:$bare_port/" | summary)
  echo "round $r bare:  $b"
  before=$(rows)
  t=$(wrk -t2 -c32 -d"${seconds}s" --latency -s "$work/auth.lua" "$base/tumors/$tumor" | tee "$work/wrk.out" | summary)
  after=$(rows)
  echo "round $r tumor: $t"
  served=$(grep -E '^ +[0-9]+ requests in' "$work/wrk.out" | awk '{print $1}')
  # Every answered read has its committed row (wrk may close with a few requests in flight,
  # whose rows are also written: at least as many rows as answers).
  echo "round $r audit rows written: $((after - before)) for $served answered reads"
  [ $((after - before)) -ge "$served" ] || status=1
  grep -q "Non-2xx" "$work/wrk.out" && status=1
  total_bare=$(python3 -c "print($total_bare + $(echo "$b" | sed -E 's/.*Requests\/sec: ([0-9.]+).*/\1/'))")
  total_tumor=$(python3 -c "print($total_tumor + $(echo "$t" | sed -E 's/.*Requests\/sec: ([0-9.]+).*/\1/'))")
done
python3 -c "print(f'mean: bare {$total_bare/$rounds:,.0f} req/s, tumor {$total_tumor/$rounds:,.0f} req/s = {100*$total_tumor/$total_bare:.1f}% of bare')"
echo "server peak memory $(grep VmHWM /proc/$pid/status | tr -s ' ')"
exit $status
