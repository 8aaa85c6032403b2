#!/usr/bin/env bash
# A/B of kernel sources on the GPU machine, every side in one run: the decode-attention
# bench built with the working tree, then with each variant in turn; prints one column of
# medians per side. A variant is a folder that mirrors the repo's paths and holds only the
# files it replaces (the device copy of the tree has no git history, so a baseline travels
# as files):
#   here:  d=.gpu-deps/ab/base; mkdir -p $d/kernels/cuda
#          for f in decode_attention.cu decode_attention_kernel.cuh; do
#            git show REV:kernels/cuda/$f > $d/kernels/cuda/$f; done
#   there: bash scripts/gpu_kernel_ab.sh .gpu-deps/ab/base [more variant folders]   (carry .gpu-deps)
# KVB_AB_FILTER narrows the benchmark rows (default: ctx 4k-128k x GQA 4/8 x uniform/skewed,
# hd 128, replayed from a CUDA graph); KVB_AB_MIN_TIME the seconds per repetition (default 0.5);
# KVB_AB_TEST=1 also builds and runs kernels_decode_attention_cuda_test on every side (a
# faster variant that gives wrong numbers is no candidate). Two tables: copy_ratio (against
# a 512 MiB copy) and same_copy_ratio (against a copy moving the same bytes).
# KVB_AB_BENCH=decode-step compares the whole decode step instead (variants of model/ or
# kernels/ files): every side builds kvbench and runs `bench decode` on a random
# Llama-3-8B-shape checkpoint at KVB_AB_CONTEXT tokens (default 32768), ada_snapkv 1024
# against full, and the side's table is printed as it is.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
[ $# -ge 1 ] || { echo "usage: gpu_kernel_ab.sh VARIANT_DIR..." >&2; exit 2; }
out=${OUT:-/tmp}
filter=${KVB_AB_FILTER:-'decode_attention/ctx:(4096|16384|32768|65536|131072)/gqa:(4|8)/skew:(0|1)/hd:128/n:1/b2b:0/graph:1'}
source scripts/gpu_env.sh
saved=/tmp/ab_tree
rm -rf "$saved" && mkdir -p "$saved"
restore() { cp -r "$saved/." "$root/"; }  # the tree's files back, whatever happens
apply_variant() {  # $1: variant folder; the files it replaces are saved first
  (cd "$1" && find . -type f) | while read -r file; do
    mkdir -p "$saved/$(dirname "$file")"
    [ -f "$saved/$file" ] || cp "$root/$file" "$saved/$file"
    cp "$1/$file" "$root/$file"
  done
}
trap restore EXIT

test_target=kernels_decode_attention_cuda_test
bench_medians() {  # $1: output file
  local targets=kvb_decode_attention_bench
  [ "${KVB_AB_TEST:-0}" = 1 ] && targets="$targets $test_target"
  bash scripts/gpu_build.sh $targets || exit 1
  if [ "${KVB_AB_TEST:-0}" = 1 ]; then
    local test_bin
    test_bin=$(find build-gpu -name $test_target -type f | head -1)
    if "$test_bin" >"$1.test" 2>&1; then echo "$(basename "$1"): $test_target passed ($(grep -c '^\[       OK' "$1.test") tests)"
    else echo "$(basename "$1"): $test_target FAILED"; grep -E '^\[  FAILED' "$1.test" | head; fi
  fi
  "$(find build-gpu -name kvb_decode_attention_bench -type f | head -1)" --benchmark_filter="$filter" \
    --benchmark_repetitions=3 --benchmark_min_time="${KVB_AB_MIN_TIME:-0.5}" --benchmark_report_aggregates_only=true 2>&1 | grep -E "median|device-to-device" >"$1"
}
decode_step() {  # $1: output file
  bash scripts/gpu_build.sh kvbench || exit 1
  local kvb=build-gpu/harness/kvbench model=$KVB_LLAMA8B_SHAPE_MODEL
  kvb_make_llama8b_shape_model $kvb || exit 1
  $kvb bench decode --model $model --context "${KVB_AB_CONTEXT:-32768}" --budget 1024 --method ada_snapkv \
    --baseline full --new-tokens 64 2>&1 | grep -v '^\[W' >"$1"
}
if [ "${KVB_AB_BENCH:-kernel}" = decode-step ]; then
  decode_step "$out/ab_tree.txt"
  for variant in "$@"; do
    apply_variant "$variant"
    decode_step "$out/ab_$(basename "$variant").txt"
    restore
  done
  for side in tree "$@"; do echo; echo "== $(basename "$side")"; cat "$out/ab_$(basename "$side").txt"; done
  exit 0
fi

ratios() {  # $1: counter, $2: bench output -> benchmark name, median of the counter
  awk -v key="$1=" '/median/{sub("/manual_time_median","",$1); for(i=2;i<=NF;i++) if(index($i,key)==1) print $1, substr($i,length(key)+1)}' "$2" | sort
}
counters="copy_ratio same_copy_ratio"

bench_medians "$out/ab_tree.txt"
for counter in $counters; do ratios $counter "$out/ab_tree.txt" >/tmp/ab_table.$counter; done
header="tree"
for variant in "$@"; do
  apply_variant "$variant"
  name=$(basename "$variant")
  bench_medians "$out/ab_$name.txt"
  for counter in $counters; do
    join /tmp/ab_table.$counter <(ratios $counter "$out/ab_$name.txt") >/tmp/ab_joined && mv /tmp/ab_joined /tmp/ab_table.$counter
  done
  header="$header $name"
  restore
done
grep -h device-to-device "$out/ab_tree.txt"
for counter in $counters; do
  echo; printf '%-66s' "$counter"; for h in $header; do printf ' %9s' "$h"; done; echo
  awk '{printf "%-66s", $1; for (i = 2; i <= NF; i++) printf " %9.3f", $i; print ""}' /tmp/ab_table.$counter
done
