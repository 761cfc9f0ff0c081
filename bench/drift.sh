#!/usr/bin/env bash
# The drift benchmark (issue 7): a full drift report (10 numeric features, 1,000,000 reference rows against 1,000,000
# current rows, KS + Wasserstein + PSI) in MlOps and in scipy/numpy, on the same data, in the same run.
# Writes its section of BENCHMARKS.md.   bash bench/drift.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
WORK=${WORK:-$(mktemp -d)}
. bench/baseline.sh
baseline "$PY -c 'import scipy'" python3-scipy
dotnet build bench/DriftBench -c Release -v q -nologo >/dev/null
[ -f "$WORK/ref.bin" ] || $PY bench/drift_scipy.py generate "$WORK"
OUT="$WORK/drift-results.jsonl"
: > "$OUT"
for round in 1 2 3; do
  echo "round $round/3"
  $PY bench/drift_scipy.py run "$WORK" > "$WORK/scipy.json"
  cat "$WORK/scipy.json" >> "$OUT"
  dotnet bench/DriftBench/bin/Release/net10.0/MlOps.Bench.Drift.dll run "$WORK" "$WORK/scipy.json" 5 >> "$OUT"
done
$PY bench/report.py drift "$OUT"
