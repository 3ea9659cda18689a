#!/usr/bin/env bash
# Rollouts that do not finish: a runner that dies mid-rollout (the others are
# rolled back, exit 5, the lost runner named), SIGINT (rolled back, exit 130),
# SIGTERM (the same), and SIGKILL (the canary disappears from every runner
# when its lease ends, with nobody left to roll it back).
source "$(dirname "$0")/lib.sh"
source "$ACUCTL_SOURCE_DIR/tests/data/serve_helpers.sh"
source "$ACUCTL_SOURCE_DIR/tests/integration/rollout_helpers.sh"

make_versions
start_fleet 3
LONG=(--interval 1s --steps 50,100 --step-duration 60s --min-requests 5 --load-rps 60)

# 1. A runner lost mid-rollout.
"$ACUCTL" rollout p2.acu --runner "$RUNNERS" "${LONG[@]}" >lost.out 2>lost.err &
rollout=$!
wait_canary "${URLS[0]}" 30 && wait_canary "${URLS[2]}" 30 && sleep 1.5
kill -9 "${PIDS[1]}"
rc=0; wait "$rollout" || rc=$?
[[ $rc -eq 5 ]] && ok "lost runner: exit 5" || { not_ok "lost runner: exit $rc, expected 5"; tail -5 lost.err; }
grep -qF "lost runner ${URLS[1]}" lost.err && ok "the error names the lost runner ${URLS[1]}" || { not_ok "lost runner not named"; cat lost.err; }
LOST=${URLS[1]}
URLS=("${URLS[0]}" "${URLS[2]}")
fleet_is 1.0.0 "the other runners are back on 1.0.0, no canary"
RUNNERS=$(IFS=,; echo "${URLS[*]}")

# 2. SIGINT: rolled back, exit 130.
for sig in INT TERM; do
  "$ACUCTL" rollout p2.acu --runner "$RUNNERS" "${LONG[@]}" >sig.out 2>sig.err &
  rollout=$!
  wait_canary "${URLS[0]}" 30 && sleep 1.5
  kill -"$sig" "$rollout"
  rc=0; wait "$rollout" || rc=$?
  [[ $rc -eq 130 ]] && ok "SIG$sig: exit 130" || { not_ok "SIG$sig: exit $rc, expected 130"; tail -5 sig.err; }
  grep -q "interrupted" sig.err && ok "SIG$sig: the error says interrupted" || not_ok "SIG$sig: stderr: $(cat sig.err)"
  fleet_is 1.0.0 "SIG$sig: every runner back on 1.0.0, no canary"
done

# 3. SIGKILL: the lease (3 x 1 s, at least 10 s) ends and the runners drop the canary.
"$ACUCTL" rollout p2.acu --runner "$RUNNERS" "${LONG[@]}" >kill.out 2>kill.err &
rollout=$!
wait_canary "${URLS[0]}" 30 && wait_canary "${URLS[1]}" 30 && sleep 1
kill -9 "$rollout"; wait "$rollout" 2>/dev/null || true
killed_at=$SECONDS
if state_of "${URLS[0]}" | grep -q '"canary":{'; then ok "right after SIGKILL the canary is still there (lease running)"; else not_ok "canary gone before its lease ended"; fi
gone=1
for u in "${URLS[@]}"; do wait_no_canary "$u" 20 || gone=0; done
[[ $gone -eq 1 ]] && ok "the canary disappeared from every runner $((SECONDS - killed_at)) s after SIGKILL (lease 10 s)" \
  || not_ok "a canary is still there 20 s after SIGKILL"
fleet_is 1.0.0 "after the lease: every runner on 1.0.0, no canary"
grep -q '"lease-expired"' s0/audit.jsonl && ok "the audit log says lease-expired" || not_ok "no lease-expired in the audit log"

# 4. A runner that refuses the canary changed nothing, and the rollback leaves
# it alone: here it already serves the version being rolled out, which a
# rollback "from" that version would undo.
expect_exit 0 "deploy 2.0.0 on ${URLS[1]} only" -- "$ACUCTL" deploy p2.acu --runner "${URLS[1]}"
expect_exit 5 "rollout of 2.0.0: ${URLS[1]} refuses (already stable): not completed, not a verification failure" -- \
  "$ACUCTL" -o json rollout p2.acu --runner "$RUNNERS" "${LONG[@]}"
expect_err_contains "is the stable version" "the error says why ${URLS[1]} refused"
events_check "$WORK/last.out" '[r for e in ev if e["event"]=="rollback" for r in e["runners"] if r["ok"] and r["canary"] is None and r["stable"]=="1.0.0"]' \
  "-o json: the rollback event shows the rolled-back runner with canary null"
state_of "${URLS[0]}" >st0.json; state_of "${URLS[1]}" >st1.json
jcheck st0.json 'j["stable"]["version"]=="1.0.0" and j["canary"] is None' "${URLS[0]}: canary rolled back, 1.0.0 stable"
jcheck st1.json 'j["stable"]["version"]=="2.0.0" and j["previous"]["version"]=="1.0.0"' "${URLS[1]}: untouched, still 2.0.0"
finish
