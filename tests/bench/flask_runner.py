#!/usr/bin/python3
"""The baseline for the xgboost benchmark: an Acumos-style Python model
runner (Flask app, run under gunicorn with 2 sync workers) answering the same
Open Inference Protocol infer request for the same XGBoost model.

Run: OMP_NUM_THREADS=1 MODEL=iris.json gunicorn -w 2 -k sync -b 127.0.0.1:PORT flask_runner:app
"""
import os

import numpy as np
import xgboost as xgb
from flask import Flask, jsonify, request

app = Flask(__name__)
booster = xgb.Booster(model_file=os.environ["MODEL"])
booster.set_param({"nthread": 1})


@app.post("/v2/models/<name>/infer")
def infer(name):
    req = request.get_json(force=True)
    tensor = req["inputs"][0]
    x = np.asarray(tensor["data"], dtype=np.float32).reshape(tensor["shape"])
    # inplace_predict is XGBoost's fastest Python path: the baseline is not handicapped.
    p = booster.inplace_predict(x)
    answer = {"model_name": name, "model_version": "1.0.0",
              "outputs": [{"name": "probabilities", "datatype": "FP32", "shape": list(p.shape),
                           "data": p.ravel().tolist()}]}
    if "id" in req:
        answer["id"] = req["id"]
    return jsonify(answer)


@app.get("/v2/health/live")
def live():
    return ""
