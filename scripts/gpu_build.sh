#!/usr/bin/env bash
# Configure (once) and build selected targets of the CUDA build on the GPU machine, for
# quick iterations on kernels: bash scripts/gpu_build.sh TARGET... (no target: everything).
# scripts/gpu.sh is the full run (build, GPU tests, benchmarks, summary); both unpack the
# carried .gpu-deps/ the same way and build into build-gpu/.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
source scripts/gpu_env.sh
log=${OUT:-/tmp}/build.log
if [ ! -f build-gpu/build.ninja ]; then
  cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DKVB_ENABLE_CUDA=ON \
    -DCMAKE_CUDA_ARCHITECTURES="${CMAKE_CUDA_ARCHITECTURES:-90}" -DKVB_PYTHON="$KVB_PYTHON" \
    -DCMAKE_PREFIX_PATH="$KVB_DEPS_PREFIX/usr;$KVB_TORCH_CMAKE" >"$log" 2>&1 || { tail -40 "$log"; exit 1; }
fi
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build build-gpu -j"$(nproc)" "${targets[@]}" >>"$log" 2>&1 || { grep -E "error|Error" -A4 "$log" | head -80; exit 1; }
