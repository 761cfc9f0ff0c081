"""The training benchmark's baseline and data: scikit-learn (Debian's python3-sklearn).

  generate FILE   writes make_classification(n_samples=1_000_000, n_features=10, n_informative=5, random_state=42) as CSV
  run FILE MODEL  fits MODEL (forest | hgb) on an 80/20 split and prints one JSON line: fit seconds, hold-out accuracy, AUC
"""
import json
import os
import sys
import time

import numpy as np


def generate(path, rows):
    from sklearn.datasets import make_classification
    x, y = make_classification(n_samples=rows, n_features=10, n_informative=5, random_state=42)
    header = ",".join([f"f{i}" for i in range(10)] + ["label"])
    np.savetxt(path, np.column_stack([x, y]), delimiter=",", header=header, comments="", fmt=["%.6f"] * 10 + ["%d"])


def run(path, model):
    import sklearn
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.metrics import accuracy_score, roc_auc_score
    from sklearn.model_selection import train_test_split
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    x, y = data[:, :-1], data[:, -1].astype(int)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=42)
    estimator = (RandomForestClassifier(n_estimators=100, max_depth=10, n_jobs=-1, random_state=42) if model == "forest"
                 else HistGradientBoostingClassifier(random_state=42))
    start = time.perf_counter()
    estimator.fit(x_train, y_train)
    fit = time.perf_counter() - start
    p = estimator.predict_proba(x_test)[:, 1]
    print(json.dumps({
        "tool": "sklearn", "trainer": model, "rows": len(y), "fit_seconds": fit,
        "accuracy": accuracy_score(y_test, p > 0.5), "auc": roc_auc_score(y_test, p), "test_rows": len(y_test),
        "sklearn": sklearn.__version__, "threads": os.cpu_count(),
    }))


if __name__ == "__main__":
    if sys.argv[1] == "generate":
        generate(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 1_000_000)
    else:
        run(sys.argv[2], sys.argv[3])
