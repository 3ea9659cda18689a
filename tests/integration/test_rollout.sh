#!/usr/bin/env bash
# Rollouts on two real runners under synthetic traffic: a good version is
# promoted (exit 0); one failing a third of its requests is rolled back
# (exit 4) right after the first failing window, naming check, value and
# threshold; a slow one breaks --max-latency-p99 (exit 4); too little traffic
# is inconclusive, never a pass, and ends with exit 5, rolled back.
source "$(dirname "$0")/lib.sh"
source "$ACUCTL_SOURCE_DIR/tests/data/serve_helpers.sh"
source "$ACUCTL_SOURCE_DIR/tests/integration/rollout_helpers.sh"

make_versions
start_fleet 2
FAST=(--interval 1s --steps 50,100 --step-duration 2s --min-requests 20 --load-rps 120)

# 1. A good version is promoted everywhere.
expect_exit 0 "good version 2.0.0 is promoted" -- \
  "$ACUCTL" -o json rollout p2.acu --runner "$RUNNERS" "${FAST[@]}" --max-error-rate 0.05
cp last.out good.jsonl
fleet_is 2.0.0 "both runners stable on 2.0.0, no canary"
events_check good.jsonl 'ev[-1]["event"]=="result" and ev[-1]["exit"]==0 and ev[-1]["result"]=="promoted"' "last event is the verdict: promoted"
events_check good.jsonl 'not any(e["outcome"]=="fail" for e in ev if e["event"]=="analysis") and [e["outcome"] for e in ev if e["event"]=="analysis"][-1]=="pass"' "no window failed, the last one passed"
events_check good.jsonl '[e["weight"] for e in ev if e["event"]=="step"]==[50,100]' "steps 50% then 100%"
events_check good.jsonl 'all(e["event"] and e["time"].endswith("Z") for e in ev)' "every event line is one JSON object with a time"

# 2. A version failing a third of its requests: exit 4, back on 2.0.0.
expect_exit 4 "faulty 3.0.0 is rolled back (exit 4)" -- \
  "$ACUCTL" -o json rollout p3.acu --runner "$RUNNERS" "${FAST[@]}" --max-error-rate 0.05
cp last.out faulty.jsonl; cp last.err faulty.err
fleet_is 2.0.0 "both runners back on 2.0.0, no canary"
expect_err_contains "rolled back" "the error says rolled back"
expect_err_contains "error_rate" "the error names the check"
expect_err_contains "0.05" "the error names the threshold"
events_check faulty.jsonl 'any(e["event"]=="analysis" and e["outcome"]=="fail" and e["verdict"]["checks"][0]["value"] > 0.25 for e in ev)' "a failing window with error rate ~0.33"
# The rollback follows the first failing window before the next window is analysed.
events_check faulty.jsonl '(lambda i: ev[i+1]["event"]=="rollback")(next(i for i,e in enumerate(ev) if e["event"]=="analysis" and e["outcome"]=="fail"))' "rollback right after the first failing window"
events_check faulty.jsonl 'ev[-1]["result"]=="rolled_back" and ev[-1]["exit"]==4 and "error_rate" in ev[-1]["reason"]' "verdict rolled_back with its reason"

# Text output names the step, weight, check value and threshold.
expect_exit 4 "faulty 3.0.0, text output" -- \
  "$ACUCTL" rollout p3.acu --runner "$RUNNERS" "${FAST[@]}" --max-error-rate 0.05
if grep -q "step 1/2: weight 50%" last.out && grep -qE "error_rate 0\.3[0-9]* > max 0\.05" last.out; then
  ok "text shows step, weight and 'error_rate VALUE > max 0.05'"
else not_ok "text output lacks step or check line"; head -20 last.out | sed 's/^/    /'; fi
fleet_is 2.0.0 "runners back on 2.0.0 after the text run"

# 3. p99 over --max-latency-p99.
expect_exit 4 "slow 4.0.0 breaks --max-latency-p99 20ms (exit 4)" -- \
  "$ACUCTL" rollout p4.acu --runner "$RUNNERS" --interval 1s --steps 50,100 --step-duration 2s --min-requests 10 --load-rps 120 --max-latency-p99 20ms
expect_err_contains "latency_p99" "the error names latency_p99"
fleet_is 2.0.0 "runners back on 2.0.0 after the slow version"

# 4. No traffic: inconclusive, never a pass; past the limit (3) exit 5.
expect_exit 5 "no traffic is inconclusive, exit 5" -- \
  "$ACUCTL" -o json rollout p3.acu --runner "$RUNNERS" --interval 1s --steps 100 --step-duration 1s --min-requests 20
cp last.out quiet.jsonl
events_check quiet.jsonl '[e["outcome"] for e in ev if e["event"]=="analysis"]==["inconclusive"]*4' "four inconclusive windows, no pass"
events_check quiet.jsonl 'ev[-1]["result"]=="not_completed" and "inconclusive" in ev[-1]["reason"]' "verdict not_completed, reason inconclusive"
fleet_is 2.0.0 "runners back on 2.0.0 after the inconclusive rollout"

# 5. A refused canary (wrong model name is fine; a missing file is a usage/failure) changes nothing.
expect_exit 1 "a bundle no runner can resolve fails (exit 1), nothing to roll back" -- \
  "$ACUCTL" rollout nonexistent.acu --runner "$RUNNERS" --interval 1s
fleet_is 2.0.0 "runners unchanged"

# 6. status after all that: table and JSON.
expect_exit 0 "status (JSON)" -- "$ACUCTL" -o json status --runner "$RUNNERS" --sample 500ms
jcheck last.out 'len(j["runners"])==2 and all(r["reachable"] and r["stable"]=="2.0.0" and r["canary"] is None for r in j["runners"])' "status JSON: both reachable, stable 2.0.0"
finish
