#!/usr/bin/env bash
# The GPU check's device side: runs on the lent GPU machine (the `device` tool) in the repository root, over the files that
# `bash bench/gpu.sh prepare` left in .gpu/ (ignored by git). Two steps, because one call may carry at most 64 MiB:
#   unpack-provider  .gpu/cuda/cuda90.so.xz -> /tmp/mlops-gpu/libonnxruntime_providers_cuda.so, and where CUDA's libraries are
#   check            .gpu/app/bundle.tar.xz -> the self-contained GpuCheck (GPU build) and the saved models; runs it with the
#                    product's provider choice (CUDA) and again with MLOPS_DISABLE_GPU=1 (CPU), side by side, and logs where
#                    ONNX Runtime placed each graph node.
set -uo pipefail
W=/tmp/mlops-gpu
OUT=${OUT:-$W/out}
mkdir -p "$W" "$OUT"
libs() {
  local dirs
  dirs=$(find / -xdev \( -name 'libcublasLt.so.13' -o -name 'libcudart.so.13' -o -name 'libcurand.so.10' -o -name 'libcudnn.so.9' \) 2>/dev/null \
    | xargs -r -n1 dirname | sort -u | paste -sd:)
  echo "/usr/local/nvidia/lib64:/usr/local/nvidia/lib:$dirs"
}
case "${1:-}" in
  unpack-provider)
    python3 -c "import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],'wb'), 1<<24)" .gpu/cuda/cuda90.so.xz "$W/libonnxruntime_providers_cuda.so"
    ls -la "$W"
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
    libs | tee "$W/ldpath"
    ;;
  check)
    python3 -c "import tarfile,sys; tarfile.open(sys.argv[1]).extractall(sys.argv[2])" .gpu/app/bundle.tar.xz "$W"
    cp "$W/libonnxruntime_providers_cuda.so" "$W/app/"
    [ -s "$W/ldpath" ] || libs > "$W/ldpath"
    export LD_LIBRARY_PATH="$(cat "$W/ldpath")"
    runs=$(ls "$W/store/runs")
    nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
    echo "== CUDA (the product's choice)"
    "$W/app/MlOps.Bench.GpuCheck" "$W/store" $runs 2> "$OUT/cuda-stderr.log" | tee "$OUT/cuda.jsonl"
    echo "== CPU (MLOPS_DISABLE_GPU=1)"
    MLOPS_DISABLE_GPU=1 "$W/app/MlOps.Bench.GpuCheck" "$W/store" $runs 2> "$OUT/cpu-stderr.log" | tee "$OUT/cpu.jsonl"
    echo "== node placement (ONNX Runtime verbose log)"
    MLOPS_ORT_VERBOSE=1 "$W/app/MlOps.Bench.GpuCheck" "$W/store" $runs > "$OUT/verbose.log" 2>&1
    sed -E 's/^[0-9-]+ [0-9:.]+ //' "$OUT/verbose.log" | grep -A8 -E "placed on|not assigned|Falling back|fallback" | cut -c1-200 | head -80 | tee "$OUT/placements.txt"
    xz -T0 -9 "$OUT/verbose.log" 2>/dev/null || gzip -9 "$OUT/verbose.log"
    tail -5 "$OUT/cuda-stderr.log"
    ;;
  *) echo "usage: bench/gpu-device.sh unpack-provider|check" >&2; exit 2 ;;
esac
