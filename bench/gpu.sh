#!/usr/bin/env bash
# The GPU check (issue 4): proves ONNX Runtime's CUDA execution provider through MlOps' own scorer on a real GPU and times it
# against the CPU provider on the same machine, in the same call. Three steps, because the GPU machine (the `device` tool) is
# lent only to some sessions, starts bare (no .NET there) and takes at most 64 MiB per call:
#   bash bench/gpu.sh prepare        here: trains three models (Linear, LightGbm, FastForest) on 100,000 make_classification rows
#                                    with bench/TrainBench --save, publishes bench/GpuCheck self-contained with -p:UseGpu=true,
#                                    and packs .gpu/cuda (the CUDA provider, other GPU architectures zeroed: bench/gpu_fatbin.py)
#                                    and .gpu/app (GpuCheck + the models)
#   device run, carry .gpu/cuda:     bash bench/gpu-device.sh unpack-provider
#   device run, carry .gpu/app:      bash bench/gpu-device.sh check          (within 30 s, while the machine is warm)
#   bash bench/gpu.sh report DIR     here: writes BENCHMARKS.md's GPU section from the files the check returned
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
case "${1:-}" in
  prepare)
    WORK=$(mktemp -d)
    . bench/baseline.sh
    baseline "$PY -c 'import sklearn'" python3-sklearn
    $PY -c "
from sklearn.datasets import make_classification
X, y = make_classification(n_samples=100_000, n_features=10, n_informative=5, random_state=42)
with open('$WORK/data.csv', 'w') as f:
    f.write(','.join(f'f{i}' for i in range(10)) + ',label\n')
    for r, l in zip(X, y): f.write(','.join('%.6g' % v for v in r) + ',%d\n' % l)"
    dotnet build bench/TrainBench -c Release -v q -nologo -clp:ErrorsOnly
    for t in Linear LightGbm FastForest; do
      dotnet bench/TrainBench/bin/Release/net10.0/MlOps.Bench.Train.dll --save "$WORK/bundle/store" run "$WORK/data.csv" $t
    done
    # A separate copy, so the GPU build's restore does not disturb this checkout's CPU build.
    git ls-files -z | xargs -0 cp --parents -t "$WORK/src" 2>/dev/null || { mkdir -p "$WORK/src"; git ls-files -z | xargs -0 cp --parents -t "$WORK/src"; }
    (cd "$WORK/src" && dotnet publish bench/GpuCheck -c Release -r linux-x64 --self-contained -p:UseGpu=true \
      -p:PublishTrimmed=true -p:TrimMode=partial -p:TreatWarningsAsErrors=false -p:SuppressTrimAnalysisWarnings=true \
      -p:JsonSerializerIsReflectionEnabledByDefault=true -o "$WORK/bundle/app" -v q -nologo)
    provider="$WORK/bundle/app/libonnxruntime_providers_cuda.so"
    $PY bench/gpu_fatbin.py "$provider" "$WORK/cuda90.so" 90
    rm -f "$provider" "$WORK"/bundle/app/{libonnxruntime_providers_tensorrt.so,libmscordaccore.so,libmscordbi.so,createdump}
    rm -rf .gpu && mkdir -p .gpu/cuda .gpu/app
    xz -T2 -9 -c "$WORK/cuda90.so" > .gpu/cuda/cuda90.so.xz
    tar -C "$WORK/bundle" -cf - app store | xz -T2 -9 > .gpu/app/bundle.tar.xz
    grep -qx '/.gpu/' "$(git rev-parse --git-path info/exclude)" || echo '/.gpu/' >> "$(git rev-parse --git-path info/exclude)"
    du -sh .gpu/*
    ;;
  report)
    $PY bench/report.py gpu "${2:?the folder where the files of the check came back}"
    ;;
  *) echo "usage: bash bench/gpu.sh prepare | report DIR" >&2; exit 2 ;;
esac
