#!/usr/bin/env bash
# Canary routing and leases on a real runner: weight 30 gives the canary
# 30% ± 2% of 10,000 requests; one X-Acu-Route-Key always gets the same
# version; X-Acu-Target forces a slot; a canary whose lease expires is gone
# within 1 s of the expiry and the audit log says so (actor lease-expired);
# a weight change renews the lease.
source "$(dirname "$0")/lib.sh"
source "$ACUCTL_SOURCE_DIR/tests/data/serve_helpers.sh"

fixture_bundles 1.0.0 2.0.0
start_runner r --state-dir s --model p1.acu --allow-unsigned --threads 2
U=$RUNNER_URL

http_expect 200 "canary at weight 30" -X POST -d "{\"ref\":\"$WORK/p2.acu\",\"weight\":30}" "$U/admin/v1/canary"
jcheck "$WORK/body" 'j["canary"]["version"]=="2.0.0" and j["canary_weight"]==30 and j["lease"] is None' "canary 2.0.0 at 30, no lease"

# 10,000 requests over keep-alive connections; count X-Acu-Version.
cat >count.py <<'PY'
import http.client, json, sys, collections
host, port = sys.argv[1].split("//")[1].split(":")
body = open(sys.argv[2], "rb").read()
n = int(sys.argv[3]); key = sys.argv[4] if len(sys.argv) > 4 else None
seen = collections.Counter()
conn = http.client.HTTPConnection(host, int(port), timeout=30)
for i in range(n):
    h = {"Content-Type": "application/json"}
    if key == "each": h["X-Acu-Route-Key"] = "user-%d" % i
    elif key: h["X-Acu-Route-Key"] = key
    conn.request("POST", "/v2/models/fixture/infer", body, h)
    r = conn.getresponse(); r.read()
    seen["status-%d" % r.status] += 1
    seen[r.getheader("X-Acu-Version")] += 1
print(json.dumps(seen))
PY
$PY count.py "$U" p1/example.json 10000 >split.json
jcheck split.json 'j.get("status-200")==10000' "10,000 requests answered 200"
jcheck split.json '2800 <= j.get("2.0.0",0) <= 3200' "canary served 30% ± 2% ($(cat split.json))"
$PY count.py "$U" p1/example.json 200 user-42 >sticky.json
jcheck sticky.json 'len([k for k in j if not k.startswith("status")])==1' "one route key always gets the same version ($(cat sticky.json))"
$PY count.py "$U" p1/example.json 2000 each >keys.json
jcheck keys.json '450 <= j.get("2.0.0",0) <= 750' "distinct route keys spread by the weight ($(cat keys.json))"
for v in 1.0.0 2.0.0; do
  want=$([[ $v == 2.0.0 ]] && echo canary || echo stable)
  got=$(curl -sS -D - -o /dev/null -X POST -H "X-Acu-Target: $want" -d @p1/example.json "$U/v2/models/fixture/infer" | tr -d '\r' | sed -n 's/^X-Acu-Version: //Ip')
  [[ "$got" == "$v" ]] && ok "X-Acu-Target: $want gets $v" || not_ok "X-Acu-Target: $want got '$got'"
done
http_expect 200 "versioned infer reaches the canary" -X POST -d @p1/example.json "$U/v2/models/fixture/versions/2.0.0/infer"
http_expect 200 "weight 0" -X PUT -d '{"weight":0}' "$U/admin/v1/canary/weight"
$PY count.py "$U" p1/example.json 300 >zero.json
jcheck zero.json 'j.get("2.0.0",0)==0' "weight 0: no request reaches the canary"
http_expect 200 "weight 100" -X PUT -d '{"weight":100}' "$U/admin/v1/canary/weight"
$PY count.py "$U" p1/example.json 300 >all.json
jcheck all.json 'j.get("2.0.0",0)==300' "weight 100: every request reaches the canary"

# Leases.
http_expect 200 "canary with a 3 s lease" -X POST -d "{\"ref\":\"$WORK/p2.acu\",\"weight\":50,\"lease_seconds\":3,\"owner\":\"rollout-7\"}" "$U/admin/v1/canary"
jcheck "$WORK/body" 'j["lease"]["owner"]=="rollout-7" and j["lease"]["expires_at"].endswith("Z")' "lease has owner and expires_at"
sleep 1.5
http_expect 200 "weight change renews the lease" -X PUT -d '{"weight":20}' "$U/admin/v1/canary/weight"
cp "$WORK/body" renewed.json
$PY - "$U" renewed.json <<'PY' >lease.out
import json, sys, time, urllib.request, datetime
u = sys.argv[1]
exp = datetime.datetime.strptime(json.load(open(sys.argv[2]))["lease"]["expires_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()
gone = None; present_before = False
while time.time() < exp + 10:
    s = json.load(urllib.request.urlopen(u + "/admin/v1/state"))
    now = time.time()
    if s["canary"] is None:
        gone = now; break
    if now < exp - 0.2: present_before = True
    time.sleep(0.05)
print(json.dumps({"expires": exp, "gone": gone, "present_before": present_before}))
PY
jcheck lease.out 'j["present_before"]' "the canary serves until its renewed lease runs out"
jcheck lease.out 'j["gone"] is not None and j["gone"] >= j["expires"] - 0.05 and j["gone"] - j["expires"] <= 2.0' "the canary is gone right after expiry ($(cat lease.out))"
http_expect 200 "audit log" "$U/admin/v1/audit"
jcheck "$WORK/body" '[e for e in j if e["actor"]=="lease-expired" and e["action"]=="rollback" and e["result"]=="ok" and e["from"]=="2.0.0"]' "audit: rollback by lease-expired"
EXP=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["lease"]["expires_at"])' renewed.json)
EXP=$EXP jcheck "$WORK/body" '[e for e in j if e["actor"]=="lease-expired" and e["time"] <= __import__("datetime").datetime.strftime(__import__("datetime").datetime.strptime(os.environ["EXP"], "%Y-%m-%dT%H:%M:%SZ") + __import__("datetime").timedelta(seconds=1), "%Y-%m-%dT%H:%M:%SZ")]' "audit time of the expiry is within 1 s of expires_at"
http_expect 200 "state after expiry" "$U/admin/v1/state"
jcheck "$WORK/body" 'j["canary"] is None and j["lease"] is None and j["canary_weight"]==0 and j["last_change"]=={"action":"rollback","actor":"lease-expired","generation":j["generation"],"time":j["last_change"]["time"]}' "state: no canary, last change rollback by lease-expired"
expect_exit 0 "acuctl rollback after a lease expiry undoes nothing more" -- "$ACUCTL" rollback --runner "$U"
http_expect 200 "state" "$U/admin/v1/state"
jcheck "$WORK/body" 'j["stable"]["version"]=="1.0.0"' "stable untouched"
curl -sS "$U/metrics" | grep -q 'acu_canary_weight{model="fixture"} 0' && ok "acu_canary_weight back to 0" || not_ok "acu_canary_weight not 0"
finish
