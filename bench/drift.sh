#!/usr/bin/env bash
# The drift benchmark (issues 7 and 14): the three statistics on 1,000,000 reference rows against 1,000,000 current rows
# (10 numeric features, KS + Wasserstein + PSI) in MlOps and in scipy/numpy; then the whole report as the monitor service
# builds it (a 5,000-value training sample or an 800-row reference, windows of 200 and 5,000 live rows, correction,
# histograms, report JSON and page written) against the same in scipy. Same data, same run.
# Writes its section of BENCHMARKS.md.   bash bench/drift.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
WORK=${WORK:-$(mktemp -d)}
. bench/baseline.sh
baseline "$PY -c 'import scipy'" python3-scipy
dotnet build bench/DriftBench -c Release -v q -nologo -clp:ErrorsOnly
[ -f "$WORK/ref.bin" ] || $PY bench/drift_scipy.py generate "$WORK"
OUT="$WORK/drift-results.jsonl"
: > "$OUT"
for round in 1 2 3; do
  echo "round $round/3"
  $PY bench/drift_scipy.py run "$WORK" > "$WORK/scipy.json"
  cat "$WORK/scipy.json" >> "$OUT"
  dotnet bench/DriftBench/bin/Release/net10.0/MlOps.Bench.Drift.dll run "$WORK" "$WORK/scipy.json" 5 >> "$OUT"
done
[ -f "$WORK/sample.bin" ] || $PY bench/drift_scipy.py report-generate "$WORK"
REPORTS="$WORK/drift-report-results.jsonl"
: > "$REPORTS"
for round in 1 2 3; do
  for reference in large small; do
    for window in 200 5000; do
      echo "report round $round/3: $reference reference, $window rows"
      $PY bench/drift_scipy.py report "$WORK" $reference $window 20 > "$WORK/scipy-report-result.json"
      sed "s/^{/{\"round\": $round, /" "$WORK/scipy-report-result.json" >> "$REPORTS"
      dotnet bench/DriftBench/bin/Release/net10.0/MlOps.Bench.Drift.dll report "$WORK" $reference $window 20 "$WORK/scipy-report-result.json" \
        | sed "s/^{/{\"round\":$round,/" >> "$REPORTS"
    done
  done
done
$PY bench/report.py drift "$OUT" "$REPORTS"
