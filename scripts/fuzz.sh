#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-14 and runs each for FUZZ_SECONDS (default 30; CI runs
# both, 60 s in all). Seeds: the shipped presets and the bad-input corpus. A crash leaves its input
# in build-fuzz/crash-*: add it to tests/bad_inputs/ as a case. Longer runs: FUZZ_SECONDS=3600.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${FUZZ_SECONDS:-30}
CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPLANNER_FUZZ=ON -DPLANNER_BUILD_TESTS=OFF -DPLANNER_BUILD_BENCH=OFF -DPLANNER_BUILD_COMM=OFF \
  -DPLANNER_WITH_CUDA=OFF >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target spec_fuzzer cli_fuzzer
mkdir -p build-fuzz/corpus/spec build-fuzz/corpus/cli
cp configs/models/*.yaml configs/clusters/*.yaml tests/bad_inputs/*.yaml build-fuzz/corpus/spec/ 2>/dev/null || true
printf 'count\ngpt2-xl' > build-fuzz/corpus/cli/count
printf 'flops\ngpt2-xl\n--seq\n2048\n--recompute\nfull' > build-fuzz/corpus/cli/flops
printf 'explain\ndgx-h100\nllama2-7b\n--tp\n2\n--pp\n2' > build-fuzz/corpus/cli/explain
printf 'chinchilla\n--flops\n5.76e23' > build-fuzz/corpus/cli/chinchilla
cd build-fuzz
./fuzz/spec_fuzzer -max_total_time="$SECONDS_EACH" -max_len=8192 -print_final_stats=1 corpus/spec
./fuzz/cli_fuzzer -max_total_time="$SECONDS_EACH" -max_len=512 -timeout=10 -print_final_stats=1 corpus/cli
