"""The training benchmark's baseline and data: scikit-learn (Debian's python3-sklearn).

  generate FILE [ROWS] [KIND]
                  writes the benchmark's file as CSV: make_classification(n_samples=1_000_000, n_features=10,
                  n_informative=5, random_state=42); KIND names another million-row, ten-feature set for the defaults check:
                  noisy (8 informative, 5% flipped labels, class_sep 0.7), hastie (make_hastie_10_2), multiclass (5 classes),
                  regression (make_friedman1, noise 1)
  run FILE MODEL  fits MODEL (forest | hgb | hgb-full | hgb-regressor) on an 80/20 split and prints one JSON line: fit
                  seconds, hold-out accuracy and AUC (binary), accuracy (multiclass) or r2 (hgb-regressor), and for the
                  HistGradientBoosting models the boosting iterations that ran (n_iter_) and whether early stopping was on.
                  hgb is scikit-learn's default, which stops early above 10,000 rows (10% of the training rows held out
                  for it); hgb-full is early_stopping=False: all 100 iterations, on every training row, as MlOps' LightGbm runs
"""
import json
import os
import sys
import time

import numpy as np


def generate(path, rows, kind="default"):
    from sklearn.datasets import make_classification, make_friedman1, make_hastie_10_2
    if kind == "default":
        x, y = make_classification(n_samples=rows, n_features=10, n_informative=5, random_state=42)
    elif kind == "noisy":
        x, y = make_classification(n_samples=rows, n_features=10, n_informative=8, n_redundant=0, flip_y=0.05, class_sep=0.7, random_state=7)
    elif kind == "hastie":
        x, y = make_hastie_10_2(n_samples=rows, random_state=3)
        y = (y > 0).astype(int)
    elif kind == "multiclass":
        x, y = make_classification(n_samples=rows, n_features=10, n_informative=6, n_classes=5, random_state=11)
    elif kind == "regression":
        x, y = make_friedman1(n_samples=rows, n_features=10, noise=1.0, random_state=5)
    else:
        raise SystemExit(f"unknown kind {kind}")
    header = ",".join([f"f{i}" for i in range(10)] + ["label"])
    label = "%.6f" if kind == "regression" else "%d"
    np.savetxt(path, np.column_stack([x, y]), delimiter=",", header=header, comments="", fmt=["%.6f"] * 10 + [label])


def run(path, model):
    import sklearn
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor, RandomForestClassifier
    from sklearn.metrics import accuracy_score, r2_score, roc_auc_score
    from sklearn.model_selection import train_test_split
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    regression = model == "hgb-regressor"
    x, y = data[:, :-1], data[:, -1] if regression else data[:, -1].astype(int)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=42)
    estimator = (RandomForestClassifier(n_estimators=100, max_depth=10, n_jobs=-1, random_state=42) if model == "forest"
                 else HistGradientBoostingRegressor(random_state=42) if regression
                 else HistGradientBoostingClassifier(random_state=42, early_stopping=False) if model == "hgb-full"
                 else HistGradientBoostingClassifier(random_state=42))
    start = time.perf_counter()
    estimator.fit(x_train, y_train)
    fit = time.perf_counter() - start
    scores = {}
    if regression:
        scores["r2"] = r2_score(y_test, estimator.predict(x_test))
    else:
        p = estimator.predict_proba(x_test)
        scores["accuracy"] = accuracy_score(y_test, estimator.classes_[p.argmax(axis=1)])
        if p.shape[1] == 2:
            scores["auc"] = roc_auc_score(y_test, p[:, 1])
    if hasattr(estimator, "n_iter_"):
        scores["n_iter"] = int(estimator.n_iter_)
        scores["early_stopping"] = bool(estimator.do_early_stopping_)
    print(json.dumps({
        "tool": "sklearn", "trainer": model, "rows": len(y), "fit_seconds": fit, **scores, "test_rows": len(y_test),
        "sklearn": sklearn.__version__, "threads": os.cpu_count(),
    }))


if __name__ == "__main__":
    if sys.argv[1] == "generate":
        generate(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 1_000_000, sys.argv[4] if len(sys.argv) > 4 else "default")
    else:
        run(sys.argv[2], sys.argv[3])
