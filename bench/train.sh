#!/usr/bin/env bash
# The training benchmark (issue 4): MlOps' trainers against scikit-learn on the same 1,000,000 × 10 file
# (make_classification(n_samples=1_000_000, n_features=10, n_informative=5, random_state=42)), in the same run.
# Writes its section of BENCHMARKS.md.   bash bench/train.sh   (RUNS=3 to change the repetitions; the sklearn forest runs once)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
WORK=${WORK:-$(mktemp -d)}
PY=/usr/bin/python3
. bench/baseline.sh
baseline "$PY -c 'import sklearn'" python3-sklearn
dotnet build bench/TrainBench -c Release -v q -nologo >/dev/null
BENCH="dotnet bench/TrainBench/bin/Release/net10.0/MlOps.Bench.Train.dll run $WORK/train.csv"
[ -f "$WORK/train.csv" ] || $PY bench/train_sklearn.py generate "$WORK/train.csv"
OUT="$WORK/train-results.jsonl"
: > "$OUT"
for i in $(seq 1 "$RUNS"); do
  echo "round $i/$RUNS"
  $PY bench/train_sklearn.py run "$WORK/train.csv" hgb >> "$OUT"
  $BENCH LightGbm >> "$OUT"
  $BENCH LightGbm threads=1 >> "$OUT"
  $BENCH FastForest numberOfTrees=100 maxDepth=10 >> "$OUT"
done
echo "scikit-learn's forest (about two minutes)"
$PY bench/train_sklearn.py run "$WORK/train.csv" forest >> "$OUT"
$PY bench/report.py train "$OUT"
