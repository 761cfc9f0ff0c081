"""The training benchmark's baseline and data: scikit-learn (Debian's python3-sklearn).

  generate FILE [ROWS] [KIND]
                  writes a ten-feature set as CSV (ROWS default 1,000,000). Two families, kept apart:
                  TUNING (the defaults were chosen on these): default (make_classification(n_informative=5, random_state=42),
                  the benchmark's first file), noisy (8 informative, 5% flipped labels, class_sep 0.7), hastie
                  (make_hastie_10_2), multiclass (5 classes), regression (make_friedman1, noise 1);
                  HELD-OUT (never used to choose anything; kinds and seeds fixed before their first run, in issue 14):
                  h-wide (7 informative, 2 redundant), h-imbalanced (85/15 classes, 2% flipped), h-multiclass (3 classes,
                  one cluster each), h-regression (make_friedman2 on 4 columns, noise 50, 6 noise columns), h-xor
                  (sign(x0·x1) xor x2 > 0.5 on standard normals, 3% flipped). The training headline runs on h-wide.
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
    elif kind == "h-wide":
        x, y = make_classification(n_samples=rows, n_features=10, n_informative=7, n_redundant=2, random_state=101)
    elif kind == "h-imbalanced":
        x, y = make_classification(n_samples=rows, n_features=10, n_informative=5, weights=[0.85], flip_y=0.02, random_state=202)
    elif kind == "h-multiclass":
        x, y = make_classification(n_samples=rows, n_features=10, n_informative=6, n_classes=3, n_clusters_per_class=1, random_state=303)
    elif kind == "h-regression":
        from sklearn.datasets import make_friedman2
        x4, y = make_friedman2(n_samples=rows, noise=50.0, random_state=404)
        x = np.column_stack([x4, np.random.default_rng(404).standard_normal((rows, 6))])
    elif kind == "h-xor":
        rng = np.random.default_rng(505)
        x = rng.standard_normal((rows, 10))
        y = ((x[:, 0] * x[:, 1] > 0) ^ (x[:, 2] > 0.5)).astype(int)
        flip = rng.random(rows) < 0.03
        y[flip] = 1 - y[flip]
    else:
        raise SystemExit(f"unknown kind {kind}")
    header = ",".join([f"f{i}" for i in range(10)] + ["label"])
    label = "%.6f" if kind.endswith("regression") else "%d"
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
