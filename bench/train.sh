#!/usr/bin/env bash
# The training benchmark (issues 4 and 14): MlOps' trainers against scikit-learn on the same file, in the same run.
# The headline runs on a held-out set (h-wide: generated with a seed fixed before its first run, never used to choose a
# default); the defaults check then runs the default trainer with its large-data setting and with HistGradientBoosting's
# hyperparameters on five tuning sets (where the defaults were chosen) and five held-out sets, at a million rows and on
# each side of the 100,000-training-row threshold. Writes its sections of BENCHMARKS.md.
#   bash bench/train.sh   (RUNS=3 to change the headline's repetitions, the scikit-learn forest's included; the defaults check runs once)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
BIG=${BIG:-1000000} # the headline's and the defaults check's rows (smaller only to try the script)
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$WORK"
PY=/usr/bin/python3
. bench/baseline.sh
baseline "$PY -c 'import sklearn'" python3-sklearn
dotnet build bench/TrainBench -c Release -v q -nologo -clp:ErrorsOnly
BENCH="dotnet bench/TrainBench/bin/Release/net10.0/MlOps.Bench.Train.dll"
HGB_LIKE="numberOfTrees=100 numberOfLeaves=31 learningRate=0.1"
LARGE="numberOfTrees=50 numberOfLeaves=63 learningRate=0.2"
HEADLINE=h-wide
TUNING="default noisy hastie multiclass regression"
HELD_OUT="h-wide h-imbalanced h-multiclass h-regression h-xor"
data() { # data KIND ROWS → the file, generated once
  local file="$WORK/$1-$2.csv"
  [ -f "$file" ] || $PY bench/train_sklearn.py generate "$file" "$2" "$1"
  echo "$file"
}
task_of() { case "$1" in *multiclass) echo multiclass;; *regression) echo regression;; *) echo binary;; esac; }

MAIN=$(data $HEADLINE "$BIG")
OUT="$WORK/train-results.jsonl"
: > "$OUT"
for i in $(seq 1 "$RUNS"); do
  echo "round $i/$RUNS"
  $PY bench/train_sklearn.py run "$MAIN" hgb >> "$OUT"
  $PY bench/train_sklearn.py run "$MAIN" hgb-full >> "$OUT"
  $BENCH run "$MAIN" LightGbm >> "$OUT"
  $BENCH run "$MAIN" LightGbm $HGB_LIKE >> "$OUT"
  $BENCH run "$MAIN" LightGbm threads=1 >> "$OUT"
  $BENCH run "$MAIN" FastForest numberOfTrees=100 maxDepth=10 >> "$OUT"
  echo "scikit-learn's forest (about two minutes)"
  $PY bench/train_sklearn.py run "$MAIN" forest >> "$OUT"
done
$PY bench/report.py train "$OUT" "$HEADLINE"

DEFAULTS="$WORK/defaults-results.jsonl"
: > "$DEFAULTS"
tag() { sed "s/^{/{\"set\": \"$1\", \"family\": \"$2\", \"size\": $3, /"; }
for kind in $TUNING $HELD_OUT; do
  family=tuning; case " $HELD_OUT " in *" $kind "*) family=held-out;; esac
  echo "defaults check: $kind ($family)"
  file=$(data "$kind" "$BIG"); task=$(task_of "$kind"); baseline=hgb
  [ "$task" = regression ] && baseline=hgb-regressor
  $PY bench/train_sklearn.py run "$file" "$baseline" | tag "$kind" "$family" "$BIG" >> "$DEFAULTS"
  $BENCH --task "$task" run "$file" LightGbm | tag "$kind" "$family" "$BIG" >> "$DEFAULTS"
  $BENCH --task "$task" run "$file" LightGbm $HGB_LIKE | tag "$kind" "$family" "$BIG" >> "$DEFAULTS"
  if [ "$kind" = default ] || [ "$kind" = "$HEADLINE" ]; then # minutes each: the first file of each family only
    $BENCH run "$file" FastTree | tag "$kind" "$family" "$BIG" >> "$DEFAULTS"
    $BENCH run "$file" FastTree $HGB_LIKE | tag "$kind" "$family" "$BIG" >> "$DEFAULTS"
    $BENCH run "$file" FastForest | tag "$kind" "$family" "$BIG" >> "$DEFAULTS"
    $BENCH run "$file" FastForest rowFraction=0.7 maxBins=255 | tag "$kind" "$family" "$BIG" >> "$DEFAULTS"
  fi
done
# Each side of the threshold: 120,000 rows train on 96,000 (small-data defaults), 130,000 on 104,000 (large-data defaults);
# each also with the other setting forced, on the held-out sets.
for kind in $HELD_OUT; do
  for rows in 120000 130000; do
    echo "threshold check: $kind, $rows rows"
    file=$(data "$kind" "$rows"); task=$(task_of "$kind"); baseline=hgb
    [ "$task" = regression ] && baseline=hgb-regressor
    other=$LARGE; [ "$rows" = 130000 ] && other=$HGB_LIKE
    $PY bench/train_sklearn.py run "$file" "$baseline" | tag "$kind" threshold "$rows" >> "$DEFAULTS"
    $BENCH --task "$task" run "$file" LightGbm | tag "$kind" threshold "$rows" >> "$DEFAULTS"
    $BENCH --task "$task" run "$file" LightGbm $other | tag "$kind" threshold "$rows" >> "$DEFAULTS"
  done
done
$PY bench/report.py train-defaults "$DEFAULTS"
