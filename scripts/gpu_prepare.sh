#!/usr/bin/env bash
# Run HERE (the development machine) before a GPU run through the device tool: gathers what
# the GPU machine lacks and cannot download (it has no network) into git-ignored folders
# that the device call names in `carry`:
#   .gpu-deps/  the Debian packages kvbench builds against (headers + libraries, ~25 MB of .deb)
#   .gpu-data/  the test checkpoint from ../shared (copied, never committed)
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
du -sh .gpu-deps .gpu-data
echo "gpu_prepare: now call the device tool with carry [.gpu-deps, .gpu-data] and command 'bash scripts/gpu.sh'"
