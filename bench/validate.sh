#!/usr/bin/env bash
# The validate benchmark (issues 3 and 14): MlOps' validate stage, as the validate service and as the embedded app run it,
# against two baselines doing the same suite on the same generated file: pandas (read_csv + the checks written with pandas)
# and Polars (nodejs-polars: one lazy multi-threaded query). Processes alternate within each round. Writes its section of
# BENCHMARKS.md.
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
baseline "command -v node" nodejs
baseline "command -v npm" npm
[ -d bench/polars/node_modules/nodejs-polars-linux-x64-gnu ] || (cd bench/polars && npm ci --no-audit --no-fund >/dev/null)
dotnet build bench/ValidateBench -c Release -v q -nologo -clp:ErrorsOnly
BENCH="dotnet bench/ValidateBench/bin/Release/net10.0/MlOps.Bench.Validate.dll"

echo "generating $ROWS and $BIG_ROWS rows in $WORK"
$BENCH generate "$WORK/small.csv" "$ROWS"
$BENCH generate "$WORK/big.csv" "$BIG_ROWS"

OUT="$WORK/results.jsonl"
: > "$OUT"
for i in $(seq 1 "$RUNS"); do
  echo "round $i/$RUNS"
  # Each process validates three times: the first pass is the cold one (JIT, a freshly started service), the rest warm.
  # The validate service's settings come from the bench project (Server GC, tiered compilation and PGO off, as
  # services/validate/Validate.csproj and the Web SDK); the embedded app differs in one: tiered compilation on.
  $BENCH run "$WORK/small.csv" bench/validate-suite.json 3 | sed "s/^{/{\"round\":$i,\"file\":\"small\",/" >> "$OUT"
  DOTNET_TieredCompilation=1 $BENCH run "$WORK/small.csv" bench/validate-suite.json 3 | sed "s/^{\"tool\":\"mlops\"/{\"round\":$i,\"file\":\"small\",\"tool\":\"mlops-embedded\"/" >> "$OUT"
  # The service without its start-up warm-up (ValidationWarmUp): what the first file costs when it pays for compilation.
  Validate__WarmUpAtStart=false $BENCH run "$WORK/small.csv" bench/validate-suite.json 3 | sed "s/^{\"tool\":\"mlops\"/{\"round\":$i,\"file\":\"small\",\"tool\":\"mlops-cold-jit\"/" >> "$OUT"
  $PY bench/validate_pandas.py "$WORK/small.csv" bench/validate-suite.json 3 | sed "s/^{/{\"round\": $i, \"file\": \"small\", /" >> "$OUT"
  node bench/polars/validate_polars.mjs "$WORK/small.csv" bench/validate-suite.json 3 | sed "s/^{/{\"round\":$i,\"file\":\"small\",/" >> "$OUT"
done
echo "peak memory on $BIG_ROWS rows"
$BENCH run "$WORK/big.csv" bench/validate-suite.json 1 | sed 's/^{/{"round":0,"file":"big",/' >> "$OUT"
$PY bench/validate_pandas.py "$WORK/big.csv" bench/validate-suite.json 1 | sed 's/^{/{"round": 0, "file": "big", /' >> "$OUT"
node bench/polars/validate_polars.mjs "$WORK/big.csv" bench/validate-suite.json 1 | sed 's/^{/{"round":0,"file":"big",/' >> "$OUT" \
  || echo '{"round":0,"file":"big","tool":"polars","seconds":null,"peak_rss_mb":null,"failed":["out of memory"]}' >> "$OUT"

$PY bench/report.py validate "$OUT" "$ROWS" "$BIG_ROWS" "$(stat -c %s "$WORK/small.csv")" "$(stat -c %s "$WORK/big.csv")"
