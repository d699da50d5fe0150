#!/usr/bin/env bash
# 100 clients mixing reads and writes for 60 s (issue 10), on a fresh SQLite database or on
# DATABASE_URL (a PostgreSQL database that is emptied first): imports N generated patients,
# starts the release server, runs `cargo bench --bench mixed_load`, and fails on any 5xx,
# transport error, or "database is locked" in the server log.
#
#   scripts/mixed-load.sh [clients=100] [seconds=60] [patients=5000]
#
# Needs: a release build, ../shared (generator tables, reference, algorithms), sqlite3 or psql.
set -euo pipefail
cd "$(dirname "$0")/.."
clients="${1:-100}"; seconds="${2:-60}"; patients="${3:-5000}"
bin="$(pwd)/target/release/cancer-registry"
shared="$(pwd)/../shared"
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
# The generated data and the tokens name facilities nobody registered: a first load.
export CANCER_REGISTRY_ACCEPT_UNKNOWN_FACILITIES=true
export DATABASE_URL="${DATABASE_URL:-$work/load.db}"
export CANCER_REGISTRY_REFERENCE="$shared/reference" CANCER_REGISTRY_ALGORITHMS="$shared/staging/algorithms"
export CANCER_REGISTRY_GENERATOR_TABLES="$shared/naaccr/generator-tables" CANCER_REGISTRY_JWT_SECRET_FILE="$work/secret"
export CANCER_REGISTRY_DATA_DIR="$work/files"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
case "$DATABASE_URL" in
  postgres*) psql "$DATABASE_URL" -qc "DROP SCHEMA public CASCADE; CREATE SCHEMA public;" ;;
esac
"$bin" generate --patients "$patients" --seed 3 --out "$work/data.xml" >/dev/null 2>&1
"$bin" import "$work/data.xml" --facility 0000000001 >/dev/null
case "$DATABASE_URL" in
  postgres*) psql "$DATABASE_URL" -tAc "select id || ' ' || patient_id from tumors" >"$work/ids" ;;
  *) sqlite3 "$DATABASE_URL" "select id || ' ' || patient_id from tumors" >"$work/ids" ;;
esac
"$bin" serve --bind "127.0.0.1:$port" >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.2; done
case "$DATABASE_URL" in postgres*) backend=postgresql ;; *) backend=sqlite ;; esac
echo "backend: $backend, $(wc -l <"$work/ids") tumors, pool ${CANCER_REGISTRY_POOL_SIZE:-default}"
status=0
MIXED_BASE="http://127.0.0.1:$port/api/v1" MIXED_TOKEN="$("$bin" token --sub load --role manager --ttl 2h)" \
  MIXED_TUMORS="$work/ids" cargo bench -q --bench mixed_load -- "$clients" "$seconds" || status=1
locked=$(grep -c "database is locked" "$work/server.log" || true)
errors=$(grep -cE '" 5[0-9][0-9] ' "$work/server.log" || true)
echo "server log: $locked 'database is locked', $errors responses 5xx; peak memory $(grep VmHWM /proc/$pid/status | tr -s ' ')"
# What the 5xx answers were, before the work folder goes: the requests and the errors logged.
if [ "$errors" -gt 0 ]; then
  grep -E '" 5[0-9][0-9] | ERROR ' "$work/server.log" | cut -c1-600 | head -20
fi
[ "$locked" -eq 0 ] && [ "$errors" -eq 0 ] || status=1
exit $status
