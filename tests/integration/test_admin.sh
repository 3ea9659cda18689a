#!/usr/bin/env bash
# Runner admin API and the fleet commands against real runners: bearer
# tokens (401, actor in the audit log), strict bodies (400), If-Match (412),
# refusals that leave generation and serving unchanged (403 untrusted → exit 3,
# 409 incompatible → exit 3, 422 failing example → exit 1), deploy, promote,
# abort and rollback (idempotent), all-or-nothing deploy across two runners,
# and the metrics that must move.
source "$(dirname "$0")/lib.sh"
source "$ACUCTL_SOURCE_DIR/tests/data/serve_helpers.sh"

"$ACUCTL" keygen -o signer.key >/dev/null 2>&1
"$ACUCTL" keygen -o other.key >/dev/null 2>&1
fixture_project p1 1.0.0
fixture_project p2 2.0.0
fixture_project p3 3.0.0
fixture_project pbad 4.0.0 "fail_rate=1"
fixture_project pwide 5.0.0
sed -i 's/"shape": \[-1, 4\]}\],$/"shape": [-1, 5]}],/' pwide/model.json
grep -q '\[-1, 5\]' pwide/model.json || { echo "could not make the incompatible fixture"; exit 1; }
for p in p1 p2 p3 pbad pwide; do "$ACUCTL" package $p -o $p.acu --key signer.key >/dev/null 2>&1; done
"$ACUCTL" package p2 -o p2-other.acu --key other.key >/dev/null 2>&1
"$ACUCTL" package p2 -o p2-unsigned.acu >/dev/null 2>&1
printf 'alice:alice-token-123\n# comment\nci-bot:ci-token-4567\n' >tokens
chmod 600 tokens
echo alice-token-123 >alice.tok
echo wrong-token-999 >wrong.tok

start_runner r1 --state-dir s1 --model p1.acu --trust signer.key.pub --admin-tokens tokens --threads 2
U=$RUNNER_URL
R1=$RUNNER_URL
AUTH=(-H 'Authorization: Bearer alice-token-123')

# Authorization
http_expect 401 "state without a token" "$U/admin/v1/state"
jcheck "$WORK/body" '"Bearer" in j["error"]' "401 says what is missing"
http_expect 401 "state with a wrong token" -H 'Authorization: Bearer nope-nope-nope' "$U/admin/v1/state"
http_expect 401 "state with a Basic header" -H 'Authorization: Basic YWxpY2U6eA==' "$U/admin/v1/state"
http_expect 401 "deploy without a token" -X POST -d '{"ref":"p2.acu"}' "$U/admin/v1/deploy"
http_expect 401 "upload without a token" -X PUT --data-binary @p2.acu "$U/admin/v1/bundles/sha256:$(sha256sum p2.acu | cut -d' ' -f1)"
http_expect 200 "state with alice's token" "${AUTH[@]}" "$U/admin/v1/state"
jcheck "$WORK/body" 'set(["model","generation","stable","canary","canary_weight","previous","lease"]) <= set(j) and j["stable"]["version"]=="1.0.0" and j["canary"] is None and j["previous"] is None and j["lease"] is None and j["canary_weight"]==0' "state has SPEC's keys"
jcheck "$WORK/body" 'set(j["stable"])=={"version","digest","ref","loaded_at"} and j["stable"]["digest"].startswith("sha256:")' "a slot is version, digest, ref, loaded_at"
GEN=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["generation"])' "$WORK/body")
expect_exit 1 "acuctl deploy with a wrong token fails" -- "$ACUCTL" deploy p2.acu --runner "$U" --token-file wrong.tok
expect_err_contains "401" "the error names the 401"

# Malformed admin requests: 400 naming the field; nothing changes.
http_expect 400 "deploy: not JSON" "${AUTH[@]}" -X POST -d '{' "$U/admin/v1/deploy"
http_expect 400 "deploy: unknown key" "${AUTH[@]}" -X POST -d '{"ref":"p2.acu","reff":1}' "$U/admin/v1/deploy"
jcheck "$WORK/body" '"reff" in j["error"]' "400 names the unknown key"
head -c 1000000 /dev/zero | tr '\0' ' ' >big-body.json
http_expect 413 "deploy: a 1 MB body is over the admin limit" "${AUTH[@]}" -X POST --data-binary @big-body.json "$U/admin/v1/deploy"
n_cached=$(ls s1/bundles/sha256 | wc -l)
http_expect 400 "deploy of a host file that is not a .acu" "${AUTH[@]}" -X POST -d '{"ref":"/etc/passwd"}' "$U/admin/v1/deploy"
jcheck "$WORK/body" '"must be a .acu file" in j["error"]' "…the error says a local bundle must be a .acu file"
[[ $(ls s1/bundles/sha256 | wc -l) -eq $n_cached ]] && ok "…and nothing was copied into the cache" || not_ok "the host file was copied into the cache"
http_expect 400 "canary: weight 101" "${AUTH[@]}" -X POST -d '{"ref":"p2.acu","weight":101}' "$U/admin/v1/canary"
jcheck "$WORK/body" '"weight" in j["error"]' "400 names weight"
http_expect 400 "canary: weight as string" "${AUTH[@]}" -X POST -d '{"ref":"p2.acu","weight":"5"}' "$U/admin/v1/canary"
http_expect 400 "upload: not a digest" "${AUTH[@]}" -X PUT --data-binary @p2.acu "$U/admin/v1/bundles/sha256:xyz"
http_expect 400 "upload: digest mismatch" "${AUTH[@]}" -X PUT --data-binary @p2.acu "$U/admin/v1/bundles/sha256:$(printf '0%.0s' {1..64})"
http_expect 405 "GET on deploy" "${AUTH[@]}" "$U/admin/v1/deploy"
http_expect 404 "unknown admin endpoint" "${AUTH[@]}" "$U/admin/v1/nope"
http_expect 409 "promote without a canary" "${AUTH[@]}" -X POST "$U/admin/v1/promote"
http_expect 422 "deploy of a missing file" "${AUTH[@]}" -X POST -d '{"ref":"/nonexistent.acu"}' "$U/admin/v1/deploy"
http_expect 422 "deploy of a digest not in the cache" "${AUTH[@]}" -X POST -d "{\"ref\":\"sha256:$(printf 'a%.0s' {1..64})\"}" "$U/admin/v1/deploy"

state_is() {  # state_is EXPR DESCRIPTION
  curl -sS "${AUTH[@]}" "$U/admin/v1/state" >"$WORK/state.json"
  jcheck "$WORK/state.json" "$1" "$2"
}
infer_version() { curl -sS -D - -o /dev/null -X POST -d @p1/example.json "$U/v2/models/fixture/infer" | tr -d '\r' | sed -n 's/^X-Acu-Version: //Ip'; }

# Refusals: exit codes, statuses, generation and serving unchanged.
expect_exit 3 "deploy of an unsigned bundle: exit 3" -- "$ACUCTL" deploy p2-unsigned.acu --runner "$U" --token-file alice.tok
expect_err_contains "403" "untrusted is 403"
expect_exit 3 "deploy of a bundle signed by another key: exit 3" -- "$ACUCTL" deploy p2-other.acu --runner "$U" --token-file alice.tok
expect_exit 3 "deploy of an input-incompatible version: exit 3" -- "$ACUCTL" deploy pwide.acu --runner "$U" --token-file alice.tok
expect_err_contains "409" "incompatible is 409"
expect_err_contains "shape" "409 says which input differs"
expect_exit 1 "deploy of a version whose example fails: exit 1" -- "$ACUCTL" deploy pbad.acu --runner "$U" --token-file alice.tok
expect_err_contains "422" "failing example is 422"
expect_err_contains "example" "422 names the example"
state_is "j['generation']==$GEN and j['stable']['version']=='1.0.0' and j['previous'] is None" "after refusals: generation and stable unchanged"
[[ "$(infer_version)" == "1.0.0" ]] && ok "after refusals 1.0.0 still serves" || not_ok "serving changed after refusals"
http_expect 409 "canary of an incompatible version" "${AUTH[@]}" -X POST -d '{"ref":"pwide.acu","weight":10}' "$U/admin/v1/canary"
http_expect 422 "…with force the input check is skipped, but its example must still answer" "${AUTH[@]}" -X POST -d '{"ref":"pwide.acu","weight":10,"force":true}' "$U/admin/v1/canary"
http_expect 422 "canary whose example fails" "${AUTH[@]}" -X POST -d '{"ref":"pbad.acu","weight":10,"force":true}' "$U/admin/v1/canary"
state_is "j['generation']==$GEN and j['canary'] is None" "after refused canaries: generation unchanged, no canary"

# Deploy, If-Match, canary, promote, rollback, abort.
expect_exit 0 "acuctl deploy p2.acu" -- "$ACUCTL" deploy p2.acu --runner "$U" --token-file alice.tok
state_is "j['generation']==$GEN+1 and j['stable']['version']=='2.0.0' and j['previous']['version']=='1.0.0' and j['last_change']['action']=='deploy' and j['last_change']['actor']=='alice'" "deploy: 2.0.0 stable, 1.0.0 previous, actor alice"
[[ "$(infer_version)" == "2.0.0" ]] && ok "2.0.0 serves after deploy" || not_ok "2.0.0 does not serve"
http_expect 412 "stale If-Match" "${AUTH[@]}" -H "If-Match: \"$GEN\"" -X POST -d '{"ref":"p3.acu","weight":10}' "$U/admin/v1/canary"
state_is "j['generation']==$GEN+1 and j['canary'] is None" "412 changes nothing"
http_expect 200 "current If-Match" -H 'Authorization: Bearer ci-token-4567' -H "If-Match: \"$((GEN + 1))\"" -X POST -d '{"ref":"p3.acu","weight":25}' "$U/admin/v1/canary"
jcheck "$WORK/body" 'j["canary"]["version"]=="3.0.0" and j["canary_weight"]==25 and j["generation"]=='"$GEN"'+2 and j["last_change"]["actor"]=="ci-bot"' "canary answers 200 with the new state"
http_expect 200 "weight change" "${AUTH[@]}" -X PUT -d '{"weight":40}' "$U/admin/v1/canary/weight"
jcheck "$WORK/body" 'j["canary_weight"]==40' "weight is 40"
curl -sS "$U/metrics" >metrics.txt
grep -q 'acu_canary_weight{model="fixture"} 40' metrics.txt && ok "acu_canary_weight moved" || not_ok "acu_canary_weight: $(grep acu_canary_weight metrics.txt)"
expect_exit 0 "acuctl promote" -- "$ACUCTL" promote --runner "$U" --token-file alice.tok
state_is "j['stable']['version']=='3.0.0' and j['previous']['version']=='2.0.0' and j['canary'] is None and j['canary_weight']==0" "promote: canary became stable"
expect_exit 0 "acuctl abort without a canary does nothing" -- "$ACUCTL" abort --runner "$U" --token-file alice.tok
state_is "j['stable']['version']=='3.0.0'" "abort left the stable alone"
expect_exit 1 "acuctl promote without a canary: a conflict (409), not a verification failure" -- "$ACUCTL" promote --runner "$U" --token-file alice.tok
expect_err_contains "no canary to promote" "…the error says there is no canary"
expect_exit 0 "acuctl rollback" -- "$ACUCTL" rollback --runner "$U" --token-file alice.tok
state_is "j['stable']['version']=='2.0.0' and j['previous'] is None and j['last_change']['action']=='rollback'" "rollback: previous is stable again and cleared"
G2=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["generation"])' "$WORK/state.json")
expect_exit 0 "acuctl rollback again: nothing to undo, exit 0" -- "$ACUCTL" rollback --runner "$U" --token-file alice.tok
state_is "j['stable']['version']=='2.0.0' and j['generation']==$G2" "second rollback changed nothing"
http_expect 200 "rollback from a version that is not serving: unchanged" "${AUTH[@]}" -X POST -d '{"from":"9.9.9"}' "$U/admin/v1/rollback"
jcheck "$WORK/body" 'j["generation"]=='"$G2" "…generation unchanged"
http_expect 200 "canary again" "${AUTH[@]}" -X POST -d '{"ref":"p3.acu","weight":10}' "$U/admin/v1/canary"
# "from" only guards (SPEC 6): naming the stable while a canary runs still drops the canary first.
http_expect 200 "rollback from the stable version while a canary runs" "${AUTH[@]}" -X POST -d '{"from":"2.0.0"}' "$U/admin/v1/rollback"
jcheck "$WORK/body" 'j["canary"] is None and j["stable"]["version"]=="2.0.0"' "…drops the canary and keeps the stable"
http_expect 200 "canary once more" "${AUTH[@]}" -X POST -d '{"ref":"p3.acu","weight":10}' "$U/admin/v1/canary"
expect_exit 0 "acuctl abort drops the canary" -- "$ACUCTL" abort --runner "$U" --token-file alice.tok
state_is "j['canary'] is None and j['stable']['version']=='2.0.0'" "abort: canary gone, stable kept"

curl -sS "$U/metrics" >metrics.txt
for series in 'acu_model_swaps_total{model="fixture",kind="deploy"}' 'acu_model_swaps_total{model="fixture",kind="promote"}' \
  'acu_model_swaps_total{model="fixture",kind="rollback"}' 'acu_model_loads_total{model="fixture",result="success"}' \
  'acu_model_loads_total{model="fixture",result="failure"}'; do
  grep -qF "$series" metrics.txt && ok "metric $series" || not_ok "metric $series missing"
done

# The audit log: every change and every refusal, under the token's name.
http_expect 200 "audit log" "${AUTH[@]}" "$U/admin/v1/audit"
jcheck "$WORK/body" 'all(set(["time","actor","action","from","to","result"]) <= set(e) for e in j)' "audit entries have time, actor, action, from, to, result"
jcheck "$WORK/body" 'any(e["actor"]=="alice" and e["action"]=="deploy" and e["result"]=="ok" and e["to"]=="2.0.0" for e in j)' "alice's deploy is in the audit log"
jcheck "$WORK/body" 'any(e["actor"]=="ci-bot" and e["action"]=="canary" for e in j)' "ci-bot's canary is in the audit log"
jcheck "$WORK/body" 'sum(1 for e in j if e["result"]=="refused" and e["action"]=="deploy")>=4' "refused deploys are in the audit log"
jcheck "$WORK/body" 'any(e["status"]==412 for e in j) and any(e["status"]==403 for e in j) and any(e["status"]==409 for e in j) and any(e["status"]==422 for e in j)' "refusals carry their status"
[[ $(wc -l <s1/audit.jsonl) -ge 10 ]] && ok "audit.jsonl in the state directory" || not_ok "audit.jsonl too short"

# All or nothing across two runners: r2 does not trust the signer, so it
# refuses; r1 (which had switched) is switched back.
start_runner r2 --state-dir s2 --model p2-other.acu --trust other.key.pub --admin-tokens tokens --threads 1
R2=$RUNNER_URL
curl -sS "${AUTH[@]}" "$R1/admin/v1/state" >before1.json
expect_exit 3 "deploy to two runners, one refuses: exit 3" -- "$ACUCTL" deploy p3.acu --runner "$R1,$R2" --token-file alice.tok
curl -sS "${AUTH[@]}" "$R1/admin/v1/state" >after1.json
$PY -c 'import json,sys; a=json.load(open("before1.json")); b=json.load(open("after1.json")); sys.exit(0 if a["stable"]["version"]==b["stable"]["version"]=="2.0.0" else 1)' \
  && ok "the runner that had switched is switched back" || not_ok "r1 not switched back: $(cat after1.json)"
ACUCTL_TOKEN=alice-token-123 expect_exit 0 "deploy p2-other to r2 alone (ACUCTL_TOKEN)" -- env ACUCTL_TOKEN=alice-token-123 "$ACUCTL" deploy p2-other.acu --runner "$R2"
expect_exit 0 "rollback on two runners at once" -- "$ACUCTL" rollback --runner "$R1" --runner "$R2" --token-file alice.tok -o json
jcheck "$WORK/last.out" 'j["action"]=="rollback" and j["ok"] and len(j["runners"])==2' "rollback -o json reports both runners"

# Without --admin-tokens the admin API is open to loopback peers (actor "loopback").
start_runner r3 --state-dir s3 --model p1.acu --trust signer.key.pub --threads 1
http_expect 200 "loopback without tokens file" "$RUNNER_URL/admin/v1/state"
expect_exit 0 "deploy over loopback" -- "$ACUCTL" deploy p2.acu --runner "$RUNNER_URL"
jcheck s3/state.json 'j["last_change"]["actor"]=="loopback"' "actor is loopback"
finish
