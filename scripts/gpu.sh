#!/usr/bin/env bash
# The GPU run, in one call: builds kvbench with CUDA, runs the GPU tests and the benchmarks,
# and prints a short summary table last. Run on the GPU machine from the repo root after
# scripts/gpu_prepare.sh filled .gpu-deps/ and .gpu-data/ here (they travel with `carry`).
# Logs and benchmark JSON go to $OUT (the device tool brings them back) or ./gpu-out.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
out=${OUT:-$root/gpu-out}
mkdir -p "$out"
jobs=$(nproc)

source scripts/gpu_env.sh
prefix=$KVB_DEPS_PREFIX
torch_cmake=$KVB_TORCH_CMAKE
python=$KVB_PYTHON

step() { echo; echo "=== $* ==="; }
status_build=FAIL; status_tests=FAIL; status_bench=SKIP

step "configure + build (CUDA, sm_${CMAKE_CUDA_ARCHITECTURES:-90})"
start=$(date +%s)
# -k 0: a target that fails to compile does not stop the others; the summary says FAIL
# and the steps below still run what was built.
if cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DKVB_ENABLE_CUDA=ON \
     -DCMAKE_CUDA_ARCHITECTURES="${CMAKE_CUDA_ARCHITECTURES:-90}" -DKVB_PYTHON="$python" \
     -DCMAKE_PREFIX_PATH="$prefix/usr;$torch_cmake" >"$out/configure.log" 2>&1 &&
   cmake --build build-gpu -j"$jobs" -- -k 0 >"$out/build.log" 2>&1; then
  status_build=OK
else
  tail -n 30 "$out/configure.log"
  grep -E "error|FAILED" -A4 "$out/build.log" | head -60
fi
build_s=$(( $(date +%s) - start ))

tests_summary="not run"
if [ -x build-gpu/harness/kvbench ]; then
  step "GPU tests (ctest -L gpu)"
  ctest --test-dir build-gpu -L gpu --output-on-failure -j4 2>&1 | tee "$out/gpu-tests.log"
  [ "${PIPESTATUS[0]}" = 0 ] && status_tests=OK
  tests_summary=$(grep -E 'tests passed|tests failed' "$out/gpu-tests.log" | tail -1)
  step "end to end: TinyStories greedy on CUDA (bf16) vs CPU (fp32), full and ada_snapkv"
  e2e_status=SKIP
  model_dir=.gpu-data/shared/models/tinystories-656K
  if [ -d "$model_dir" ]; then
    gen() { build-gpu/harness/kvbench generate --model "$model_dir" --prompt "Once upon a time" \
              --max-new-tokens 40 --chat-template none "$@" 2>&1; }
    gen --device cpu --dtype fp32 | tee "$out/e2e-cpu.txt"
    gen --device cuda --dtype fp32 | tee "$out/e2e-cuda-fp32.txt"
    gen --device cuda --dtype bf16 | tee "$out/e2e-cuda-bf16.txt"
    gen --device cuda --dtype bf16 --method ada_snapkv --budget 8 --set window=4 | tee "$out/e2e-cuda-ada.txt"
    first_text() { grep -v '^\[W' "$1" | head -1; }  # c10 warnings are not generated text
    if [ "$(first_text "$out/e2e-cpu.txt")" = "$(first_text "$out/e2e-cuda-fp32.txt")" ]; then
      e2e_status=OK; else e2e_status=DIFF; fi
  fi
  if [ "${KVB_GPU_BENCH:-1}" = 1 ]; then
    step "kernel benchmarks"
    status_bench=OK
    for b in build-gpu/bench/kvb_*_bench; do
      [ -x "$b" ] || continue
      name=$(basename "$b")
      "$b" --benchmark_out="$out/$name.json" --benchmark_out_format=json \
        --benchmark_min_time=0.05 2>&1 | tee "$out/$name.log" | tail -40 || status_bench=FAIL
    done
  fi
fi

if [ -x build-gpu/harness/kvbench ] && [ "${KVB_GPU_MODEL_BENCH:-1}" = 1 ]; then
  step "model benchmarks: random Llama-3-8B-shape checkpoint, bf16"
  model=/tmp/kvb-llama3-8b-shape
  kvb=build-gpu/harness/kvbench
  [ -f "$model/config.json" ] || $kvb make-model --arch llama --preset llama3-8b-shape --seed 0 --dtype bf16 "$model" >"$out/make-model.log" 2>&1
  ctx=${KVB_BENCH_CONTEXT:-32768}
  $kvb bench decode --model "$model" --context "$ctx" --budget 1024 --method ada_snapkv --baseline full --new-tokens 64 \
    --json "$out/bench_decode.json" 2>&1 | grep -v '^\[W' | tee "$out/bench_decode.log"
  "$python" bench/hf_decode_bench.py --model "$model" --context "$ctx" --new-tokens 64 2>/dev/null | tail -1 \
    | tee "$out/hf_decode.json"
  $kvb bench decode --model "$model" --context "${KVB_BENCH_MEMORY_CONTEXTS:-16384,65536,131072}" --budget 1024 \
    --method ada_snapkv --new-tokens 4 --json "$out/bench_memory.json" 2>&1 | grep -v '^\[W' \
    | tee "$out/bench_memory.log"
  $kvb bench sweep --model "$model" --methods snapkv,ada_snapkv,pyramidkv,ada_pyramidkv --context 16384 --samples "${KVB_BENCH_SWEEP_SAMPLES:-2}" --new-tokens 16 \
    --json "$out/bench_sweep.json" 2>&1 | grep -v '^\[W' | tee "$out/bench_sweep.log"
fi

step "summary"
"$python" - "$out" <<'PY' || true
import json, glob, os, sys
out = sys.argv[1]
for path in sorted(glob.glob(os.path.join(out, "kvb_*_bench.json"))):
    data = json.load(open(path))
    print(f"\n{os.path.basename(path)}  ({data['context'].get('host_name', '')})")
    print(f"{'benchmark':70s} {'time':>12s} {'GB/s':>9s} {'ratio':>7s}")
    for b in data["benchmarks"]:
        bps = b.get("bytes_per_second", 0.0) / 1e9
        ratio = b.get("copy_ratio", b.get("ratio", ""))
        ratio = f"{ratio:.3f}" if isinstance(ratio, float) else ""
        print(f"{b['name'][:70]:70s} {b['real_time']:10.3f}{b['time_unit']:>2s} {bps:9.1f} {ratio:>7s}")
PY
echo
printf '%-12s %-8s %s\n' step status detail
printf '%-12s %-8s %s\n' build "$status_build" "${build_s}s, $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)"
printf '%-12s %-8s %s\n' gpu-tests "$status_tests" "$tests_summary"
printf '%-12s %-8s %s\n' end-to-end "${e2e_status:-SKIP}" "TinyStories text, CUDA fp32 == CPU fp32 (first line)"
printf '%-12s %-8s %s\n' benchmarks "$status_bench" "JSON in $out"
[ "$status_build" = OK ] && [ "$status_tests" = OK ]
