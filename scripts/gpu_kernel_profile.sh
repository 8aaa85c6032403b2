#!/usr/bin/env bash
# Nsight Compute on one decode_attention launch per benchmark row, on the GPU machine: where
# a launch's time goes when the copy of the same bytes would take less (issue 7's fixed cost).
# Per row it prints the launch's duration, DRAM throughput (% of peak), achieved occupancy,
# the grid, registers per thread and the warp stall reasons ncu ranks highest. ncu flushes
# the caches before the launch it profiles (--cache-control all) and leaves the clocks alone
# (--clock-control none), so the duration compares with the bench's flushed graph:0 rows.
#   there: bash scripts/gpu_kernel_profile.sh   (carry .gpu-deps; KVB_PROFILE_ROWS: ctx:gqa pairs,
#   default "4096:4 16384:4 32768:4 16384:8 131072:4")
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${OUT:-/tmp}
source scripts/gpu_env.sh
bash scripts/gpu_build.sh kvb_decode_attention_bench >"$out/kernel_profile_build.log" 2>&1 ||
  { tail -20 "$out/kernel_profile_build.log"; exit 1; }
bench=$(find build-gpu -name kvb_decode_attention_bench -type f | head -1)
ncu=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)
[ -n "$ncu" ] || { echo "gpu_kernel_profile: no ncu on this machine" >&2; exit 1; }
for row in ${KVB_PROFILE_ROWS:-4096:4 16384:4 32768:4 16384:8 131072:4}; do
  ctx=${row%%:*} gqa=${row##*:}
  echo "=== decode_attention ctx $ctx, GQA $gqa, uniform, hd 128, bf16, one cache ==="
  # Skip the warm-up launches; profile one from the timed loop.
  "$ncu" -k regex:DecodeAttention --launch-skip 4 --launch-count 1 --clock-control none \
    --section SpeedOfLight --section Occupancy --section LaunchStats --section WarpStateStats \
    "$bench" --benchmark_filter="decode_attention/ctx:$ctx/gqa:$gqa/skew:0/hd:128/n:1/b2b:0/graph:0/" \
    --benchmark_min_time=0.01 >"$out/kernel_profile_${ctx}_${gqa}.txt" 2>&1
  grep -E "DecodeAttention|Duration|DRAM Throughput|Memory Throughput|Achieved Occupancy|Theoretical Occupancy|Grid Size|Registers Per|Waves Per SM|Stall|stall|cycles being stalled" \
    "$out/kernel_profile_${ctx}_${gqa}.txt" | head -30
done
