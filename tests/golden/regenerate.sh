#!/usr/bin/env bash
# Regenerates tests/golden/*.{cells,predictions}.csv from the current tree, exactly as golden_sweep_test
# runs the sweep. Only when a change is MEANT to move the scores; commit the diff with a
# message that says why.
#   tests/golden/regenerate.sh [build-dir]      (default: build)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
kvbench="$root/${1:-build}/harness/kvbench"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
golden() {  # name model-dir
  "$kvbench" run "$root/tests/golden/sweep.yaml" --set "model.path=$2" --set "output=$work/$1" --no-report > "$work/$1.log"
  "$kvbench" cells "$work/$1" -o "$root/tests/golden/$1.cells.csv"
  "$kvbench" cells --predictions "$work/$1" -o "$root/tests/golden/$1.predictions.csv"
  echo "tests/golden/$1.{cells,predictions}.csv"
}
shared="${KVB_SHARED_DIR:-$root/../shared}"
if [ -d "$shared/models/tinystories-656K" ]; then golden tinystories-656K "$shared/models/tinystories-656K"; fi
if [ -f "$root/models/SmolLM2-135M-Instruct/config.json" ]; then
  golden SmolLM2-135M-Instruct "$root/models/SmolLM2-135M-Instruct"
fi
for arch in llama mistral qwen2 qwen3; do
  "$kvbench" make-model --arch "$arch" --preset tiny --seed 5 --dtype fp32 "$work/model-$arch" > /dev/null
  golden "random-$arch" "$work/model-$arch"
done
