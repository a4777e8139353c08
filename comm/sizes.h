// Message-size arguments and sweeps with nccl-tests semantics: "-b 8 -e 128M -f 2" doubles from
// 8 bytes to 128 MiB; "-i STEP" (with -f 1) adds STEP bytes instead. Suffixes K, M, G are binary
// (1024-based) as in nccl-tests, so "1M" is 1,048,576 bytes.
#ifndef PLANNER_COMM_SIZES_H_
#define PLANNER_COMM_SIZES_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace comm {

// "8", "1K", "1.5M", "2g". Returns nullopt on anything else, negatives and overflow included.
std::optional<uint64_t> ParseSize(std::string_view text);

struct SizeSweep {
  uint64_t min_bytes = 0;
  uint64_t max_bytes = 0;
  uint64_t step_factor = 1;  // > 1: multiply; otherwise add step_bytes
  uint64_t step_bytes = 0;
};

// The sizes a sweep visits, min_bytes first, each <= max_bytes. Empty if the sweep cannot
// advance (factor <= 1 and step 0 with min < max) or min > max.
std::vector<uint64_t> ExpandSizes(const SizeSweep& sweep);

}  // namespace comm

#endif  // PLANNER_COMM_SIZES_H_
