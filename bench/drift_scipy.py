"""The drift benchmark's data and baseline (Debian's python3-scipy and numpy).

  generate DIR   writes ref.bin and cur.bin: 10 features × 1,000,000 float64 each (feature-major), seed 42;
                 features 0-4 of current drawn like the reference, 5-9 shifted (mean +0.1, scale 1.1)
  run DIR        computes KS (ks_2samp, and the asymptotic p kstwobign.sf(√(nm/(n+m))·D)), Wasserstein and PSI per feature
                 with scipy/numpy; prints one JSON line with the seconds and every statistic
"""
import json
import sys
import time

import numpy as np
import scipy
from scipy import stats

FEATURES, ROWS = 10, 1_000_000


def generate(folder):
    rng = np.random.default_rng(42)
    ref = rng.normal(0, 1, size=(FEATURES, ROWS))
    cur = rng.normal(0, 1, size=(FEATURES, ROWS))
    cur[5:] = cur[5:] * 1.1 + 0.1
    ref.astype("<f8").tofile(f"{folder}/ref.bin")
    cur.astype("<f8").tofile(f"{folder}/cur.bin")


def psi(ref, cur, bins=10):
    """Evidently's PSI: equal-width bins over both samples, empty bins as 0.0001."""
    edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins=bins)
    r = np.histogram(ref, edges)[0] / len(ref)
    c = np.histogram(cur, edges)[0] / len(cur)
    r[r == 0] = 0.0001
    c[c == 0] = 0.0001
    return float(np.sum((c - r) * np.log(c / r)))


def run(folder):
    ref = np.fromfile(f"{folder}/ref.bin", dtype="<f8").reshape(FEATURES, ROWS)
    cur = np.fromfile(f"{folder}/cur.bin", dtype="<f8").reshape(FEATURES, ROWS)
    start = time.perf_counter()
    out = []
    for f in range(FEATURES):
        ks = stats.ks_2samp(ref[f], cur[f])
        n = m = ROWS
        out.append({
            "ks": float(ks.statistic), "ks_p_scipy_default": float(ks.pvalue),
            "ks_p_asymptotic": float(stats.kstwobign.sf(np.sqrt(n * m / (n + m)) * ks.statistic)),
            "wasserstein": float(stats.wasserstein_distance(ref[f], cur[f])),
            "psi": psi(ref[f], cur[f]),
        })
    seconds = time.perf_counter() - start
    print(json.dumps({"tool": "scipy", "seconds": seconds, "scipy": scipy.__version__, "numpy": np.__version__, "features": out}))


if __name__ == "__main__":
    {"generate": generate, "run": run}[sys.argv[1]](sys.argv[2])
