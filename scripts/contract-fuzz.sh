#!/usr/bin/env bash
# Contract fuzzing: starts the service on a fresh SQLite database, mints a token for each role,
# and runs schemathesis over every operation of openapi/openapi.json with all checks (server
# errors, undocumented status codes and content types, response schema conformance).
#
#   scripts/contract-fuzz.sh [max-examples]        (default 30 per operation and role)
#
# openapi/schemathesis.toml names the few operations whose rules JSON Schema cannot state and
# the one extra status each may answer schema-valid data with (412 or 422), and why.
#
# Needs: python3 -m pip install schemathesis; a built binary (cargo build).
set -euo pipefail
cd "$(dirname "$0")/.."
examples="${1:-30}"
bin="${CANCER_REGISTRY_BIN:-target/debug/cancer-registry}"
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
# The generated data and the tokens name facilities nobody registered: a first load.
export CANCER_REGISTRY_ACCEPT_UNKNOWN_FACILITIES=true
export DATABASE_URL="$work/fuzz.db"
export CANCER_REGISTRY_REFERENCE="${CANCER_REGISTRY_REFERENCE:-$(pwd)/../shared/reference}"
export CANCER_REGISTRY_ALGORITHMS="${CANCER_REGISTRY_ALGORITHMS:-$(pwd)/../shared/staging/algorithms}"
export CANCER_REGISTRY_DATA_DIR="$work/files" CANCER_REGISTRY_JWT_SECRET_FILE="$work/secret"
"$bin" serve --bind "127.0.0.1:$port" >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.2; done
# A copy: a rebuild of openapi/openapi.json during the run must not change what is tested.
cp openapi/openapi.json "$work/openapi.json"
status=0
for role in ${ROLES:-registrar reviewer manager researcher auditor}; do
  token=$("$bin" token --sub "fuzz-$role" --role "$role" --facility 0000000001 --ttl 2h)
  echo "== schemathesis as $role"
  schemathesis --config-file openapi/schemathesis.toml run "$work/openapi.json" \
    --url "http://127.0.0.1:$port" \
    -H "Authorization: Bearer $token" \
    --checks all \
    --max-examples "$examples" \
    --seed 1 \
    --generation-deterministic \
    --suppress-health-check all \
    || status=1
done
if grep -q "panicked" "$work/server.log"; then
  echo "the server panicked:" >&2
  grep -A5 panicked "$work/server.log" >&2
  status=1
fi
exit $status
