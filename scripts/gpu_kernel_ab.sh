#!/usr/bin/env bash
# A/B of the decode-attention kernel on the GPU machine, both sides in one run: the bench
# built with a baseline kernel header, then with the working tree's; prints both medians.
# The device copy of the tree has no git history, so the baseline travels as a file:
#   here:  mkdir -p .gpu-deps/ab && git show REV:kernels/cuda/decode_attention_kernel.cuh > .gpu-deps/ab/old_kernel.cuh
#   there: bash scripts/gpu_kernel_ab.sh .gpu-deps/ab/old_kernel.cuh      (carry .gpu-deps)
# KVB_AB_FILTER narrows the benchmark rows (default: ctx 4k-128k x GQA 4/8 x uniform/skewed, hd 128).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
baseline=${1:?usage: gpu_kernel_ab.sh BASELINE_HEADER}
header=kernels/cuda/decode_attention_kernel.cuh
out=${OUT:-/tmp}
filter=${KVB_AB_FILTER:-'decode_attention/ctx:(4096|16384|32768|65536|131072)/gqa:(4|8)/skew:(0|1)/hd:128/n:1/b2b:0'}
source scripts/gpu_env.sh
bench_medians() {  # $1: output file
  bash scripts/gpu_build.sh kvb_decode_attention_bench || exit 1
  "$(find build-gpu -name kvb_decode_attention_bench -type f | head -1)" --benchmark_filter="$filter" \
    --benchmark_repetitions=3 --benchmark_report_aggregates_only=true 2>&1 | grep -E "median|device-to-device" >"$1"
}
bench_medians "$out/ab_new.txt"
cp "$header" /tmp/ab_new_kernel.cuh
cp "$baseline" "$header"
trap 'cp /tmp/ab_new_kernel.cuh "$root/$header"' EXIT  # the tree's header back, whatever happens
bench_medians "$out/ab_old.txt"
printf '%-58s %10s %10s\n' benchmark baseline tree
join <(awk '/median/{sub("/manual_time_median","",$1); for(i=2;i<=NF;i++) if($i~/^copy_ratio=/) print $1, substr($i,12)}' "$out/ab_old.txt" | sort) \
     <(awk '/median/{sub("/manual_time_median","",$1); for(i=2;i<=NF;i++) if($i~/^copy_ratio=/) print $1, substr($i,12)}' "$out/ab_new.txt" | sort) |
  awk '{printf "%-58s %10.3f %10.3f\n", $1, $2, $3}'
