"""The drift benchmark's data and baseline (Debian's python3-scipy and numpy).

  generate DIR   writes ref.bin and cur.bin: 10 features × 1,000,000 float64 each (feature-major), seed 42;
                 features 0-4 of current drawn like the reference, 5-9 shifted (mean +0.1, scale 1.1)
  run DIR        computes KS (ks_2samp, and the asymptotic p kstwobign.sf(√(nm/(n+m))·D)), Wasserstein and PSI per feature
                 with scipy/numpy; prints one JSON line with the seconds and every statistic
  report-generate DIR
                 the whole-report case, as monitor meets it: a training profile's samples (10 numeric features × 5,000
                 values, seed 7) and a categorical feature's training counts, and a window of 5,000 live rows (features 5-9
                 and the category mix shifted); writes sample.bin, window.bin, window-segment.bin, report-meta.json
  report DIR REFERENCE WINDOW REPEATS
                 builds the drift report as monitor does, REPEATS times: for a REFERENCE of "large" (more training rows than
                 drift.smallReference: Wasserstein ÷ the sample's σ, Jensen–Shannon) or "small" (800 rows: KS with the
                 asymptotic p, chi-squared, Benjamini–Hochberg over all the tests), on the first WINDOW live rows; ten-bin
                 histograms of each numeric feature; the report as JSON and as an HTML page with an SVG chart per feature,
                 both written to DIR. Prints one JSON line: the median seconds and every statistic
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


def shares(ref, cur, bins=10):
    """Equal-width bins over both samples (as monitor's histograms and Evidently's PSI), and each sample's share per bin."""
    edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins=bins)
    return edges, np.histogram(ref, edges)[0] / len(ref), np.histogram(cur, edges)[0] / len(cur)


def psi(ref, cur, bins=10):
    """Evidently's PSI: equal-width bins over both samples, empty bins as 0.0001."""
    _, r, c = shares(ref, cur, bins)
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


SAMPLE, WINDOW, SEGMENTS = 5000, 5000, ["a", "b", "c"]


def report_generate(folder):
    rng = np.random.default_rng(7)
    sample = rng.normal(0, 1, size=(FEATURES, SAMPLE))
    window = rng.normal(0, 1, size=(FEATURES, WINDOW))
    window[5:] = window[5:] * 1.1 + 0.1
    sample.astype("<f8").tofile(f"{folder}/sample.bin")
    window.astype("<f8").tofile(f"{folder}/window.bin")
    rng.choice(3, size=WINDOW, p=[0.4, 0.3, 0.3]).astype("u1").tofile(f"{folder}/window-segment.bin")
    json.dump({"segments": SEGMENTS, "training_counts": [500_000, 300_000, 200_000]}, open(f"{folder}/report-meta.json", "w"))


def benjamini_hochberg(p, alpha):
    p = np.asarray(p)
    order = np.argsort(p)
    passed = p[order] <= alpha * np.arange(1, len(p) + 1) / len(p)
    k = np.nonzero(passed)[0].max() + 1 if passed.any() else 0
    out = np.zeros(len(p), dtype=bool)
    out[order[:k]] = True
    return out


def page(report):
    """The report as HTML: a table of every feature and an SVG chart of each histogram (as monitor's DriftReportPage)."""
    rows = "".join(f"<tr><td>{f['feature']}</td><td>{f['test']}</td><td>{f['statistic']:.4g}</td><td>{f['threshold']:.4g}</td>"
                   f"<td>{'—' if f['pValue'] is None else format(f['pValue'], '.4g')}</td><td>{'yes' if f['drifted'] else 'no'}</td></tr>"
                   for f in sorted(report["features"], key=lambda f: (not f["drifted"], f["feature"])))
    charts = []
    for h in report["histograms"]:
        top = max(max(h["reference"]), max(h["current"]), 1e-9)
        slot = 340 / len(h["reference"])
        bars = "".join(f'<rect class="{cls}" x="{k * slot + off:.1f}" y="{100 - 100 * v / top:.1f}" width="{slot / 2 - 1.5:.1f}" height="{100 * v / top:.1f}">'
                       f'<title>[{h["edges"][k]:.4g}, {h["edges"][k + 1]:.4g}): {100 * v:.1f}%</title></rect>'
                       for k in range(len(h["reference"])) for cls, v, off in (("ref", h["reference"][k], 1), ("cur", h["current"][k], slot / 2)))
        charts.append(f'<div class="card"><b>{h["feature"]}</b><svg role="img" width="340" height="114">{bars}</svg></div>')
    return (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>Drift</title></head><body><h1>Drift check</h1>"
            f"<p>{'DATASET DRIFT' if report['datasetDrift'] else 'No dataset drift'}</p><table>{rows}</table><div class=\"grid\">{''.join(charts)}</div></body></html>")


def report(folder, reference, window_rows, repeats):
    from scipy.spatial.distance import jensenshannon
    sample = np.fromfile(f"{folder}/sample.bin", dtype="<f8").reshape(FEATURES, SAMPLE)
    if reference == "small":
        sample = sample[:, :800]
    window_rows = int(window_rows)
    # Live rows reach monitor as float32 (what infer logs): the same values here.
    window = np.fromfile(f"{folder}/window.bin", dtype="<f8").reshape(FEATURES, WINDOW)[:, :window_rows].astype(np.float32).astype(np.float64)
    segment = np.fromfile(f"{folder}/window-segment.bin", dtype="u1")[:window_rows]
    meta = json.load(open(f"{folder}/report-meta.json"))
    training = np.array(meta["training_counts"], dtype=float)
    times, result = [], None
    for _ in range(int(repeats)):
        start = time.perf_counter()
        features, histograms, tests = [], [], []
        for f in range(FEATURES):
            ref, cur = sample[f], window[f]
            edges, r, c = shares(ref, cur)
            histograms.append({"feature": f"f{f}", "edges": edges.round(6).tolist(), "reference": r.round(6).tolist(), "current": c.round(6).tolist()})
            if reference == "large":
                w = stats.wasserstein_distance(ref, cur) / ref.std()
                features.append({"feature": f"f{f}", "test": "wasserstein", "statistic": w, "pValue": None, "threshold": 0.1, "drifted": bool(w > 0.1)})
            else:
                d = stats.ks_2samp(ref, cur, method="asymp").statistic
                p = float(stats.kstwobign.sf(np.sqrt(len(ref) * len(cur) / (len(ref) + len(cur))) * d))
                features.append({"feature": f"f{f}", "test": "ks", "statistic": float(d), "pValue": p, "threshold": 0.05, "drifted": False})
                tests.append(len(features) - 1)
        counts = np.bincount(segment, minlength=3).astype(float)
        if reference == "large":
            js = float(jensenshannon(training / training.sum(), counts / counts.sum()))
            features.append({"feature": "segment", "test": "jensenShannon", "statistic": js, "pValue": None, "threshold": 0.1, "drifted": js > 0.1})
        else:
            chi = stats.chisquare(counts, training / training.sum() * counts.sum())
            features.append({"feature": "segment", "test": "chiSquared", "statistic": float(chi.statistic), "pValue": float(chi.pvalue), "threshold": 0.05, "drifted": False})
            tests.append(len(features) - 1)
        if tests:
            significant = benjamini_hochberg([features[i]["pValue"] for i in tests], 0.05)
            for i, s in zip(tests, significant):
                features[i]["drifted"] = bool(s)
        share = sum(f["drifted"] for f in features) / len(features)
        result = {"pipeline": "bench", "referenceRows": sample.shape[1], "currentRows": window_rows, "driftedShare": round(share, 4),
                  "datasetDrift": share >= 0.5, "features": features, "histograms": histograms}
        json.dump(result, open(f"{folder}/scipy-report.json", "w"))
        open(f"{folder}/scipy-report.html", "w").write(page(result))
        times.append(time.perf_counter() - start)
    print(json.dumps({"tool": "scipy", "case": f"{reference}-{window_rows}", "seconds_median": float(np.median(times)),
                      "scipy": scipy.__version__, "features": result["features"]}))


if __name__ == "__main__":
    if sys.argv[1] == "report":
        report(*sys.argv[2:6])
    else:
        {"generate": generate, "run": run, "report-generate": report_generate}[sys.argv[1]](sys.argv[2])
