#include "planner/sim/large_allocator.h"

#include <cstdint>
#include <numeric>

#include <gtest/gtest.h>

namespace planner::sim {
namespace {

TEST(LargeAllocatorTest, LargeBuffersStartOnAHugePageBoundary) {
  // 1 Mi ints are 4 MiB: a large block, so it must be 2-MiB aligned (the kernel can only back
  // an aligned 2-MiB range with one huge page).
  LargeVector<int32_t> values(int32_t{1} << 20);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(values.data()) % kHugePageBytes, 0u);
  std::iota(values.begin(), values.end(), 0);
  EXPECT_EQ(values.back(), (1 << 20) - 1);
}

TEST(LargeAllocatorTest, GrowingAcrossTheThresholdKeepsTheValues) {
  // Starts below 2 MiB (std::allocator) and grows past it (aligned block): both deallocation
  // paths run, and the copy between them keeps every value.
  LargeVector<double> values;
  for (int i = 0; i < 600'000; ++i) values.push_back(i * 0.5);
  ASSERT_EQ(values.size(), 600'000u);
  for (int i = 0; i < 600'000; i += 99'999) EXPECT_EQ(values[i], i * 0.5);
  values.clear();
  values.shrink_to_fit();
  EXPECT_EQ(values.capacity(), 0u);
}

}  // namespace
}  // namespace planner::sim
