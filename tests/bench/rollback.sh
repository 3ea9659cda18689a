#!/usr/bin/env bash
# Benchmark: `acuctl rollback` against 20 local runners (parallel admin calls
# over libcurl multi) side by side with the baseline an operator would script
# without it: one curl per runner, in sequence (GET state, POST rollback).
# Each run first deploys 2.0.0 everywhere (hyperfine --prepare), so every
# measured run really rolls 20 runners back. Measures; never fails on a number.
# Usage: ACUCTL=build/release/acuctl tests/bench/rollback.sh [RUNNERS]
set -euo pipefail
: "${ACUCTL:=$(cd "$(dirname "$0")/../.." && pwd)/build/dev/acuctl}"
export ACUCTL
ACUCTL_SOURCE_DIR=$(cd "$(dirname "$0")/../.." && pwd)
export ACUCTL_SOURCE_DIR
source "$ACUCTL_SOURCE_DIR/tests/integration/lib.sh"
source "$ACUCTL_SOURCE_DIR/tests/data/serve_helpers.sh"
source "$ACUCTL_SOURCE_DIR/tests/integration/rollout_helpers.sh"
n=${1:-20}
fixture_project p1 1.0.0
fixture_project p2 2.0.0
for p in p1 p2; do "$ACUCTL" package $p -o $p.acu >/dev/null 2>&1; done
start_fleet "$n"
"$ACUCTL" deploy p2.acu --runner "$RUNNERS" >/dev/null
printf '%s\n' "${URLS[@]}" >urls.txt
cat >sequential.sh <<'SH'
#!/usr/bin/env bash
# The baseline: one runner after the other with curl.
while read -r u; do
  v=$(curl -sS "$u/admin/v1/state" | sed -n 's/.*"stable":{[^}]*"version":"\([^"]*\)".*/\1/p')
  curl -sS -o /dev/null -X POST -d "{\"from\":\"$v\"}" "$u/admin/v1/rollback"
done <"$1"
SH
chmod +x sequential.sh
prepare="$ACUCTL deploy $WORK/p2.acu --runner $RUNNERS >/dev/null"
hyperfine --warmup 2 --runs 20 --prepare "$prepare" \
  -n "acuctl rollback ($n runners, parallel)" "$ACUCTL rollback --runner $RUNNERS >/dev/null" \
  -n "curl loop ($n runners, sequential)" "./sequential.sh urls.txt"
fleet_is 1.0.0 "after the last run every runner is on 1.0.0"
finish
