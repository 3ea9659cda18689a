#!/usr/bin/env bash
# The xgboost runtime's answers equal XGBoost's own Python predictions
# (Debian's python3-xgboost) for the template model, within 1e-5.
source "$(dirname "$0")/lib.sh"
source "$ACUCTL_SOURCE_DIR/tests/data/serve_helpers.sh"
$PY -c 'import xgboost' 2>/dev/null || { echo "skip: python3-xgboost missing"; exit 77; }

"$ACUCTL" init iris --template xgboost >/dev/null 2>&1
"$ACUCTL" package iris -o iris.acu >/dev/null 2>&1
start_runner iris --state-dir state --model iris.acu --allow-unsigned --threads 2

# 200 rows around and beyond the training clusters, plus the edge values.
$PY - <<'PY'
import json, numpy as np
rng = np.random.default_rng(11)
X = rng.uniform([3.5, 1.5, 0.5, 0.0], [8.5, 4.5, 7.5, 3.0], size=(200, 4)).astype(np.float32)
X[0] = [0, 0, 0, 0]; X[1] = [100, -100, 1e6, -1e-6]
np.save("X.npy", X)
json.dump({"id": "cmp", "inputs": [{"name": "features", "datatype": "FP32", "shape": list(X.shape),
           "data": [float(v) for v in X.ravel()]}]}, open("req.json", "w"))
json.dump({"inputs": [{"name": "features", "datatype": "FP32", "shape": list(X.shape),
           "data": [[float(v) for v in row] for row in X]}]}, open("req_nested.json", "w"))
PY
http_expect 200 "infer 200 rows" -X POST --data-binary @req.json "$RUNNER_URL/v2/models/iris/infer"
cp "$WORK/body" flat.json
http_expect 200 "infer 200 rows as nested arrays" -X POST --data-binary @req_nested.json "$RUNNER_URL/v2/models/iris/infer"
cp "$WORK/body" nested.json
single=()
for i in 0 1 2; do
  $PY -c "import json,numpy as np; X=np.load('X.npy'); print(json.dumps({'inputs':[{'name':'features','datatype':'FP32','shape':[1,4],'data':[float(v) for v in X[$i]]}]}))" >one.json
  curl -fsS -d @one.json "$RUNNER_URL/v2/models/iris/infer" >"one$i.json"
done

if $PY - "$ACUCTL_SOURCE_DIR/templates/xgboost/iris.json" <<'PY'
import json, sys, numpy as np, xgboost as xgb
booster = xgb.Booster(model_file=sys.argv[1])
X = np.load("X.npy")
want = booster.predict(xgb.DMatrix(X))
bad = 0
for name in ["flat.json", "nested.json"]:
    out = json.load(open(name))["outputs"][0]
    got = np.array(out["data"], dtype=np.float64).reshape(out["shape"])
    assert out["shape"] == list(want.shape), (out["shape"], want.shape)
    diff = np.abs(got - want).max()
    print(f"{name}: max |runner - xgboost| = {diff:.3g}")
    bad += diff > 1e-5
for i in range(3):
    out = json.load(open(f"one{i}.json"))["outputs"][0]
    diff = np.abs(np.array(out["data"]) - want[i]).max()
    bad += diff > 1e-5
sys.exit(1 if bad else 0)
PY
then ok "runner predictions equal XGBoost's Python predictions within 1e-5"; else not_ok "predictions differ from XGBoost's"; fi

http_expect 400 "wrong feature count is 400" -X POST -d '{"inputs":[{"name":"features","datatype":"FP32","shape":[1,3],"data":[1,2,3]}]}' "$RUNNER_URL/v2/models/iris/infer"
http_expect 200 "zero rows" -X POST -d '{"inputs":[{"name":"features","datatype":"FP32","shape":[0,4],"data":[]}]}' "$RUNNER_URL/v2/models/iris/infer"
jcheck "$WORK/body" 'j["outputs"][0]["shape"]==[0,3] and j["outputs"][0]["data"]==[]' "zero rows give an empty [0,3] answer"
finish
