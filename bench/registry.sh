#!/usr/bin/env bash
# The registry benchmark (issue 5): 10,000 runs and versions across 100 models, the real registry service over HTTP.
# Writes its section of BENCHMARKS.md.   bash bench/registry.sh   (RUNS, MODELS, REQUESTS to change the sizes)
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build services/registry -c Release -v q -nologo -clp:ErrorsOnly
dotnet build bench/RegistryBench -c Release -v q -nologo -clp:ErrorsOnly
OUT=$(mktemp)
for round in 1 2 3; do
  echo "round $round/3"
  dotnet bench/RegistryBench/bin/Release/net10.0/MlOps.Bench.Registry.dll run services/registry/bin/Release/net10.0/MlOps.Registry.dll \
    "${RUNS:-10000}" "${MODELS:-100}" "${REQUESTS:-2000}" >> "$OUT"
done
/usr/bin/python3 bench/report.py registry "$OUT"
