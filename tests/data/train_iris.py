#!/usr/bin/python3
"""Trains the small iris-like XGBoost model shipped in templates/xgboost/iris.json.

Synthetic, reproducible data: three Gaussian clusters shaped like the iris
species (sepal length/width, petal length/width). Run with Debian's python3
(python3-xgboost): /usr/bin/python3 tests/data/train_iris.py OUT.json
"""
import sys

import numpy as np
import xgboost as xgb

rng = np.random.default_rng(7)
means = np.array([[5.0, 3.4, 1.5, 0.25], [5.9, 2.8, 4.3, 1.3], [6.6, 3.0, 5.5, 2.0]])
scales = np.array([[0.35, 0.38, 0.17, 0.1], [0.5, 0.3, 0.47, 0.2], [0.63, 0.32, 0.55, 0.27]])
X = np.vstack([rng.normal(means[c], scales[c], size=(50, 4)) for c in range(3)]).astype(np.float32)
y = np.repeat(np.arange(3), 50)
booster = xgb.train({"objective": "multi:softprob", "num_class": 3, "max_depth": 3, "eta": 0.3,
                     "seed": 7, "nthread": 1}, xgb.DMatrix(X, label=y), num_boost_round=10)
booster.save_model(sys.argv[1] if len(sys.argv) > 1 else "iris.json")
