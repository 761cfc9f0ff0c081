#!/usr/bin/env bash
# The validate benchmark (issue 3): MlOps' validate stage against pandas read_csv plus the same suite written with pandas,
# on the same generated file, alternating processes in the same run. Writes its section of BENCHMARKS.md.
#   bash bench/validate.sh            (ROWS=1000000 RUNS=5 BIG_ROWS=14000000, about 1 GB, to change the sizes)
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
BIG_ROWS=${BIG_ROWS:-14000000}
RUNS=${RUNS:-5}
WORK=${WORK:-$(mktemp -d)}
PY=/usr/bin/python3

. bench/baseline.sh
baseline "$PY -c 'import pandas'" python3-pandas
dotnet build bench/ValidateBench -c Release -v q -nologo >/dev/null
BENCH="dotnet bench/ValidateBench/bin/Release/net10.0/MlOps.Bench.Validate.dll"

echo "generating $ROWS and $BIG_ROWS rows in $WORK"
$BENCH generate "$WORK/small.csv" "$ROWS"
$BENCH generate "$WORK/big.csv" "$BIG_ROWS"

OUT="$WORK/results.jsonl"
: > "$OUT"
for i in $(seq 1 "$RUNS"); do
  echo "round $i/$RUNS"
  # Each process validates three times: the first pass is the cold one (JIT, a freshly started service), the rest warm.
  $BENCH run "$WORK/small.csv" bench/validate-suite.json 3 | sed "s/^{/{\"round\":$i,\"file\":\"small\",/" >> "$OUT"
  $PY bench/validate_pandas.py "$WORK/small.csv" bench/validate-suite.json 3 | sed "s/^{/{\"round\": $i, \"file\": \"small\", /" >> "$OUT"
done
echo "peak memory on $BIG_ROWS rows"
$BENCH run "$WORK/big.csv" bench/validate-suite.json 1 | sed 's/^{/{"round":0,"file":"big",/' >> "$OUT"
$PY bench/validate_pandas.py "$WORK/big.csv" bench/validate-suite.json 1 | sed 's/^{/{"round": 0, "file": "big", /' >> "$OUT"

$PY bench/report.py validate "$OUT" "$ROWS" "$BIG_ROWS" "$(stat -c %s "$WORK/small.csv")" "$(stat -c %s "$WORK/big.csv")"
