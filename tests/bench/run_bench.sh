#!/usr/bin/env bash
# Runner benchmarks, side by side in one run (wrk, 32 connections, loopback):
#   1. the HTTP floor (tests/bench/floor_server.cpp: Beast, fixed answer)
#   2. acuctl serve, native runtime, trivial model (tests/data/fixture_model.c)
#   3. acuctl serve, xgboost runtime, the iris template model
#   4. the Acumos-style baseline: Flask under gunicorn, 2 sync workers, same model
# plus the request-decoding micro benchmark. Measures; never passes or fails.
# Usage: tests/bench/run_bench.sh [DURATION]   (per round; ROUNDS=3 rounds)
#   ACUCTL=path/to/acuctl (default build/dev/acuctl), THREADS=server threads (default: cores),
#   WRK_THREADS=wrk threads (default 2)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
export ACUCTL=${ACUCTL:-$SRC/build/dev/acuctl} ACUCTL_SOURCE_DIR=$SRC
DURATION=${1:-5s}
THREADS=${THREADS:-$(nproc)}
# PY, WORK (the current directory), background (stopped on exit), free_port
source "$SRC/tests/integration/lib.sh"
wait_port() { for _ in $(seq 1 300); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.1; done; return 1; }

echo "== building the floor server and the decode benchmark" >&2
cmake -S "$SRC/tests/bench" -B "$SRC/build/bench" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$SRC/build/bench" >/dev/null
LIB=$(dirname "$ACUCTL")/libacuctl_lib.a
c++ -O2 -std=c++20 -I "$SRC/lib/include" "$SRC/tests/bench/bench_decode.cpp" "$LIB" -pthread -o "$WORK/bench_decode"

echo "== preparing models" >&2
source "$SRC/tests/data/serve_helpers.sh"
fixture_project native 1.0.0
"$ACUCTL" package native -o native.acu >/dev/null 2>&1
"$ACUCTL" init iris --template xgboost >/dev/null 2>&1
"$ACUCTL" package iris -o iris.acu >/dev/null 2>&1
cp native/example.json native_body.json
cp iris/example.json iris_body.json

run_wrk() {  # NAME PORT PATH BODY
  local out
  out=$(BODY_FILE="$WORK/$4" wrk -t"${WRK_THREADS:-2}" -c32 -d"$DURATION" --latency -s "$SRC/tests/bench/post.lua" "http://127.0.0.1:$2$3" | grep '^RESULT')
  echo "$1 $out" | tee -a results.txt
}

# All four servers run at once (idle while another is measured); rounds
# alternate between them so that a burst of load on this shared machine does
# not favour one side. The summary takes each side's median round.
declare -A port_of
port_of[floor]=$(free_port)
background "$SRC/build/bench/floor_server" "${port_of[floor]}" "$THREADS"
port_of[native]=$(free_port)
background "$ACUCTL" -q serve --listen "127.0.0.1:${port_of[native]}" --state-dir s1 --model native.acu --allow-unsigned --threads "$THREADS" 2>/dev/null
port_of[xgboost]=$(free_port)
background "$ACUCTL" -q serve --listen "127.0.0.1:${port_of[xgboost]}" --state-dir s2 --model iris.acu --allow-unsigned --threads "$THREADS" 2>/dev/null
port_of[flask]=$(free_port)
(cd "$SRC/tests/bench" && OMP_NUM_THREADS=1 MODEL="$SRC/templates/xgboost/iris.json" \
  exec gunicorn -w 2 -k sync -b "127.0.0.1:${port_of[flask]}" --log-level warning flask_runner:app) & _pids+=($!)
for name in floor native xgboost flask; do wait_port "${port_of[$name]}"; done

for round in $(seq 1 "${ROUNDS:-3}"); do
  echo "== round $round" >&2
  run_wrk floor "${port_of[floor]}" /v2/models/fixture/infer native_body.json
  run_wrk native "${port_of[native]}" /v2/models/fixture/infer native_body.json
  run_wrk xgboost "${port_of[xgboost]}" /v2/models/iris/infer iris_body.json
  run_wrk flask "${port_of[flask]}" /v2/models/iris/infer iris_body.json
done

echo
"$WORK/bench_decode"
echo
$PY - results.txt <<'PY'
import sys
import statistics
rounds = {}
for line in open(sys.argv[1]):
    name, _, *fields = line.split()
    rounds.setdefault(name, []).append({k: float(v) for k, v in (f.split("=") for f in fields)})
# Each side's median round by requests/s.
r = {name: sorted(rs, key=lambda v: v["rps"])[len(rs) // 2] for name, rs in rounds.items()}
print(f"median of {len(rounds['floor'])} rounds:")
for name, v in r.items():
    print(f"{name:8s} {v['rps']:10.0f} req/s  p50 {v['p50_ms']:7.3f} ms  p99 {v['p99_ms']:7.3f} ms  errors {v['errors']:.0f}  non-2xx {v['non2xx']:.0f}")
print(f"native / floor   = {r['native']['rps'] / r['floor']['rps']:.2f}  (goal >= 0.50)")
print(f"xgboost / flask  = {r['xgboost']['rps'] / r['flask']['rps']:.1f}x (goal >= 20x, p99 {r['xgboost']['p99_ms']:.3f} ms, goal < 5 ms)")
PY
