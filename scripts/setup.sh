#!/usr/bin/env bash
# Installs every system package the project needs (Debian 12), then configures and builds in build/.
# Idempotent: re-running only rebuilds what changed. CUDA/NCCL/cuBLAS are used when CMake finds
# them (e.g. /usr/local/cuda); they are not installed here.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake pkg-config
  libyaml-cpp-dev libboost-program-options-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libopenmpi-dev openmpi-bin libopenblas-dev
  python3 python3-matplotlib python3-yaml
  clang-14 libclang-rt-14-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
# -g1 (line tables only): backtraces, profilers and sanitizer reports keep file:line, and the
# build takes about a quarter less time than with full debug information (-g). Unity builds
# (several .cc files compiled as one) parse the heavy headers (yaml-cpp, nlohmann/json, Boost,
# gtest) fewer times; UNITY_BUILD=OFF for a tree you edit and rebuild file by file.
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" -DCMAKE_CXX_FLAGS_DEBUG=-g1 \
  -DCMAKE_UNITY_BUILD=${UNITY_BUILD:-ON} ${CMAKE_ARGS:-} >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS"
