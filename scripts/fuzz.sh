#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-14 and runs each for FUZZ_SECONDS (default 20; CI runs
# all three, 60 s in all): spec_fuzzer (model and cluster YAML), reader_fuzzer (runs file, compare
# file, stack file, commbench/matbench JSON) and cli_fuzzer (every subcommand; the searching ones
# on small inputs). Seeds: fuzz/corpus/<target>/ in the repository, plus the shipped presets and
# the bad-input corpus. A crash leaves its input in the build folder as crash-*: add it to
# tests/bad_inputs/ as a case. FUZZ_GROW=1 merges what a run found that adds coverage back into
# fuzz/corpus/ (commit it). Longer runs: FUZZ_SECONDS=3600 FUZZ_GROW=1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECONDS_EACH=${FUZZ_SECONDS:-20}
# FUZZ_BUILD_DIR: a tree configured with PLANNER_FUZZ=ON (scripts/test.sh passes its sanitizer
# tree); by default build-fuzz/, configured here with only what the fuzzers need.
DIR=${FUZZ_BUILD_DIR:-build-fuzz}
if ! grep -qs '^PLANNER_FUZZ:BOOL=ON' "$DIR/CMakeCache.txt"; then
  CC=clang-14 CXX=clang++-14 cmake -S . -B "$DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPLANNER_FUZZ=ON -DPLANNER_BUILD_TESTS=OFF -DPLANNER_BUILD_BENCH=OFF -DPLANNER_BUILD_COMM=OFF \
    -DPLANNER_WITH_CUDA=OFF >/dev/null
fi
cmake --build "$DIR" -j "$(nproc)" --target spec_fuzzer reader_fuzzer cli_fuzzer
for t in spec reader cli; do
  mkdir -p "$DIR/corpus/$t"
  cp fuzz/corpus/$t/* "$DIR/corpus/$t/"
done
cp configs/models/*.yaml configs/clusters/*.yaml tests/bad_inputs/*.yaml "$DIR/corpus/spec/" 2>/dev/null || true
cp configs/stacks/*.yaml configs/examples/*.yaml "$DIR/corpus/reader/"
cd "$DIR"
# Each fuzzer runs under a hard time limit; any crash, sanitizer report, out-of-memory stop,
# timeout or hang fails the run.
fuzz() {
  local name=$1 log=$1.log
  shift
  local rc=0
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:symbolize=0} \
    timeout -s KILL $((SECONDS_EACH + 60)) "./fuzz/$name" -max_total_time="$SECONDS_EACH" \
    -print_final_stats=1 "$@" > "$log" 2>&1 || rc=$?
  tail -n 25 "$log"
  if ((rc != 0)); then
    echo "fuzz: $name failed (exit $rc); see $DIR/$log and any crash-*/oom-*/timeout-* file here" >&2
    return "$rc"
  fi
}
fuzz spec_fuzzer -max_len=8192 -timeout=10 corpus/spec
fuzz reader_fuzzer -max_len=8192 -timeout=10 corpus/reader
# 30 s per input: with no fitting layout, plan searches up to 64x the GPUs for the smallest fix,
# a second in a release build and ~10 s under ASan and coverage (slow, not a hang).
fuzz cli_fuzzer -max_len=512 -timeout=30 corpus/cli
if [[ "${FUZZ_GROW:-0}" == 1 ]]; then
  for t in spec reader cli; do
    ./fuzz/${t}_fuzzer -merge=1 -max_len=8192 "$ROOT/fuzz/corpus/$t" "corpus/$t" > merge-$t.log 2>&1
  done
  echo "fuzz: merged new coverage into fuzz/corpus/ (git status shows it)"
fi
