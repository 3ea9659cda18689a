#!/usr/bin/env bash
# Thousands of mutated infer requests: every answer is 200, 400 or 413 with
# an error JSON, and the runner stays up and keeps answering correctly.
source "$(dirname "$0")/lib.sh"
source "$ACUCTL_SOURCE_DIR/tests/data/serve_helpers.sh"

fixture_project proj 1.0.0
"$ACUCTL" package proj -o fixture.acu >/dev/null 2>&1
start_runner fuzz --state-dir state --model fixture.acu --allow-unsigned --threads 2 --max-body 64KiB
port=${RUNNER_URL##*:}

if $PY - "$port" <<'PY'
import http.client, json, random, sys
port = int(sys.argv[1])
rng = random.Random(1234)
base = json.dumps({"id": "f", "inputs": [{"name": "x", "datatype": "FP32", "shape": [2, 4],
                                          "data": [1, 2, 3, 4, 0.5, -1, 0, 8]}]})
tokens = ['{', '}', '[', ']', ',', ':', '"', '\\', 'null', 'true', '-1', '1e999', '0', '"x"', '"FP64"',
          '"BYTES"', '[[[[[[', '\x00', '\xff', '"data"', '"shape"', '18446744073709551616', '-0', '1.5e-400']
def mutate(s):
    s = list(s)
    for _ in range(rng.randint(1, 6)):
        op = rng.random()
        i = rng.randrange(len(s) + 1)
        if op < 0.3 and s: del s[min(i, len(s) - 1)]
        elif op < 0.6: s.insert(i, rng.choice(tokens))
        elif op < 0.8 and s: s[min(i, len(s) - 1)] = chr(rng.randrange(256))
        else: s = s[:i]
    return "".join(s)
def structured():
    d = json.loads(base)
    t = d["inputs"][0]
    k = rng.choice(["name", "datatype", "shape", "data", "inputs", "outputs", "id", "deep", "huge"])
    if k == "name": t["name"] = rng.choice(["", "y", "x" * 300, 5, None])
    elif k == "datatype": t["datatype"] = rng.choice(["INT8", "UINT64", "FP16", "BOOL", "BYTES", "fp32", 3])
    elif k == "shape": t["shape"] = rng.choice([[], [8], [2, 4, 1], [-2, 4], [2**62, 4], "2,4", [2.5, 4], [0, 4]])
    elif k == "data": t["data"] = rng.choice([[], [1] * 7, [[1, 2], [3]], ["a"] * 8, [None] * 8, {"a": 1}, 3, [[[[1]]]] * 8])
    elif k == "inputs": d["inputs"] = rng.choice([[], {}, "x", [t, t], [1]])
    elif k == "outputs": d["outputs"] = rng.choice([[{"name": "zz"}], [{}], "y", [{"name": "y"}, {"name": "y"}]])
    elif k == "id": d["id"] = rng.choice([1, None, [], "\u00e9\n\""])
    elif k == "deep": return "[" * 5000 + "]" * 5000
    else: return base[:-3] + ("1," * 40000) + "1]}]}"
    return json.dumps(d)
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
counts = {}
bad = 0
for i in range(4000):
    body = mutate(base) if i % 2 else structured()
    data = body.encode("utf-8", "surrogateescape") if isinstance(body, str) else body
    try:
        conn.request("POST", "/v2/models/fixture/infer", body=data, headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        payload = r.read()
    except (ConnectionError, http.client.HTTPException) as e:
        conn.close()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        counts["reconnect"] = counts.get("reconnect", 0) + 1
        continue
    counts[r.status] = counts.get(r.status, 0) + 1
    if r.status not in (200, 400, 413):
        bad += 1; print("unexpected status", r.status, body[:200], payload[:200])
    elif r.status != 200:
        j = json.loads(payload)
        if not isinstance(j.get("error"), str) or not j["error"]:
            bad += 1; print("no error JSON", payload[:200])
    if r.getheader("Connection", "").lower() == "close":
        conn.close(); conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
print("answers by status:", counts)
sys.exit(1 if bad or counts.get("reconnect", 0) > 0 or counts.get(400, 0) < 1000 else 0)
PY
then ok "4000 mutated requests: each answered 200/400/413 with an error JSON"; else not_ok "mutated requests got bad answers"; fi
if kill -0 "$RUNNER_PID" 2>/dev/null; then ok "the runner is still up"; else not_ok "the runner died"; fi
http_expect 200 "and still answers a valid request" -X POST -d @proj/example.json "$RUNNER_URL/v2/models/fixture/infer"
jcheck "$WORK/body" 'j["outputs"][0]["data"]==[2,4,6,8,1,-2,0,16]' "with the right answer"
finish
