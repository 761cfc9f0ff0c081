#!/usr/bin/env bash
# The training benchmark (issue 4): MlOps' trainers against scikit-learn on the same 1,000,000 × 10 file
# (make_classification(n_samples=1_000_000, n_features=10, n_informative=5, random_state=42)), in the same run; then the
# defaults check: the default trainer with its large-data defaults and with HistGradientBoosting's hyperparameters, on four
# more million-row sets (bench/train_sklearn.py generate … KIND). Writes its sections of BENCHMARKS.md.
#   bash bench/train.sh   (RUNS=3 to change the repetitions, the scikit-learn forest's included; the defaults check runs once)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
WORK=${WORK:-$(mktemp -d)}
PY=/usr/bin/python3
. bench/baseline.sh
baseline "$PY -c 'import sklearn'" python3-sklearn
dotnet build bench/TrainBench -c Release -v q -nologo >/dev/null
BENCH="dotnet bench/TrainBench/bin/Release/net10.0/MlOps.Bench.Train.dll"
HGB_LIKE="numberOfTrees=100 numberOfLeaves=31 learningRate=0.1"
[ -f "$WORK/train.csv" ] || $PY bench/train_sklearn.py generate "$WORK/train.csv"
OUT="$WORK/train-results.jsonl"
: > "$OUT"
for i in $(seq 1 "$RUNS"); do
  echo "round $i/$RUNS"
  $PY bench/train_sklearn.py run "$WORK/train.csv" hgb >> "$OUT"
  $PY bench/train_sklearn.py run "$WORK/train.csv" hgb-full >> "$OUT"
  $BENCH run "$WORK/train.csv" LightGbm >> "$OUT"
  $BENCH run "$WORK/train.csv" LightGbm $HGB_LIKE >> "$OUT"
  $BENCH run "$WORK/train.csv" LightGbm threads=1 >> "$OUT"
  $BENCH run "$WORK/train.csv" FastForest numberOfTrees=100 maxDepth=10 >> "$OUT"
  echo "scikit-learn's forest (about two minutes)"
  $PY bench/train_sklearn.py run "$WORK/train.csv" forest >> "$OUT"
done
$PY bench/report.py train "$OUT"

DEFAULTS="$WORK/defaults-results.jsonl"
: > "$DEFAULTS"
for kind in default noisy hastie multiclass regression; do
  echo "defaults check: $kind"
  file="$WORK/train.csv"
  if [ "$kind" != default ]; then file="$WORK/$kind.csv"; [ -f "$file" ] || $PY bench/train_sklearn.py generate "$file" 1000000 "$kind"; fi
  task=binary; baseline=hgb
  [ "$kind" = multiclass ] && task=multiclass
  [ "$kind" = regression ] && { task=regression; baseline=hgb-regressor; }
  $PY bench/train_sklearn.py run "$file" "$baseline" | sed "s/^{/{\"set\": \"$kind\", /" >> "$DEFAULTS"
  for trainer in LightGbm FastTree; do
    [ "$trainer" = FastTree ] && [ "$kind" != default ] && continue # FastTree: the main file only (minutes on the others)
    $BENCH --task $task run "$file" $trainer | sed "s/^{/{\"set\": \"$kind\", /" >> "$DEFAULTS"
    $BENCH --task $task run "$file" $trainer $HGB_LIKE | sed "s/^{/{\"set\": \"$kind\", /" >> "$DEFAULTS"
  done
done
$PY bench/report.py train-defaults "$DEFAULTS"
