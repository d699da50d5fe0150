#!/usr/bin/env bash
# Fuzzes the NAACCR XML reader, item validation and the staging input path with cargo fuzz
# (libFuzzer), each for SECONDS (default 600), seeding the corpora from ../shared at run time
# (nothing of ../shared is copied into the repository: fuzz/corpus is ignored by git).
#
#   scripts/fuzz.sh [seconds=600] [target...]
#
# Needs: the nightly toolchain (rustup toolchain install nightly) and cargo-fuzz
# (cargo install cargo-fuzz). A finding is left in fuzz/artifacts/<target>/ and the script
# exits non-zero; turn it into a regression test before fixing it.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"; shift || true
targets=("$@"); [ "${#targets[@]}" -gt 0 ] || targets=(xml_reader item_values staging_input)
shared="$(pwd)/../shared"
export CANCER_REGISTRY_ALGORITHMS="${CANCER_REGISTRY_ALGORITHMS:-$shared/staging/algorithms}"

seed() {
  local c=fuzz/corpus
  mkdir -p "$c/xml_reader" "$c/item_values" "$c/staging_input"
  # Every NAACCR conformance and sample file small enough to mutate quickly.
  find "$shared/naaccr" -name '*.xml' -size -64k | while read -r f; do
    cp "$f" "$c/xml_reader/$(echo "$f" | sha1sum | cut -c1-16).xml"
  done
  # Item values: dates (full, partial, impossible), codes, blanks, numbers.
  python3 - "$c/item_values" <<'PY'
import sys
values = ["20240229", "20230229", "202302", "2023", "2023  ", "19000101", "99999999", "C509",
          "8140", "3", " ", "", "0.5", "-12", "12345678901234567890", "O'BRIEN", "x=y"]
for i, v in enumerate(values):
    open(f"{sys.argv[1]}/seed-{i}", "wb").write(bytes([0, i * 37 % 256, i % 3]) + v.encode())
PY
  # Staging: the inputs of the first oracle cases of each algorithm.
  python3 - "$c/staging_input" "$shared"/staging/oracle/*.jsonl.gz <<'PY'
import gzip, hashlib, itertools, json, sys
out = sys.argv[1]
for path in sys.argv[2:]:
    with gzip.open(path, "rt") as f:
        for line in itertools.islice(f, 200):
            inputs = json.dumps(json.loads(line)["inputs"], sort_keys=True)
            open(f"{out}/{hashlib.sha1(inputs.encode()).hexdigest()[:16]}.json", "w").write(inputs)
PY
}

seed
status=0
for t in "${targets[@]}"; do
  echo "== $t for ${seconds} s"
  ( cd fuzz && cargo +nightly fuzz run -O "$t" "corpus/$t" -- \
      -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
      -print_final_stats=1 2>&1 | tail -n 25 ) || status=1
done
exit $status
