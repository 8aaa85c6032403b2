#!/usr/bin/env bash
# The GPU run: builds kvbench with CUDA, runs the GPU tests and the benchmarks, and prints
# a short summary table last. Run on the GPU machine from the repo root after
# scripts/gpu_prepare.sh filled .gpu-deps/, .gpu-data/ and .gpu-model-{a,b}/ here (they
# travel with the device tool's `carry`).
#   bash scripts/gpu.sh                       # every stage
#   KVB_GPU_STAGES="build tests" bash scripts/gpu.sh
# Stages (in this order): build, tests (ctest -L gpu + TinyStories CUDA vs CPU),
# kernel-bench (Google Benchmark binaries), smollm2 (convert the carried GGUF, bf16 golden
# sweep, head-scores, the needle sweep to 8k with its report), model-bench (random
# Llama-3-8B-shape checkpoint: bench decode vs full and transformers, memory, sweep).
# Everything goes to $KVB_GPU_LOGS (default /tmp/kvb-gpu-out), packed after every stage
# into $OUT/gpu-results.tgz (a call cut off by its time limit still brings back the stages
# it finished), with $OUT/summary.txt at the end (the device tool brings back at most 8
# files). The two-call sequence that carries everything: scripts/gpu_prepare.sh prints it.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
out=${OUT:-$root/gpu-out}
logs=${KVB_GPU_LOGS:-/tmp/kvb-gpu-out}
mkdir -p "$out" "$logs"
stages=" ${KVB_GPU_STAGES:-build tests kernel-bench smollm2 model-bench} "
want() { [[ "$stages" == *" $1 "* ]]; }
jobs=$(nproc)

source scripts/gpu_env.sh
python=$KVB_PYTHON
kvb=build-gpu/harness/kvbench
summary=()
record() {
  summary+=("$(printf '%-13s %-6s %s' "$1" "$2" "$3")")
  printf '%s\n' "${summary[@]}" >"$logs/stages.txt"
  tar -czf "$out/gpu-results.tgz" -C "$logs" . 2>/dev/null
}
step() { echo; echo "=== $* ==="; }
strip_warnings() { grep -v '^\[W'; }  # c10 warning lines are not output

if want build; then
  step "configure + build (CUDA, sm_${CMAKE_CUDA_ARCHITECTURES:-90})"
  start=$(date +%s)
  # -k 0: a target that fails to compile does not stop the others.
  if cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DKVB_ENABLE_CUDA=ON \
       -DCMAKE_CUDA_ARCHITECTURES="${CMAKE_CUDA_ARCHITECTURES:-90}" -DKVB_PYTHON="$python" \
       -DCMAKE_PREFIX_PATH="$KVB_DEPS_PREFIX/usr;$KVB_TORCH_CMAKE" >"$logs/configure.log" 2>&1 &&
     cmake --build build-gpu -j"$jobs" -- -k 0 >"$logs/build.log" 2>&1; then
    record build OK "$(( $(date +%s) - start ))s, $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)"
  else
    tail -n 30 "$logs/configure.log"
    grep -E "error|FAILED" -A4 "$logs/build.log" | head -60
    record build FAIL "see build.log"
  fi
fi

# The carried SmolLM2 GGUF (two parts: one carry holds at most 64 MiB) -> HF checkpoint.
smollm=$root/models/SmolLM2-135M-Instruct
if [ ! -f "$smollm/config.json" ] && [ -x "$kvb" ] && ls .gpu-model-a/*.part >/dev/null 2>&1 &&
   ls .gpu-model-b/*.part >/dev/null 2>&1; then
  step "SmolLM2-135M-Instruct: assemble the GGUF parts and convert"
  cat .gpu-model-a/*.part .gpu-model-b/*.part >/tmp/smollm2.gguf
  if (cd /tmp && sha256sum -c "$root/.gpu-model-b/smollm2.gguf.sha256"); then
    $kvb convert gguf /tmp/smollm2.gguf "$smollm" --dtype bf16 2>&1 | strip_warnings | tail -2
  else
    record smollm2 FAIL "the assembled GGUF does not match its checksum"
  fi
fi
[ -f "$smollm/config.json" ] && export KVB_SMOLLM2_DIR=$smollm

if want tests && [ -x "$kvb" ]; then
  step "GPU tests (ctest -L gpu)"
  ctest --test-dir build-gpu -L gpu --output-on-failure -j4 >"$logs/gpu-tests.log" 2>&1
  status=$([ $? = 0 ] && echo OK || echo FAIL)
  grep -E "^ *[0-9]+/[0-9]+ Test|tests passed|tests failed|Skipped|SKIPPED" "$logs/gpu-tests.log" | tail -40
  record gpu-tests "$status" "$(grep -E 'tests passed|tests failed' "$logs/gpu-tests.log" | tail -1)"

  step "end to end: TinyStories greedy on CUDA vs CPU, full and ada_snapkv"
  model_dir=.gpu-data/shared/models/tinystories-656K
  if [ -d "$model_dir" ]; then
    gen() { $kvb generate --model "$model_dir" --prompt "Once upon a time" --max-new-tokens 40 \
              --chat-template none "$@" 2>&1 | strip_warnings; }
    gen --device cpu --dtype fp32 | tee "$logs/e2e-cpu.txt"
    gen --device cuda --dtype fp32 | tee "$logs/e2e-cuda-fp32.txt"
    gen --device cuda --dtype bf16 | tee "$logs/e2e-cuda-bf16.txt"
    gen --device cuda --dtype bf16 --method ada_snapkv --budget 8 --set window=4 | tee "$logs/e2e-cuda-ada.txt"
    same=$([ "$(head -1 "$logs/e2e-cpu.txt")" = "$(head -1 "$logs/e2e-cuda-fp32.txt")" ] && echo OK || echo DIFF)
    record end-to-end "$same" "TinyStories text, CUDA fp32 == CPU fp32 (first line)"
  fi
fi

if want kernel-bench && [ -x "$kvb" ]; then
  step "kernel benchmarks"
  status=OK
  for b in build-gpu/bench/kvb_*_bench; do
    [ -x "$b" ] || continue
    name=$(basename "$b")
    "$b" --benchmark_out="$logs/$name.json" --benchmark_out_format=json --benchmark_min_time=0.05 \
      >"$logs/$name.log" 2>&1 || status=FAIL
  done
  record kernel-bench "$status" "Google Benchmark JSON per binary"
fi

if want smollm2 && [ -x "$kvb" ] && [ -n "${KVB_SMOLLM2_DIR:-}" ]; then
  step "SmolLM2: the golden sweep in bf16 on CUDA vs the CPU fp32 golden cells"
  words=/usr/share/dict/american-english; [ -f "$words" ] || words=$root/.gpu-data/american-english
  $kvb run tests/golden/sweep.yaml --set model.path="$smollm" --set model.dtype=bfloat16 --set model.device=cuda --set "datasets.1.options.words=$words" \
    --set output="$logs/golden-bf16" --no-report >"$logs/golden-bf16.log" 2>&1 || tail -5 "$logs/golden-bf16.log"
  $kvb cells "$logs/golden-bf16" -o "$logs/golden-bf16.cells.csv" >/dev/null 2>&1
  $kvb compare tests/golden/SmolLM2-135M-Instruct.cells.csv "$logs/golden-bf16.cells.csv" --tolerance 100 \
    2>&1 | strip_warnings | tee "$logs/golden-bf16.compare.txt" | tail -25
  record golden-bf16 "$([ -s "$logs/golden-bf16.cells.csv" ] && echo OK || echo FAIL)" "cells vs CPU fp32 in golden-bf16.compare.txt"

  step "SmolLM2: converted checkpoint vs transformers on CUDA (bf16)"
  ctest --test-dir build-gpu -R gpu_smollm2 --output-on-failure >"$logs/smollm2-parity.log" 2>&1
  status=$([ $? = 0 ] && echo OK || echo FAIL)
  tail -15 "$logs/smollm2-parity.log"
  record smollm2-parity "$status" "$(grep -E 'tests passed|tests failed' "$logs/smollm2-parity.log" | tail -1)"

  step "SmolLM2: head-scores (copy, reason), then the needle sweep 1k-8k x 10 depths"
  mkdir -p runs
  for kind in copy reason; do
    /usr/bin/time -f "%e s" $kvb head-scores --model "$smollm" --kind "$kind" --max-length 8000 --min-f1 "${KVB_HEAD_MIN_F1:-50}" \
      -o "runs/smollm2_${kind}_heads.json" >"$logs/head-scores-$kind.log" 2>&1
    if [ ! -s "runs/smollm2_${kind}_heads.json" ]; then  # no instance answered well enough: keep them all
      echo "head-scores $kind: no instance above --min-f1; rerun keeping every instance (--min-f1 -1)" | tee -a "$logs/head-scores-$kind.log"
      $kvb head-scores --model "$smollm" --kind "$kind" --max-length 8000 --min-f1 -1 \
        -o "runs/smollm2_${kind}_heads.json" >>"$logs/head-scores-$kind.log" 2>&1
    fi
    tail -3 "$logs/head-scores-$kind.log"
    cp "runs/smollm2_${kind}_heads.json" "$logs/" 2>/dev/null
  done
  $kvb run configs/needle_smollm2_gpu.yaml --set output="$logs/needle" >"$logs/needle.log" 2>&1
  needle=$?
  tail -40 "$logs/needle.log" | strip_warnings
  record needle-8k "$([ $needle = 0 ] && echo OK || echo FAIL)" "report in needle/report/"
fi

if want model-bench && [ -x "$kvb" ]; then
  step "model benchmarks: random Llama-3-8B-shape checkpoint, bf16"
  model=$KVB_LLAMA8B_SHAPE_MODEL
  kvb_make_llama8b_shape_model "$kvb" "$logs/make-model.log"
  ctx=${KVB_BENCH_CONTEXT:-32768}
  $kvb bench decode --model "$model" --context "$ctx" --budget 1024 --method ada_snapkv --baseline full --new-tokens 64 \
    --json "$logs/bench_decode.json" 2>&1 | strip_warnings | tee "$logs/bench_decode.log"
  "$python" bench/hf_decode_bench.py --model "$model" --context "$ctx" --new-tokens 64 2>/dev/null | tail -1 \
    | tee "$logs/hf_decode.json"
  $kvb bench decode --model "$model" --context "${KVB_BENCH_MEMORY_CONTEXTS:-16384,65536,131072}" --budget 1024 \
    --method ada_snapkv --new-tokens 4 --json "$logs/bench_memory.json" 2>&1 | strip_warnings | tee "$logs/bench_memory.log"
  $kvb bench sweep --model "$model" --methods snapkv,ada_snapkv,pyramidkv,ada_pyramidkv --context 16384 \
    --samples "${KVB_BENCH_SWEEP_SAMPLES:-2}" --new-tokens 16 --json "$logs/bench_sweep.json" 2>&1 | strip_warnings \
    | tee "$logs/bench_sweep.log"
  record model-bench "$([ -s "$logs/bench_decode.json" ] && echo OK || echo FAIL)" "bench_*.json"
fi

step "summary"
{
  "$python" - "$logs" <<'PY' || true
import json, glob, os, sys
logs = sys.argv[1]
for path in sorted(glob.glob(os.path.join(logs, "kvb_*_bench.json"))):
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
  printf '%-13s %-6s %s\n' stage status detail
  printf '%s\n' "${summary[@]}"
} | tee "$out/summary.txt"
! printf '%s\n' "${summary[@]}" | grep -q ' FAIL '
