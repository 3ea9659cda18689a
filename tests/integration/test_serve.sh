#!/usr/bin/env bash
# acuctl serve: the Open Inference Protocol endpoints, validation, limits,
# error log lines, metrics (checked by promtool) and acuctl predict.
source "$(dirname "$0")/lib.sh"
source "$ACUCTL_SOURCE_DIR/tests/data/serve_helpers.sh"

fixture_project proj 1.0.0
"$ACUCTL" package proj -o fixture.acu >/dev/null 2>&1
start_runner runner --state-dir state --model fixture.acu --allow-unsigned --threads 2
U=$RUNNER_URL

http_expect 200 "live" "$U/v2/health/live"
http_expect 200 "ready once the stable model is loaded" "$U/v2/health/ready"
http_expect 200 "server metadata" "$U/v2"
jcheck "$WORK/body" 'j["name"]=="acuctl" and "version" in j and j["extensions"]==[]' "server metadata names acuctl, version, extensions"
http_expect 200 "model metadata" "$U/v2/models/fixture"
jcheck "$WORK/body" 'j["name"]=="fixture" and j["versions"]==["1.0.0"] and j["platform"]=="native" and j["inputs"]==[{"name":"x","datatype":"FP32","shape":[-1,4]}] and [o["name"] for o in j["outputs"]]==["y","sum"]' "model metadata: versions, platform, inputs, outputs"
http_expect 200 "model ready" "$U/v2/models/fixture/ready"
http_expect 200 "versioned model ready" "$U/v2/models/fixture/versions/1.0.0/ready"
http_expect 404 "unknown model is 404" "$U/v2/models/nope"
jcheck "$WORK/body" '"nope" in j["error"]' "404 names the model"
http_expect 404 "unknown model infer is 404" -X POST -d @proj/example.json "$U/v2/models/nope/infer"
http_expect 404 "unknown version is 404" -X POST -d @proj/example.json "$U/v2/models/fixture/versions/9.9.9/infer"
http_expect 405 "GET on infer is 405" "$U/v2/models/fixture/infer"

http_expect 200 "infer" -X POST -H 'Content-Type: application/json' -d @proj/example.json "$U/v2/models/fixture/infer"
jcheck "$WORK/body" 'j["model_name"]=="fixture" and j["model_version"]=="1.0.0" and j["id"]=="example"' "infer answer: model_name, model_version, echoed id"
jcheck "$WORK/body" 'j["outputs"][0]=={"name":"y","datatype":"FP32","shape":[2,4],"data":[2,4,6,8,1,-2,0,16]}' "output y = 2x with name, datatype, shape, data"
jcheck "$WORK/body" 'j["outputs"][1]=={"name":"sum","datatype":"FP64","shape":[2],"data":[10,7.5]}' "output sum"
if grep -qi '^X-Acu-Version: 1.0.0' "$WORK/headers"; then ok "infer answer carries X-Acu-Version"; else not_ok "no X-Acu-Version header"; fi
http_expect 200 "versioned infer" -X POST -d @proj/example.json "$U/v2/models/fixture/versions/1.0.0/infer"
http_expect 200 "nested data and requested outputs" -X POST \
  -d '{"inputs":[{"data":[[1,2,3,4]],"shape":[1,4],"datatype":"FP32","name":"x"}],"outputs":[{"name":"sum"}]}' "$U/v2/models/fixture/infer"
jcheck "$WORK/body" '[o["name"] for o in j["outputs"]]==["sum"] and j["outputs"][0]["data"]==[10] and "id" not in j' "only the requested output; no id when none was sent"
http_expect 200 "X-Acu-Target: stable" -X POST -H 'X-Acu-Target: stable' -d @proj/example.json "$U/v2/models/fixture/infer"
http_expect 404 "X-Acu-Target: canary without a canary" -X POST -H 'X-Acu-Target: canary' -d @proj/example.json "$U/v2/models/fixture/infer"
http_expect 400 "X-Acu-Target: junk" -X POST -H 'X-Acu-Target: junk' -d @proj/example.json "$U/v2/models/fixture/infer"

# Each malformed request: 400 with an error JSON that names the problem.
bad() {
  local body=$1 text=$2
  http_expect 400 "400 for: $text" -X POST -H 'X-Request-Id: bad-req-'"$RANDOM" --data-binary "$body" "$U/v2/models/fixture/infer"
  NEEDLE=$text jcheck "$WORK/body" "isinstance(j.get('error'), str) and os.environ['NEEDLE'] in j['error']" "error names: $text"
}
bad '{"inputs": [' "malformed JSON"
bad 'not json' "malformed JSON"
bad '[1,2]' "must be a JSON object"
bad '{"inputs":[{"name":"z","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}]}' "unknown input 'z'"
bad '{"inputs":[{"name":"x","datatype":"INT32","shape":[1,4],"data":[1,2,3,4]}]}' "datatype INT32"
bad '{"inputs":[{"name":"x","datatype":"FP32","shape":[1,5],"data":[1,2,3,4,5]}]}' "shape [1,5]"
bad '{"inputs":[{"name":"x","datatype":"FP32","shape":[4],"data":[1,2,3,4]}]}' "shape [4]"
bad '{"inputs":[{"name":"x","datatype":"FP32","shape":[2,4],"data":[1,2,3,4]}]}' "data has 4"
bad '{"inputs":[{"name":"x","datatype":"FP32","shape":[1,4],"data":[1,2,"three",4]}]}' "data holds a string"
bad '{"inputs":[{"name":"x","datatype":"FP32","shape":[1,4],"data":[1,2,null,4]}]}' "data holds null"
bad '{"inputs":[{"name":"x","datatype":"FP32","shape":[1,4],"data":[1,2,true,4]}]}' "is not a valid FP32"
bad '{"inputs":[{"name":"x","datatype":"BYTES","shape":[1],"data":["a"]}]}' "BYTES tensors are not supported"
bad '{"inputs":[{"name":"x","datatype":"FP99","shape":[1],"data":[1]}]}' "unknown datatype 'FP99'"
bad '{"inputs":[]}' "missing input 'x'"
bad '{"id":"1"}' "no 'inputs'"
bad '{"inputs":[{"name":"x","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}],"outputs":[{"name":"w"}]}' "unknown output 'w'"
bad '{"inputs":[{"name":"x","datatype":"FP32","shape":[-1,4],"data":[1,2,3,4]}]}' "non-negative integers"

# Limits: 64 MiB body is 413 with an error JSON; the runner keeps serving.
head -c $((64 << 20)) /dev/zero | tr '\0' ' ' >big.json
http_expect 413 "64 MiB body is 413" -X POST -H 'Content-Type: application/json' --data-binary @big.json "$U/v2/models/fixture/infer"
jcheck "$WORK/body" '"limit" in j["error"]' "413 answer is an error JSON"
big_header=$(head -c 40000 /dev/zero | tr '\0' a)
http_expect 431 "oversized header is 431" -H "X-Big: $big_header" "$U/v2/health/live"
http_expect 200 "still serving after the limits" -X POST -d @proj/example.json "$U/v2/models/fixture/infer"

# A large valid body (over 1 MiB, so curl sends Expect: 100-continue).
$PY -c 'import json; rows=70000; print(json.dumps({"inputs":[{"name":"x","datatype":"FP32","shape":[rows,4],"data":[[r%7,1,2.5,-1] for r in range(rows)]}]}))' >large.json
http_expect 200 "a 2 MiB request (Expect: 100-continue) is answered" -X POST -H 'Content-Type: application/json' --data-binary @large.json "$U/v2/models/fixture/infer"
jcheck "$WORK/body" 'j["outputs"][0]["shape"]==[70000,4] and j["outputs"][1]["data"][:3]==[2.5,3.5,4.5]' "with all 70000 rows"

# Keep-alive: several requests over one connection.
n=$(curl -s -o /dev/null -w '%{num_connects}\n' "$U/v2/health/live" "$U/v2/health/live" "$U/v2/health/live" | awk '{s+=$1} END {print s}')
if [[ "$n" == 1 ]]; then ok "HTTP/1.1 keep-alive reuses the connection"; else not_ok "keep-alive: $n connections for 3 requests"; fi

# Error log: one line per failure, with the request id.
if grep -q '^acuctl serve: request bad-req-[0-9]*: POST /v2/models/fixture/infer -> 400: input' "$WORK/runner.err"; then
  ok "failures are logged on stderr with the request id"; else not_ok "no error log line"; tail -5 "$WORK/runner.err"; fi
lines=$(grep -c -- '-> 400:' "$WORK/runner.err" || true)
if (( lines >= 18 )); then ok "one log line per failed request ($lines)"; else not_ok "only $lines 400 log lines"; fi

# Metrics: promtool accepts them; counters and histograms move with traffic.
curl -fsS "$U/metrics" >m1.txt
if promtool check metrics <m1.txt >promtool.out 2>&1; then ok "promtool check metrics accepts /metrics"; else
  not_ok "promtool rejects /metrics"; sed 's/^/    /' promtool.out | head; fi
count() { grep -F "$1" "$2" | awk '{print $2}' | head -1; }
c200=$(count 'acu_requests_total{model="fixture",version="1.0.0",slot="stable",code="200"}' m1.txt)
h1=$(count 'acu_request_duration_seconds_count{model="fixture",version="1.0.0",slot="stable"}' m1.txt)
for _ in 1 2 3 4 5; do curl -fsS -o /dev/null -d @proj/example.json "$U/v2/models/fixture/infer"; done
curl -fsS "$U/metrics" >m2.txt
c200b=$(count 'acu_requests_total{model="fixture",version="1.0.0",slot="stable",code="200"}' m2.txt)
h2=$(count 'acu_request_duration_seconds_count{model="fixture",version="1.0.0",slot="stable"}' m2.txt)
if [[ $((c200b - c200)) == 5 && $((h2 - h1)) == 5 ]]; then ok "request counter and histogram count moved by 5"; else
  not_ok "counters moved ${c200}->${c200b}, ${h1}->${h2}"; fi
if grep -q 'acu_requests_total{model="fixture",version="1.0.0",slot="stable",code="400"}' m2.txt; then ok "400s are counted by code"; else not_ok "no code=400 series"; fi
for name in acu_request_duration_seconds_bucket acu_canary_weight acu_model_loads_total; do
  if grep -q "^$name{" m2.txt; then ok "metric $name is exposed"; else not_ok "metric $name missing"; fi
done
if grep -q 'le="0.0001"' m2.txt && grep -q 'le="10"' m2.txt; then ok "latency buckets from 0.1 ms to 10 s"; else not_ok "buckets"; fi

# acuctl predict
expect_exit 0 "predict prints the answer" -- "$ACUCTL" predict "$U" --model fixture --input proj/example.json
if grep -q '^y (FP32, shape \[2,4\]):' "$WORK/last.out" && grep -q '^fixture 1.0.0' "$WORK/last.out"; then ok "predict text output"; else
  not_ok "predict text output"; cat "$WORK/last.out"; fi
expect_exit 0 "predict -o json" -- "$ACUCTL" -o json predict "$U" --model fixture --input proj/example.json
jcheck "$WORK/last.out" 'j["outputs"][0]["data"]==[2,4,6,8,1,-2,0,16]' "predict -o json prints the OIP answer"
expect_exit 0 "predict reads the request from stdin and asks a version" -- \
  sh -c "\"$ACUCTL\" -o json predict '$U' --model fixture --model-version 1.0.0 --input - <proj/example.json"
jcheck "$WORK/last.out" 'j["model_version"]=="1.0.0"' "predict --model-version answers from that version"
expect_exit 1 "predict with an unknown version fails" -- "$ACUCTL" predict "$U" --model fixture --model-version 9 --input proj/example.json
expect_err_contains "HTTP 404" "the unknown version is a 404"
echo '{"inputs":[]}' >bad.json
expect_exit 1 "predict with a bad request fails" -- "$ACUCTL" predict "$U" --model fixture --input bad.json
expect_err_contains "HTTP 400: missing input 'x'" "predict names the runner's error"
expect_exit 1 "predict to a closed port fails" -- "$ACUCTL" predict "http://127.0.0.1:1" --model fixture --input proj/example.json

# A model that fails is answered 500 and counted. (fail_rate=0.5: the load's
# warm-up, request 0, passes; request 1, the first below, fails.)
fixture_project faulty 2.0.0 "fail_rate=0.5"
"$ACUCTL" package faulty -o faulty.acu >/dev/null 2>&1
start_runner faulty --state-dir state2 --model faulty.acu --allow-unsigned --threads 1
http_expect 500 "a failing model is 500" -X POST -d @proj/example.json "$RUNNER_URL/v2/models/fixture/infer"
jcheck "$WORK/body" '"fixture failure" in j["error"]' "500 carries the model's message"
if curl -fsS "$RUNNER_URL/metrics" | grep -q 'version="2.0.0",slot="stable",code="500"} 1'; then ok "500 is counted"; else not_ok "500 not counted"; fi

# An ABI mismatch is refused at load.
fixture_project wrongabi 3.0.0 "" "-DFIXTURE_ABI=2"
"$ACUCTL" package wrongabi -o wrongabi.acu >/dev/null 2>&1
expect_exit 3 "a library with ABI version 2 is refused" -- "$ACUCTL" serve --listen 127.0.0.1:0 --state-dir state3 --model wrongabi.acu --allow-unsigned
expect_err_contains "ABI version 2" "the refusal names the ABI version"

finish
