// Count: the integer type of exact parameter and FLOP counts. 128-bit so that no count a validated
// spec can produce overflows (each dimension is capped at 2^24 by Validate, and no count multiplies
// more than five of them); callers that need a 64-bit value check FitsInt64 first.
#ifndef PLANNER_CORE_COUNT_H_
#define PLANNER_CORE_COUNT_H_

#include <cstdint>
#include <limits>
#include <string>

namespace planner {

using Count = __int128;

inline bool FitsInt64(Count c) {
  return c <= std::numeric_limits<int64_t>::max() && c >= std::numeric_limits<int64_t>::min();
}

// Decimal digits, optionally grouped in thousands with commas ("2,127,057,600").
std::string CountToString(Count c, bool group_thousands = false);

}  // namespace planner

#endif  // PLANNER_CORE_COUNT_H_
