#!/usr/bin/env bash
# The zero-configuration benchmark (issue 15): five generated tables, each uploaded to MlOps with no spec (the Embedded
# main job, as a user runs it), against scikit-learn's HistGradientBoosting given the same information (the ID left out,
# dates as year/month/day/weekday/hour, text one-hot, empty cells NaN), side by side in one run. Writes its section of BENCHMARKS.md.
#   bash bench/zeroconfig.sh
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$WORK"
PY=/usr/bin/python3
. bench/baseline.sh
baseline "$PY -c 'import sklearn'" python3-sklearn
baseline "$PY -c 'import pandas'" python3-pandas
dotnet build Embedded -c Release -v q -nologo -clp:ErrorsOnly
JOB="$PWD/Embedded/bin/Release/net10.0/MlOps.Embedded.dll"
$PY bench/zeroconfig.py generate "$WORK"
OUT="$WORK/zeroconfig-results.jsonl"
: > "$OUT"
for table in customers customers-eu tickets houses orders; do
  echo "table $table"
  $PY bench/zeroconfig.py run "$WORK/$table.csv" >> "$OUT"
  run="$WORK/run-$table"; rm -rf "$run"; mkdir -p "$run"
  (cd "$run" && dotnet "$JOB" run "$WORK/$table.csv" > "$run/job.txt" 2>&1) || true
  # "model v1 (0.881 accuracy on the hold-out) serves …", and the gate's first reason.
  $PY - "$table" "$run/job.txt" >> "$OUT" <<'PY'
import json, re, sys
text = open(sys.argv[2]).read()
m = re.search(r"model v\d+ \(([\d.]+) (\w+) on the hold-out\)", text)
gate = re.search(r"gate: (.*)", text)
print(json.dumps({"tool": "mlops", "table": sys.argv[1] + ".csv", "metric": m.group(2) if m else None, "score": float(m.group(1)) if m else None,
                  "deployed": "] deployed" in text, "gate": gate.group(1) if gate else text[-300:]}))
PY
done
$PY bench/report.py zeroconfig "$OUT"
