#!/usr/bin/env bash
# The test command: set-up (idempotent), build, run the whole suite with ctest, then again under
# AddressSanitizer + UndefinedBehaviorSanitizer in build-asan/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
(cd build && ctest --output-on-failure -j "$(nproc)")
if [[ "${PLANNER_SKIP_SANITIZERS:-0}" != 1 ]]; then
  BUILD_DIR=build-asan BUILD_TYPE=Debug \
    CMAKE_ARGS="-DPLANNER_SANITIZE=ON -DPLANNER_BUILD_BENCH=OFF -DPLANNER_WITH_CUDA=OFF" scripts/setup.sh
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j "$(nproc)")
fi
