#!/usr/bin/env bash
# Persisted runner state: a restart restores stable, canary, weight, lease
# and generation (and --model does not override a saved state); kill -9 at
# random moments during deploy/canary/weight/promote/rollback calls, in a
# bounded loop, always comes back to an acknowledged state — the last one
# acknowledged, or the change in flight when the kill came — never a half
# state and never an older one.
source "$(dirname "$0")/lib.sh"
source "$ACUCTL_SOURCE_DIR/tests/data/serve_helpers.sh"

fixture_project p1 1.0.0
fixture_project p2 2.0.0
fixture_project p3 3.0.0
for p in p1 p2 p3; do "$ACUCTL" package $p -o $p.acu >/dev/null 2>&1; done
PORT=$(free_port)
U="http://127.0.0.1:$PORT"
run_runner() {  # run_runner LOG [ARGS...]
  local log=$1; shift
  "$ACUCTL" serve --listen "127.0.0.1:$PORT" --state-dir s --allow-unsigned --threads 2 "$@" 2>>"$WORK/$log" &
  RUNNER_PID=$!
  _pids+=("$RUNNER_PID")
  wait_http "$U/v2/health/live" 30
}
state() { curl -sS "$U/admin/v1/state"; }

run_runner first.err --model p1.acu
"$ACUCTL" deploy p2.acu --runner "$U" >/dev/null
curl -sS -o /dev/null -X POST -d "{\"ref\":\"$WORK/p3.acu\",\"weight\":25,\"lease_seconds\":600,\"owner\":\"ops\"}" "$U/admin/v1/canary"
state >before.json
kill -TERM "$RUNNER_PID"; wait "$RUNNER_PID" || true
jcheck s/state.json 'j["stable"]["version"]=="2.0.0" and j["canary"]["version"]=="3.0.0"' "state.json in the state directory"
run_runner second.err --model p1.acu
state >after.json
$PY -c 'import json,sys; a=json.load(open("before.json")); b=json.load(open("after.json")); sys.exit(0 if a==b else 1)' \
  && ok "restart restores the same state (stable, canary, weight, lease, previous, generation); --model ignored" \
  || not_ok "restored state differs: $(cat before.json) vs $(cat after.json)"
grep -q "restored generation" second.err && ok "the runner says it restored the state" || not_ok "no restore note"
got=$(curl -sS -D - -o /dev/null -X POST -H 'X-Acu-Target: canary' -d @p1/example.json "$U/v2/models/fixture/infer" | tr -d '\r' | sed -n 's/^X-Acu-Version: //Ip')
[[ "$got" == "3.0.0" ]] && ok "the restored canary serves" || not_ok "canary after restart: '$got'"
http_expect 200 "rollback after restart loads previous from the cache" -X POST -d '{}' "$U/admin/v1/rollback"
http_expect 200 "second rollback restores previous" -X POST -d '{}' "$U/admin/v1/rollback"
jcheck "$WORK/body" 'j["stable"]["version"]=="1.0.0" and j["previous"] is None and j["canary"] is None' "previous 1.0.0 is stable after a restart"
kill -TERM "$RUNNER_PID"; wait "$RUNNER_PID" || true

# A damaged state file stops the start with a clear error, rather than
# serving something else.
cp s/state.json state.good
echo '{"model": 1}' >s/state.json
expect_exit 1 "a damaged state.json refuses to start" -- "$ACUCTL" serve --listen "127.0.0.1:$PORT" --state-dir s --allow-unsigned
expect_err_contains "state.json" "the error names state.json"
cp state.good s/state.json

# The kill -9 loop.
cat >driver.py <<'PY'
# Issues admin changes in a cycle; logs each acknowledged state (one line,
# flushed) to acks.jsonl. Stops at the first transport error (the kill).
import json, sys, urllib.request, urllib.error, os
u, work = sys.argv[1], sys.argv[2]
calls = [("POST", "/admin/v1/canary", {"ref": work + "/p3.acu", "weight": 10, "lease_seconds": 600}),
         ("PUT", "/admin/v1/canary/weight", {"weight": 40}),
         ("POST", "/admin/v1/promote", {}),
         ("POST", "/admin/v1/deploy", {"ref": work + "/p2.acu"}),
         ("POST", "/admin/v1/canary", {"ref": work + "/p1.acu", "weight": 30}),
         ("POST", "/admin/v1/rollback", {}),
         ("POST", "/admin/v1/deploy", {"ref": work + "/p1.acu"}),
         ("POST", "/admin/v1/rollback", {})]
out = open(work + "/acks.jsonl", "a")
i = int(sys.argv[3])
while True:
    m, p, b = calls[i % len(calls)]; i += 1
    req = urllib.request.Request(u + p, data=json.dumps(b).encode(), method=m, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            out.write(r.read().decode().strip() + "\n"); out.flush(); os.fsync(out.fileno())
    except urllib.error.HTTPError as e:
        e.read()  # refused (409: nothing to promote, ...): not a change
    except Exception:
        break
PY
: >acks.jsonl
run_runner loop.err
{ state; echo; } >>acks.jsonl
bad=0
for round in 1 2 3 4 5 6 7 8; do
  $PY driver.py "$U" "$WORK" "$round" &
  DRIVER=$!
  sleep "0.$((RANDOM % 9 + 1))$((RANDOM % 10))"
  kill -9 "$RUNNER_PID"; wait "$RUNNER_PID" 2>/dev/null || true
  wait "$DRIVER" || true
  run_runner loop.err
  state >restored.json
  verdict=$($PY - acks.jsonl restored.json <<'PY'
import json, sys
acks = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
last = acks[-1]; r = json.load(open(sys.argv[2]))
if r["generation"] == last["generation"]:
    print("same" if r == last else "DIFFERENT from the acknowledged state")
elif r["generation"] == last["generation"] + 1:
    print("in-flight change")
else:
    print("generation %d, last acknowledged %d" % (r["generation"], last["generation"]))
PY
)
  case "$verdict" in
    same|"in-flight change") ;;
    *) bad=$((bad + 1)); echo "    round $round: $verdict"; cat restored.json ;;
  esac
  echo "    round $round: $(wc -l <acks.jsonl) acknowledged so far, restored: $verdict"
  { state; echo; } >>acks.jsonl  # the restored state is the base of the next round
  v=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["stable"]["version"])' restored.json)
  got=$(curl -sS -D - -o /dev/null -X POST -H 'X-Acu-Target: stable' -d @p1/example.json "$U/v2/models/fixture/infer" | tr -d '\r' | sed -n 's/^X-Acu-Version: //Ip')
  [[ "$got" == "$v" ]] || { bad=$((bad + 1)); echo "    round $round: serving '$got', state says $v"; }
done
[[ $bad -eq 0 ]] && ok "kill -9 x8 during changes: always an acknowledged state, serving what the state says" || not_ok "$bad bad restarts"
[[ $(wc -l <acks.jsonl) -gt 16 ]] && ok "the loop made changes ($(wc -l <acks.jsonl) acknowledged states)" || not_ok "too few changes acknowledged"
$PY -c '
import json,sys
n=0
for l in open("s/audit.jsonl"):
    try: json.loads(l); n+=1
    except ValueError: pass
sys.exit(0 if n>10 else 1)' && ok "audit.jsonl readable after the kills" || not_ok "audit.jsonl unreadable"
finish
