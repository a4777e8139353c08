#!/usr/bin/env bash
# The test command (README, .ci/run): set-up (idempotent), build, run the whole suite with ctest;
# then the suite again under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/); then a
# 60-second libFuzzer run of the spec parsers and the CLI (build-fuzz/, clang-14).
# PLANNER_SKIP_SANITIZERS=1 / PLANNER_SKIP_FUZZ=1 skip the last two stages locally.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
(cd build && ctest --output-on-failure -j "$(nproc)")
if [[ "${PLANNER_SKIP_SANITIZERS:-0}" != 1 ]]; then
  BUILD_DIR=build-asan BUILD_TYPE=Debug \
    CMAKE_ARGS="-DPLANNER_SANITIZE=ON -DPLANNER_BUILD_BENCH=OFF -DPLANNER_WITH_CUDA=OFF" scripts/setup.sh
  (cd build-asan && ctest --output-on-failure -j "$(nproc)")
fi
if [[ "${PLANNER_SKIP_FUZZ:-0}" != 1 ]]; then
  FUZZ_SECONDS=${FUZZ_SECONDS:-30} scripts/fuzz.sh
fi
