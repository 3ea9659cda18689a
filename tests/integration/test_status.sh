#!/usr/bin/env bash
# acuctl status on real runners: table and JSON with reachable, stable,
# canary, weight, lease, requests/s, error rate and p99 (from two /metrics
# reads); an unreachable runner is listed as such and the exit code is 1.
source "$(dirname "$0")/lib.sh"
source "$ACUCTL_SOURCE_DIR/tests/data/serve_helpers.sh"
source "$ACUCTL_SOURCE_DIR/tests/integration/rollout_helpers.sh"

make_versions
start_fleet 2
curl -sS -o /dev/null -X POST -d "{\"ref\":\"$WORK/p3.acu\",\"weight\":50,\"lease_seconds\":60,\"owner\":\"status-test\"}" "${URLS[0]}/admin/v1/canary"
# Traffic during the status sample: ~100 requests/s to runner 0 for 3 s.
cat >load.py <<'PY'
import http.client, sys, time
host, port = sys.argv[1].split("//")[1].split(":")
body = open(sys.argv[2], "rb").read()
conn = http.client.HTTPConnection(host, int(port), timeout=10)
end = time.time() + float(sys.argv[3])
while time.time() < end:
    conn.request("POST", "/v2/models/fixture/infer", body, {"Content-Type": "application/json"})
    conn.getresponse().read()
    time.sleep(0.01)
PY
background $PY load.py "${URLS[0]}" p1/example.json 4
sleep 0.5
expect_exit 0 "status -o json" -- "$ACUCTL" -o json status --runner "$RUNNERS" --sample 1s
cp last.out status.json
jcheck status.json 'j["runners"][0]["reachable"] and j["runners"][0]["stable"]=="1.0.0" and j["runners"][0]["canary"]=="3.0.0" and j["runners"][0]["weight"]==50' "runner 0: stable 1.0.0, canary 3.0.0 at 50%"
jcheck status.json 'j["runners"][0]["lease"]["owner"]=="status-test" and j["runners"][0]["lease"]["expires_at"].endswith("Z")' "runner 0: lease owner and expiry"
jcheck status.json 'j["runners"][0]["requests_per_second"] > 10' "runner 0: requests/s measured"
jcheck status.json '0.05 < j["runners"][0]["error_rate"] < 0.3' "runner 0: error rate from the faulty canary's share"
jcheck status.json 'j["runners"][0]["latency_p99"] is not None and j["runners"][0]["latency_p99"] > 0' "runner 0: p99"
jcheck status.json 'j["runners"][1]["canary"] is None and j["runners"][1]["requests_per_second"]==0 and j["runners"][1]["error_rate"] is None' "runner 1: no canary, idle: 0 req/s and no error rate"

expect_exit 0 "status table" -- "$ACUCTL" status --runner "$RUNNERS" --sample 200ms
head -1 last.out | grep -q "RUNNER.*REACHABLE.*STABLE.*CANARY.*WEIGHT.*LEASE.*REQ/S.*ERRORS.*P99" && ok "table header" || not_ok "table header: $(head -1 last.out)"
grep -F "${URLS[0]}" last.out | grep -q "3.0.0.*50%.*status-test" && ok "table row for runner 0" || not_ok "row: $(cat last.out)"

kill -9 "${PIDS[1]}"; wait "${PIDS[1]}" 2>/dev/null || true
expect_exit 1 "status with an unreachable runner exits 1" -- "$ACUCTL" -o json status --runner "$RUNNERS" --sample 0
jcheck last.out 'j["runners"][0]["reachable"] and not j["runners"][1]["reachable"] and j["runners"][1]["error"]' "JSON marks runner 1 unreachable with the error"
expect_exit 1 "status table with an unreachable runner" -- "$ACUCTL" status --runner "$RUNNERS" --sample 0
grep -F "${URLS[1]}" last.out | grep -q " no " && ok "table row says not reachable" || not_ok "row: $(cat last.out)"
expect_err_contains "${URLS[1]}" "stderr names the unreachable runner"
finish
