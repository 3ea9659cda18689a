#!/usr/bin/env bash
# acuctl rollback against 20 real runners (local processes): every runner is
# back on the previous version in under 1 s of wall time, needing no local
# state; a second call finds nothing to undo, changes nothing and exits 0.
source "$(dirname "$0")/lib.sh"
source "$ACUCTL_SOURCE_DIR/tests/data/serve_helpers.sh"
source "$ACUCTL_SOURCE_DIR/tests/integration/rollout_helpers.sh"

fixture_bundles 1.0.0 2.0.0
start_fleet 20
expect_exit 0 "deploy 2.0.0 to 20 runners" -- "$ACUCTL" deploy p2.acu --runner "$RUNNERS"
fleet_is 2.0.0 "20 runners on 2.0.0"

generations() { local u; for u in "${URLS[@]}"; do state_of "$u" | $PY -c 'import json,sys; print(json.load(sys.stdin)["generation"])'; done | tr '\n' ' '; }

start=$(date +%s%N)
expect_exit 0 "rollback on 20 runners" -- "$ACUCTL" rollback --runner "$RUNNERS"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
if (( elapsed_ms < 1000 )); then ok "rollback of 20 runners took ${elapsed_ms} ms (< 1 s)"; else not_ok "rollback of 20 runners took ${elapsed_ms} ms"; fi
fleet_is 1.0.0 "20 runners back on 1.0.0"
[[ $(grep -c "stable fixture 1.0.0" last.out) -eq 20 ]] && ok "rollback prints what each of the 20 runners now serves" || not_ok "rollback output: $(head -3 last.out)"

before=$(generations)
expect_exit 0 "a second rollback exits 0" -- "$ACUCTL" -o json rollback --runner "$RUNNERS"
[[ "$(generations)" == "$before" ]] && ok "the second rollback changed nothing (generations unchanged)" || not_ok "generations changed: $before → $(generations)"
fleet_is 1.0.0 "still on 1.0.0"
jcheck last.out 'j["ok"] and len(j["runners"])==20' "JSON result lists 20 runners"

# A canary is dropped by rollback too, everywhere at once.
curl -sS -o /dev/null -X POST -d "{\"ref\":\"$WORK/p2.acu\",\"weight\":10}" "${URLS[3]}/admin/v1/canary"
expect_exit 0 "rollback drops a canary" -- "$ACUCTL" rollback --runner "$RUNNERS"
fleet_is 1.0.0 "no canary anywhere, all on 1.0.0"
finish
