// The largest values any input may state, shared by the readers, the flags and validation so that
// a file and a flag accept the same range. Far beyond any real run, they exist so that a typo
// (an extra zero, a byte count for a GPU count) is an error and every product stays in range.
#ifndef PLANNER_CORE_LIMITS_H_
#define PLANNER_CORE_LIMITS_H_

#include <cstdint>

namespace planner {

// GPUs in a cluster, and any parallel degree or micro-batch: 4,194,304, about 40x the largest
// cluster built.
inline constexpr int64_t kMaxGpus = int64_t{1} << 22;
// Sequences per optimizer step: 1,073,741,824 (Llama 3 405B ended at 16M tokens, about 2,000
// sequences of 8,192).
inline constexpr int64_t kMaxGlobalBatch = int64_t{1} << 30;
// Any model dimension (layers, widths, heads, vocabulary, sequence length) and `flops --batch`:
// 16,777,216, so that products of a few dimensions stay far inside a Count (__int128).
inline constexpr int64_t kMaxDimension = int64_t{1} << 24;

}  // namespace planner

#endif  // PLANNER_CORE_LIMITS_H_
