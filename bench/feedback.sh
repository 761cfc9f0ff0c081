#!/usr/bin/env bash
# What monitor's served log (feedback memory that survives restarts) costs: 500-row PredictionsServed batches handed to
# FeedbackBook one after another, with the log on and off (memory only: the baseline), on the filesystem store and on S3
# (s3rver from scripts/infra.sh). Writes its section of BENCHMARKS.md.   bash bench/feedback.sh   (RUNS=5 to change rounds)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
WORK=${WORK:-$(mktemp -d)}
# (Its daemons must not inherit this script's output: a pipe reading it would never see the end.)
bash scripts/infra.sh start > "$WORK/infra.log" 2>&1 || { cat "$WORK/infra.log"; exit 1; }
eval "$(bash scripts/infra.sh env)"
dotnet build bench/FeedbackBench -c Release -v q -nologo -clp:ErrorsOnly
BENCH="dotnet bench/FeedbackBench/bin/Release/net10.0/MlOps.Bench.Feedback.dll run"
OUT="$WORK/feedback-results.jsonl"
: > "$OUT"
for i in $(seq 1 "$RUNS"); do
  echo "round $i/$RUNS"
  $BENCH filesystem 200 >> "$OUT"
  $BENCH s3 200 >> "$OUT"
done
python3 bench/report.py feedback "$OUT"
