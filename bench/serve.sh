#!/usr/bin/env bash
# The serving benchmark (issue 6): the deploy service alone, serving the walk-through model, loaded over HTTP with wrk
# (Debian's), against ONNX Runtime called in process on the same model. Writes its section of BENCHMARKS.md.
#   bash bench/serve.sh        (DURATION=10s CONNECTIONS=16 to change the load; SCORING_THREADS=0 for ONNX Runtime's default threads per call)
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$WORK"
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-16}
PORT=${PORT:-5191}
. bench/baseline.sh
baseline "command -v wrk" wrk
dotnet build Embedded -c Release -v q -nologo -clp:ErrorsOnly
dotnet build services/deploy -c Release -v q -nologo -clp:ErrorsOnly
dotnet build bench/ServeBench -c Release -v q -nologo -clp:ErrorsOnly

echo "training the model to serve (the main job, embedded)"
(cd "$WORK" && Artifacts__Path="$WORK/artifacts" Registry__Database="$WORK/registry.db" \
  dotnet "$OLDPWD/Embedded/bin/Release/net10.0/MlOps.Embedded.dll" run "$OLDPWD/samples/classification.csv" bench > "$WORK/train.log")

# The deploy service alone on :$PORT with the given threads per call, ready when it has restored the model.
start_deploy() {
  echo "starting the deploy service on :$PORT (threads per call $1)"
  Artifacts__Path="$WORK/artifacts" ASPNETCORE_URLS="http://127.0.0.1:$PORT" Logging__LogLevel__Default=Warning \
    Auth__ApiKeys__bench__Key="$KEY" Auth__ApiKeys__bench__Roles=predictor Deploy__ScoringThreadsPerRequest="$1" dotnet services/deploy/bin/Release/net10.0/MlOps.Deploy.dll > "$WORK/deploy$1.log" 2>&1 &
  DEPLOY=$!
  for _ in $(seq 1 100); do curl -sf -H "X-Api-Key: $KEY" "http://127.0.0.1:$PORT/v2/models/bench/ready" >/dev/null && break; sleep 0.2; done
}
# The callers are predictors with a key, as in production: every request is authenticated.
KEY="bench-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
THREADS=${SCORING_THREADS:-1}
start_deploy "$THREADS"
trap 'kill $DEPLOY 2>/dev/null || true' EXIT

ROW='[1.1251,1.17812,0.493516,0.79088,-0.614278,1.34702,1.41952,1.35732,0.966041,-1.98114]'
cat > "$WORK/single.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Api-Key"] = "$KEY"
wrk.body = '{"inputs":[{"name":"Features","shape":[1,10],"datatype":"FP32","data":$ROW}]}'
LUA
python3 - "$WORK/batch.lua" "$ROW" "$KEY" <<'PY'
import sys
row = sys.argv[2]
data = ",".join([row[1:-1]] * 1000)
open(sys.argv[1], "w").write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
    f'wrk.headers["X-Api-Key"] = "{sys.argv[3]}"\n'
    f'wrk.body = \'{{"inputs":[{{"name":"Features","shape":[1000,10],"datatype":"FP32","data":[{data}]}}]}}\'\n')
PY
OUT="$WORK/serve-results.txt"
: > "$OUT"
# Three rounds against the running service: single rows, 1,000-row batches, and the same model in process ($1: the suffix of
# their section names in the results, $2: threads per call).
rounds() {
  for round in 1 2 3; do
    echo "threads per call $2, round $round/3"
    echo "### single$1 $round" >> "$OUT"
    wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s "$WORK/single.lua" "http://127.0.0.1:$PORT/v2/models/bench/infer" >> "$OUT"
    echo "### batch$1 $round" >> "$OUT"
    wrk -t2 -c4 -d"$DURATION" --latency -s "$WORK/batch.lua" "http://127.0.0.1:$PORT/v2/models/bench/infer" >> "$OUT"
    echo "### inprocess$1 $round" >> "$OUT"
    dotnet bench/ServeBench/bin/Release/net10.0/MlOps.Bench.Serve.dll run "$WORK/artifacts" bench "$2" >> "$OUT"
  done
}
rounds "" "$THREADS"
# The same load with ONNX Runtime's own default threads per call (every core, spinning): the setting the service does not use.
if [ "$THREADS" != 0 ]; then
  kill $DEPLOY; wait $DEPLOY 2>/dev/null || true
  start_deploy 0
  rounds 0 0
fi
/usr/bin/python3 bench/report.py serve "$OUT" "$CONNECTIONS" "$DURATION"
