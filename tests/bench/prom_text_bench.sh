#!/usr/bin/env bash
# Benchmark (not a test): parsing a runner's /metrics with acuctl's parser vs
# the baseline, Prometheus' own Go parser as run by `promtool check metrics`
# (which also lints, so it does a little more work). Same files, one run.
# Usage: tests/bench/prom_text_bench.sh [BUILD_DIR]   (default build/dev)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build/dev}
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)"; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# A fleet-sized /metrics: M models x 2 slots x 5 codes counters plus a
# 12-bucket latency histogram per model and slot, with HELP/TYPE lines.
gen() {
  /usr/bin/python3 - "$1" >"$2" <<'PY'
import sys
models = int(sys.argv[1])
out = ["# HELP acu_requests_total Inference requests.", "# TYPE acu_requests_total counter"]
for m in range(models):
    for slot, ver in (("stable", "1.0.0"), ("canary", "1.1.0")):
        for code in ("200", "400", "404", "500", "503"):
            out.append(f'acu_requests_total{{model="model-{m}",version="{ver}",slot="{slot}",code="{code}"}} {m * 1000 + 17}')
out += ["# HELP acu_request_duration_seconds Request latency.", "# TYPE acu_request_duration_seconds histogram"]
bounds = ["0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "+Inf"]
for m in range(models):
    for slot, ver in (("stable", "1.0.0"), ("canary", "1.1.0")):
        lab = f'model="model-{m}",version="{ver}",slot="{slot}"'
        for i, le in enumerate(bounds):
            out.append(f'acu_request_duration_seconds_bucket{{{lab},le="{le}"}} {i * 100 + m}')
        out.append(f"acu_request_duration_seconds_sum{{{lab}}} {m * 1.5}")
        out.append(f"acu_request_duration_seconds_count{{{lab}}} {1100 + m}")
print("\n".join(out))
PY
}

for models in 1 1000; do
  file=$WORK/metrics-$models.prom
  gen "$models" "$file"
  echo "== $models model(s): $(wc -l <"$file") lines, $(wc -c <"$file") bytes"
  ACUCTL_BENCH_METRICS=$file "$BUILD/acuctl_tests" "-tc=bench: parse one /metrics file" >/dev/null
  ACUCTL_BENCH_METRICS=$file hyperfine -N --warmup 3 --runs 30 \
    -n "acuctl parse_text" "$BUILD/acuctl_tests -tc=bench:*" \
    -n "promtool check metrics" "sh -c 'promtool check metrics < $file'" \
    -n "acuctl_tests startup (no parse)" "$BUILD/acuctl_tests -tc=nothing-matches"
done
