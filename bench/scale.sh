#!/usr/bin/env bash
# The scale benchmark (issue 16): 100 pipelines started at once on the embedded app and on the distributed mode with two
# replicas of every service behind the gateway (wall time, runs per minute against the CPU floor, peak memory of every
# process together), and 1,000 models served by one deploy replica (its memory, and single-row latency spread over all of
# them against one model), side by side in one run. Writes its section of BENCHMARKS.md.
# Then, in each mode at idle, the orchestration's own cost per run (arrived-to-deployed less the stages' own work).
#   bash bench/scale.sh        (PIPELINES=100 MODELS=1000 DURATION=10 CONNECTIONS=16 OVERHEAD_RUNS=20 to change the sizes)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$WORK"
PIPELINES=${PIPELINES:-100}
MODELS=${MODELS:-1000}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-16}
OVERHEAD_RUNS=${OVERHEAD_RUNS:-20}
dotnet build MlOps.sln -c Release -v q -nologo -clp:ErrorsOnly
BIN=Release/net10.0
BENCH="dotnet bench/ScaleBench/bin/$BIN/MlOps.Bench.Scale.dll"
CSV="$ROOT/samples/classification.csv"
OUT="$WORK/scale-results.jsonl"
: > "$OUT"
PIDS=()
# One key for every process and for the driver; limits wide enough for a hundred uploads at once from one identity.
export MLOPS_API_KEY="bench-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export Auth__ApiKeys__bench__Key="$MLOPS_API_KEY" Auth__ApiKeys__bench__Roles=admin
export RateLimits__Uploads__PermitsPerMinute=100000 RateLimits__Specs__PermitsPerMinute=100000
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
wait_ready() { for _ in $(seq 1 300); do curl -sf "$1" >/dev/null && return 0; sleep 0.2; done; echo "not ready: $1" >&2; return 1; }

echo "embedded: $PIPELINES pipelines at once"
Artifacts__Path="$WORK/embedded/artifacts" Registry__Database="$WORK/embedded/registry.db" ASPNETCORE_URLS=http://127.0.0.1:5190 \
  Logging__LogLevel__Default=Warning dotnet "Embedded/bin/$BIN/MlOps.Embedded.dll" > "$WORK/embedded.log" 2>&1 &
EMBEDDED=$!; PIDS+=("$EMBEDDED")
wait_ready http://127.0.0.1:5190/health
$BENCH pipelines http://127.0.0.1:5190 "$PIPELINES" "$CSV" "$EMBEDDED" | sed 's/^{/{"mode":"embedded",/' >> "$OUT"
echo "embedded: orchestration overhead, $OVERHEAD_RUNS runs one after another"
$BENCH overhead http://127.0.0.1:5190 "$OVERHEAD_RUNS" "$CSV" | sed 's/^{/{"overhead":"embedded",/' >> "$OUT"
kill "$EMBEDDED"; wait "$EMBEDDED" 2>/dev/null || true

echo "distributed: two replicas of every service behind the gateway, $PIPELINES pipelines at once"
bash scripts/infra.sh start > /dev/null
eval "$(bash scripts/infra.sh test-env)"
DB="scale_$(date +%s)"
"$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)/psql" -h 127.0.0.1 -p 25432 -U mlops -d postgres -qc "CREATE DATABASE $DB" > /dev/null
export ConnectionStrings__messaging="$MLOPS_TEST_MESSAGING_SCALE"
export ConnectionStrings__artifacts="${MLOPS_TEST_ARTIFACTS/Bucket=mlops-test/Bucket=${DB//_/-}}"
export ConnectionStrings__registry="Host=127.0.0.1;Port=25432;Username=mlops;Database=$DB"
export Logging__LogLevel__Default=Warning
GATEWAY_ENV=()
DIST_PIDS=""
port=5200
for service in ingest validate train registry deploy monitor; do
  name="$(tr '[:lower:]' '[:upper:]' <<< "${service:0:1}")${service:1}"
  for replica in 0 1; do
    ASPNETCORE_URLS="http://127.0.0.1:$port" dotnet "services/$service/bin/$BIN/MlOps.$name.dll" > "$WORK/$service$replica.log" 2>&1 &
    PIDS+=("$!"); DIST_PIDS="$DIST_PIDS,$!"
    GATEWAY_ENV+=("services__${service}__http__${replica}=http://127.0.0.1:$port")
    port=$((port + 1))
  done
done
for p in $(seq 5200 $((port - 1))); do wait_ready "http://127.0.0.1:$p/health"; done
env "${GATEWAY_ENV[@]}" ASPNETCORE_URLS=http://127.0.0.1:5199 dotnet "Gateway/bin/$BIN/MlOps.Gateway.dll" > "$WORK/gateway.log" 2>&1 &
PIDS+=("$!"); DIST_PIDS="$DIST_PIDS,$!"
wait_ready http://127.0.0.1:5199/health
$BENCH pipelines http://127.0.0.1:5199 "$PIPELINES" "$CSV" "${DIST_PIDS#,}" | sed 's/^{/{"mode":"distributed",/' >> "$OUT"
echo "distributed: orchestration overhead, $OVERHEAD_RUNS runs one after another"
$BENCH overhead http://127.0.0.1:5199 "$OVERHEAD_RUNS" "$CSV" | sed 's/^{/{"overhead":"distributed",/' >> "$OUT"
cleanup; PIDS=()
echo "the store the distributed mode used, alone"
$BENCH store "$ConnectionStrings__artifacts" >> "$OUT"
unset ConnectionStrings__messaging ConnectionStrings__artifacts ConnectionStrings__registry

echo "served: $MODELS models in one deploy replica"
RUN=$(ls "$WORK/embedded/artifacts/runs" | head -n1)
python3 - "$WORK/embedded/artifacts" "$RUN" "$MODELS" <<'PY'
import json, os, sys, datetime
store, run, models = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(f"{store}/deployments", exist_ok=True)
for name in os.listdir(f"{store}/deployments"): os.remove(f"{store}/deployments/{name}")
run_id = f"{run[:8]}-{run[8:12]}-{run[12:16]}-{run[16:20]}-{run[20:]}"
for i in range(models):
    json.dump({"pipeline": f"scale-{i:04d}", "version": 1, "runId": run_id, "deployedAt": datetime.datetime.now(datetime.timezone.utc).isoformat()},
              open(f"{store}/deployments/scale-{i:04d}.json", "w"))
PY
Artifacts__Path="$WORK/embedded/artifacts" ASPNETCORE_URLS=http://127.0.0.1:5191 dotnet "services/deploy/bin/$BIN/MlOps.Deploy.dll" > "$WORK/deploy.log" 2>&1 &
DEPLOY=$!; PIDS+=("$DEPLOY")
for _ in $(seq 1 3000); do curl -sf http://127.0.0.1:5191/v2/health/ready >/dev/null && break; sleep 0.2; done
$BENCH served http://127.0.0.1:5191 "$MODELS" "$DURATION" "$CONNECTIONS" "$DEPLOY" >> "$OUT"
cat "$OUT"
python3 bench/report.py scale "$OUT"
