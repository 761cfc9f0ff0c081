"""The validate benchmark's baseline: pandas read_csv plus the same suite (bench/validate-suite.json) written with pandas.

Prints one JSON line like the .NET side: seconds (read + checks, in process), rows per second, peak RSS.
Run with Debian's python3-pandas: /usr/bin/python3 bench/validate_pandas.py FILE SUITE.json
"""
import json
import re
import resource
import sys
import time

import numpy as np
import pandas as pd


def check(df, e, types):
    """One expectation; returns True when it holds (mostly: share of non-null values, as Great Expectations does)."""
    kind = e["expectation"]
    col = e.get("column")
    lo, hi, mostly = e.get("min"), e.get("max"), e.get("mostly", 1.0)

    def in_range(x):
        return (lo is None or x >= lo) and (hi is None or x <= hi)

    def share(ok, values):
        return len(values) == 0 or ok.sum() / len(values) >= mostly

    if kind == "expect_table_row_count_to_be_between":
        return in_range(len(df))
    if kind == "expect_table_columns_to_match_ordered_list":
        return list(df.columns) == e["columns"]
    s = df[col]
    values = s.dropna()
    if kind == "expect_column_values_to_not_be_null":
        return s.notna().all()
    if kind == "expect_column_values_to_be_between":
        x = pd.to_numeric(values, errors="coerce")
        return share(x.between(lo if lo is not None else -np.inf, hi if hi is not None else np.inf), values)
    if kind == "expect_column_values_to_be_of_type":
        x = pd.to_numeric(values, errors="coerce")
        ok = np.isfinite(x) & (x == np.floor(x)) if e["type"] == "integer" else np.isfinite(x)
        return share(ok, values)
    if kind == "expect_column_values_to_be_in_set":
        return share(values.astype(str).isin(e["values"]), values)
    if kind == "expect_column_values_to_match_regex":
        return share(values.astype(str).str.contains(e["regex"], regex=True), values)
    if kind == "expect_column_distinct_values_to_equal_set":
        return set(values.astype(str).unique()) == set(e["values"])
    if kind == "expect_column_unique_value_count_to_be_between":
        return in_range(values.nunique())
    if kind == "expect_column_mean_to_be_between":
        return in_range(values.mean())
    if kind == "expect_column_stdev_to_be_between":
        return in_range(values.std())
    if kind == "expect_column_median_to_be_between":
        return in_range(values.median())
    if kind == "expect_column_min_to_be_between":
        return in_range(values.min())
    if kind == "expect_column_max_to_be_between":
        return in_range(values.max())
    raise ValueError(kind)


def main(path, suite_path):
    spec = json.load(open(suite_path))
    expectations = spec["validation"]["expectations"]
    types = spec["validation"].get("columnTypes", {})
    start = time.perf_counter()
    df = pd.read_csv(path, dtype={"segment": str, "label": str})
    # The built-in checks MlOps applies to every dataset: numeric features are finite numbers.
    numeric = [c for c in df.columns if c != "label" and types.get(c, "number") in ("number", "integer")]
    builtin_ok = all(np.isfinite(pd.to_numeric(df[c], errors="coerce")).all() for c in numeric)
    failed = [f'{e["expectation"]}({e.get("column")})' for e in expectations if not check(df, e, types)]
    seconds = time.perf_counter() - start
    print(json.dumps({
        "tool": "pandas",
        "rows": len(df),
        "seconds": seconds,
        "rows_per_second": len(df) / seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "suite_expectations": len(expectations),
        "builtin_ok": bool(builtin_ok),
        "failed": failed,
        "pandas": pd.__version__,
    }))


if __name__ == "__main__":
    for _ in range(int(sys.argv[3]) if len(sys.argv) > 3 else 1):
        main(sys.argv[1], sys.argv[2])
