# Sourced by scripts/gpu.sh and scripts/gpu_build.sh on the GPU machine: unpacks the carried
# .deb files (scripts/gpu_prepare.sh downloads them) into a private prefix, never into /,
# and exports where to find them, LibTorch's CMake files and the shared test data.
KVB_DEPS_PREFIX=/tmp/kvb-deps
if [ -d .gpu-deps ] && [ ! -d "$KVB_DEPS_PREFIX/usr" ]; then
  mkdir -p "$KVB_DEPS_PREFIX"
  for f in .gpu-deps/*.deb; do dpkg -x "$f" "$KVB_DEPS_PREFIX"; done
  find "$KVB_DEPS_PREFIX" -name '*.pc' -exec sed -i "s#/usr#$KVB_DEPS_PREFIX/usr#g" {} +
fi
export PKG_CONFIG_PATH="$KVB_DEPS_PREFIX/usr/lib/x86_64-linux-gnu/pkgconfig:$KVB_DEPS_PREFIX/usr/share/pkgconfig:${PKG_CONFIG_PATH:-}"
export LD_LIBRARY_PATH="$KVB_DEPS_PREFIX/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
[ -d .gpu-data/shared ] && export KVB_SHARED_DIR="$PWD/.gpu-data/shared"
export KVB_PYTHON=${KVB_PYTHON:-python3}
KVB_TORCH_CMAKE=$("$KVB_PYTHON" -c 'import torch; print(torch.utils.cmake_prefix_path)')
# The random Llama-3-8B-shape checkpoint every model benchmark runs (gpu.sh, the decode-step
# A/B, the step profile), made once per machine. $1: the kvbench binary, $2: a log file.
KVB_LLAMA8B_SHAPE_MODEL=/tmp/kvb-llama3-8b-shape
kvb_make_llama8b_shape_model() {
  [ -f "$KVB_LLAMA8B_SHAPE_MODEL/config.json" ] ||
    "$1" make-model --arch llama --preset llama3-8b-shape --seed 0 --dtype bf16 "$KVB_LLAMA8B_SHAPE_MODEL" >"${2:-/dev/null}" 2>&1
}
