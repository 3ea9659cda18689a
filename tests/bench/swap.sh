#!/usr/bin/env bash
# Hot-swap benchmark, side by side in one run (wrk, 32 connections, loopback,
# native fixture model): p99 latency without swaps, then with 10 deploys
# alternating two versions during the same duration; then the runner's RSS
# after 10 and after 100 swaps. Measures; never passes or fails.
# Usage: tests/bench/swap.sh [DURATION]   (ACUCTL=path/to/acuctl to choose the binary)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
export ACUCTL=${ACUCTL:-$SRC/build/dev/acuctl} ACUCTL_SOURCE_DIR=$SRC
DURATION=${1:-10}
# PY, WORK (the current directory), background processes stopped on exit, free_port
source "$SRC/tests/integration/lib.sh"
source "$SRC/tests/data/serve_helpers.sh"
fixture_project p1 1.0.0
fixture_project p2 2.0.0
for p in p1 p2; do "$ACUCTL" package $p -o $p.acu >/dev/null 2>&1; done
PORT=$(free_port)
U=http://127.0.0.1:$PORT
"$ACUCTL" serve --listen 127.0.0.1:$PORT --state-dir state --model p1.acu --allow-unsigned 2>serve.err &
RPID=$!
_pids+=($RPID)
for _ in $(seq 1 100); do curl -fs -o /dev/null "$U/v2/health/ready" && break; sleep 0.1; done
D1=sha256:$(sha256sum p1.acu | cut -d' ' -f1)
D2=sha256:$(sha256sum p2.acu | cut -d' ' -f1)
curl -fsS -o /dev/null -X PUT --data-binary @p1.acu "$U/admin/v1/bundles/$D1"
curl -fsS -o /dev/null -X PUT --data-binary @p2.acu "$U/admin/v1/bundles/$D2"
deploy() { curl -sS -o /dev/null -w '%{http_code}' -X POST -d "{\"ref\":\"$1\"}" "$U/admin/v1/deploy"; }
load() { BODY_FILE=p1/example.json wrk -t2 -c32 -d"${DURATION}s" --latency -s "$SRC/tests/bench/post.lua" "$U/v2/models/fixture/infer" | grep '^RESULT'; }

BODY_FILE=p1/example.json wrk -t2 -c32 -d2s -s "$SRC/tests/bench/post.lua" "$U/v2/models/fixture/infer" >/dev/null  # warm-up
echo "== without swaps (${DURATION}s)"
load
echo "== with 10 deploys alternating two versions (${DURATION}s)"
(
  sleep 0.5
  step=$($PY -c "print(max(0.2, ($DURATION - 1) / 10))")
  codes=""
  for i in $(seq 1 10); do
    if (( i % 2 )); then codes+="$(deploy "$D2") "; else codes+="$(deploy "$D1") "; fi
    sleep "$step"
  done
  echo "deploy answers: $codes" >&2
) &
SWAPPER=$!
load
wait "$SWAPPER"
rss() { awk '/^VmRSS/ {print $2}' "/proc/$RPID/status"; }
echo "== RSS"
for i in $(seq 1 100); do
  if (( i % 2 )); then deploy "$D2" >/dev/null; else deploy "$D1" >/dev/null; fi
  curl -sS -o /dev/null -X POST -d @p1/example.json "$U/v2/models/fixture/infer"
  [[ $i == 10 ]] && echo "RSS after 10 swaps: $(rss) kB"
done
echo "RSS after 100 swaps: $(rss) kB"
