#!/usr/bin/env bash
# GPU check for commbench and matbench, in one prepared run of under 8 minutes:
#   1. builds comm/ standalone (cmake -S comm) with CUDA, NCCL and cuBLAS;
#   2. runs commbench with the nccl backend, one rank per visible GPU, every collective, -c 1;
#   3. runs matbench in bfloat16: the sharded MLP and a GEMM sweep (efficiency vs. the GPU's peak);
#   4. writes commbench.json, matbench.json, the text logs and summary.txt into the output folder.
# Budget: build about 1-2 min on 16 cores; the runs are capped at 200 s and 150 s.
# Run --fetch-deps where there is network, then ship the tree with build-gpu-deps/ (git-ignored,
# about 10 MB) to the GPU machine and run the script there.
#
# usage:
#   scripts/gpu_check.sh --fetch-deps   # here, with network: Debian .debs into build-gpu-deps/
#   scripts/gpu_check.sh [OUT_DIR]      # on the GPU machine; OUT_DIR defaults to $OUT, else
#                                       # gpu_check_out/
#   GPU_CHECK_BUILD_ONLY=1 scripts/gpu_check.sh [OUT_DIR]   # build and stop (a machine w/o GPU)
#
# A GPU machine here may have no network and lack MPI, Boost and yaml-cpp. The plan:
# * Only comm/ is built (standalone CMake project), so yaml-cpp, GTest and Google Benchmark,
#   which the planner's top-level build requires, are not needed.
# * commbench's own dependencies (Boost.Program_options, nlohmann-json) come as Debian 12 .debs
#   fetched here with `apt-get download` into build-gpu-deps/debs (git-ignored; send it along
#   with the tree) and unpacked there with `dpkg -x` into
#   build-gpu-deps/root, a prefix CMake searches first. Installed copies work as well.
# * MPI is optional: when mpirun and MPI headers exist, one rank per GPU runs under mpirun;
#   otherwise commbench and matbench build without MPI and run as one process on GPU 0 (the
#   summary says so when more GPUs are visible). Relocating OpenMPI from .debs (OPAL_PREFIX,
#   plugins, PMIx, hwloc) was judged too fragile to rely on without a machine to test it.
# * NCCL comes from the CUDA install or from the nvidia-nccl Python wheel next to PyTorch.
set -euo pipefail
cd "$(dirname "$0")/.."

DEPS_DIR=build-gpu-deps
BUILD_DIR=build-gpu
DEB_PACKAGES=(libboost1.74-dev libboost-program-options1.74-dev libboost-program-options1.74.0
              nlohmann-json3-dev)

log() { echo "gpu_check: $*" >&2; }

fetch_deps() {
  mkdir -p "${DEPS_DIR}/debs"
  (cd "${DEPS_DIR}/debs" && apt-get download "${DEB_PACKAGES[@]}")
  du -sh "${DEPS_DIR}/debs"
}

unpack_deps() {
  [[ -d "${DEPS_DIR}/debs" ]] || return 0
  mkdir -p "${DEPS_DIR}/root"
  for deb in "${DEPS_DIR}"/debs/*.deb; do dpkg -x "${deb}" "${DEPS_DIR}/root"; done
  export LD_LIBRARY_PATH="${PWD}/${DEPS_DIR}/root/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
}

# Prints "-DNCCL_INCLUDE_DIR=... -DNCCL_LIBRARY=..." when NCCL is somewhere CMake would not look.
nccl_flags() {
  local dir
  for dir in /usr /usr/local/cuda /usr/local/nccl; do
    [[ -f "${dir}/include/nccl.h" ]] && return 0
  done
  dir=$(python3 -c 'import nvidia.nccl, os; print(list(nvidia.nccl.__path__)[0])' 2>/dev/null) ||
    return 0
  local lib
  lib=$(ls "${dir}"/lib/libnccl.so* 2>/dev/null | head -1)
  [[ -f "${dir}/include/nccl.h" && -n "${lib}" ]] || return 0
  export LD_LIBRARY_PATH="${dir}/lib:${LD_LIBRARY_PATH:-}"
  echo "-DNCCL_INCLUDE_DIR=${dir}/include -DNCCL_LIBRARY=${lib}"
}

build() {
  local generator=()
  command -v ninja > /dev/null && generator=(-G Ninja)
  # shellcheck disable=SC2046
  cmake -S comm -B "${BUILD_DIR}" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="${PWD}/${DEPS_DIR}/root/usr" $(nccl_flags) > "${OUT_DIR}/build.log"
  cmake --build "${BUILD_DIR}" -j "$(nproc)" >> "${OUT_DIR}/build.log"
  grep -E "comm \(standalone\)" "${OUT_DIR}/build.log" >&2
  grep -q "CUDA/NCCL=ON" "${OUT_DIR}/build.log" || { log "CUDA/NCCL not found"; exit 1; }
}

gpu_count() { nvidia-smi -L 2> /dev/null | grep -c '^GPU' || true; }

# Dense bf16 peak per GPU (datasheets), for matbench's efficiency column.
bf16_peak_tflops() {
  case "$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)" in
    *H100*PCIe*) echo 756 ;;
    *H100* | *H200* | *H800* | *GH200*) echo 989 ;;
    *B200*) echo 2250 ;;
    *A100*) echo 312 ;;
    *L40S*) echo 362 ;;
    *) echo 0 ;;
  esac
}

# How to start one rank per GPU: mpirun when this build has MPI, else a single process.
launcher() {
  local gpus=$1
  if grep -q "MPI=ON" "${OUT_DIR}/build.log" && command -v mpirun > /dev/null; then
    echo "mpirun --allow-run-as-root --oversubscribe -n ${gpus}"
  fi
}

run_commbench() {
  local gpus=$1 launch
  launch=$(launcher "${gpus}")
  # shellcheck disable=SC2086
  timeout 200 ${launch} "${BUILD_DIR}/commbench" --backend nccl -b 8 -e 256M -f 4 -n 20 -w 5 \
    -c 1 --machine "$(hostname) $(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)" \
    --json "${OUT_DIR}/commbench.json" > "${OUT_DIR}/commbench.txt" 2>&1
}

run_matbench() {
  local gpus=$1 launch peak
  launch=$(launcher "${gpus}")
  peak=$(bf16_peak_tflops)
  # shellcheck disable=SC2086
  timeout 150 ${launch} "${BUILD_DIR}/matbench" --engine cublas -d bfloat16 --tokens 4096 \
    --d-model 8192 --d-ff 28672 -n 10 -w 3 --sweep-min 256 --sweep-max 16384 \
    --peak-tflops "${peak}" --json "${OUT_DIR}/matbench.json" > "${OUT_DIR}/matbench.txt" 2>&1
}

summarise() {
  local gpus=$1 ranks=$2 status=$3
  {
    echo "gpu_check $(date -u +%FT%TZ) on $(hostname)"
    nvidia-smi --query-gpu=index,name,memory.total,driver_version --format=csv,noheader
    echo "visible GPUs: ${gpus}; ranks run: ${ranks}; status: ${status}"
    grep -E "^# (Collective test starting|Out of bounds|Avg bus bandwidth)" \
      "${OUT_DIR}/commbench.txt" || true
    grep -vE "^#" "${OUT_DIR}/matbench.txt" | head -3 || true
    grep -E "error bound|error" "${OUT_DIR}/matbench.txt" || true
    tail -4 "${OUT_DIR}/matbench.txt" || true
  } > "${OUT_DIR}/summary.txt"
  cat "${OUT_DIR}/summary.txt"
}

main() {
  if [[ "${1:-}" == "--fetch-deps" ]]; then
    fetch_deps
    return
  fi
  OUT_DIR=${1:-${OUT:-gpu_check_out}}
  mkdir -p "${OUT_DIR}"
  unpack_deps
  build
  if [[ "${GPU_CHECK_BUILD_ONLY:-0}" == 1 ]]; then
    log "built ${BUILD_DIR}/commbench and ${BUILD_DIR}/matbench (build only)"
    return
  fi
  local gpus ranks status=ok
  gpus=$(gpu_count)
  ((gpus > 0)) || { log "no GPU visible"; exit 1; }
  ranks=1
  [[ -n "$(launcher "${gpus}")" ]] && ranks=${gpus}
  ((ranks < gpus)) && log "no MPI: running one process on GPU 0 of ${gpus}"
  run_commbench "${ranks}" || status="commbench failed ($?)"
  run_matbench "${ranks}" || status="${status}; matbench failed ($?)"
  summarise "${gpus}" "${ranks}" "${status}"
  [[ "${status}" == ok ]]
}

main "$@"
