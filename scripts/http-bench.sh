#!/usr/bin/env bash
# HTTP load benchmark: starts the release server on a fresh SQLite database (or DATABASE_URL),
# imports N generated patients, then runs wrk against GET a tumor, PATCH a tumor, a filtered
# list, and the stateless edits check, printing throughput and p50/p99 latency.
#
#   scripts/http-bench.sh [patients=10000] [seconds=15] [connections=8]
#
# Needs: wrk (apt), a release build (cargo build --release), ../shared for tables and references.
set -euo pipefail
cd "$(dirname "$0")/.."
patients="${1:-10000}"; seconds="${2:-15}"; conns="${3:-8}"
bin="$(pwd)/target/release/cancer-registry"
shared="$(pwd)/../shared"
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
# The generated data and the tokens name facilities nobody registered: a first load.
export CANCER_REGISTRY_ACCEPT_UNKNOWN_FACILITIES=true
export DATABASE_URL="${DATABASE_URL:-$work/bench.db}"
export CANCER_REGISTRY_REFERENCE="$shared/reference" CANCER_REGISTRY_ALGORITHMS="$shared/staging/algorithms"
export CANCER_REGISTRY_GENERATOR_TABLES="$shared/naaccr/generator-tables" CANCER_REGISTRY_JWT_SECRET_FILE="$work/secret"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin" generate --patients "$patients" --seed 1 --out "$work/data.xml" >/dev/null 2>&1
"$bin" import "$work/data.xml" >/dev/null
"$bin" serve --bind "127.0.0.1:$port" >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.2; done
token=$("$bin" token --sub bench --role manager --ttl 2h)
base="http://127.0.0.1:$port/api/v1"
tumor=$(curl -fs -H "Authorization: Bearer $token" "$base/tumors?limit=1" | python3 -c 'import sys,json; print(json.load(sys.stdin)["data"][0]["id"])')
cat > "$work/auth.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $token"
LUA
# PATCH needs the current ETag: each request reads it from the previous response (412s are
# counted by wrk as non-2xx and reported).
cat > "$work/patch.lua" <<LUA
wrk.method = "PATCH"
wrk.headers["Authorization"] = "Bearer $token"
wrk.headers["Content-Type"] = "application/json"
local etag = '"1"'
local n = 0
request = function()
  n = n + 1
  wrk.headers["If-Match"] = etag
  return wrk.format(nil, nil, nil, '{"items":{"textRemarks":"bench ' .. n .. '"}}')
end
response = function(status, headers, body)
  if headers["etag"] then etag = headers["etag"] end
  if headers["ETag"] then etag = headers["ETag"] end
end
LUA
curl -fs -H "Authorization: Bearer $token" "$base/tumors/$tumor" -o "$work/tumor.json"
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
t = json.load(open(f"{work}/tumor.json"))["items"]
body = {"patient": {"items": {"dateOfBirth": "19550314", "sexAssignedAtBirth": "2"}}, "tumors": [{"items": t}] * 3}
open(f"{work}/check.json", "w").write(json.dumps(body))
PY
cat > "$work/check.lua" <<LUA
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $token"
wrk.headers["Content-Type"] = "application/json"
wrk.body = io.open("$work/check.json"):read("*a")
LUA
run() {
  echo "== $1"
  local threads=$(( conns < 2 ? conns : 2 ))
  wrk -t"$threads" -c"$conns" -d"${seconds}s" --latency -s "$2" "$3" | grep -E '^ +(50|99)%|Requests/sec|Non-2xx'
}
run "GET one tumor" "$work/auth.lua" "$base/tumors/$tumor"
run "GET tumor list, filtered" "$work/auth.lua" "$base/tumors?dxYearFrom=2018&status=draft&limit=50"
run "POST edits check (1 patient, 3 tumors)" "$work/check.lua" "$base/edits/check"
conns=1 run "PATCH one tumor (1 connection: versions in sequence)" "$work/patch.lua" "$base/tumors/$tumor"
