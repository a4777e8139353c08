#include "comm/sizes.h"

#include <gtest/gtest.h>

namespace comm {
namespace {

TEST(ParseSizeTest, AcceptsNcclTestsSuffixes) {
  EXPECT_EQ(ParseSize("8"), 8u);
  EXPECT_EQ(ParseSize("1K"), 1024u);
  EXPECT_EQ(ParseSize("1k"), 1024u);
  EXPECT_EQ(ParseSize("128M"), 128u * 1024 * 1024);
  EXPECT_EQ(ParseSize("2G"), 2ull * 1024 * 1024 * 1024);
  EXPECT_EQ(ParseSize("1.5K"), 1536u);
  EXPECT_EQ(ParseSize("0"), 0u);
}

TEST(ParseSizeTest, RejectsJunk) {
  for (const char* bad : {"", "abc", "-8", "8X", "M", "1KK", "8 ", " 8", "1e99G"}) {
    EXPECT_FALSE(ParseSize(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(ExpandSizesTest, MultipliesByFactor) {
  const auto sizes = ExpandSizes({.min_bytes = 8, .max_bytes = 128, .step_factor = 2});
  EXPECT_EQ(sizes, (std::vector<uint64_t>{8, 16, 32, 64, 128}));
}

TEST(ExpandSizesTest, StopsAtMaxWithoutOvershooting) {
  const auto sizes = ExpandSizes({.min_bytes = 1, .max_bytes = 100, .step_factor = 3});
  EXPECT_EQ(sizes, (std::vector<uint64_t>{1, 3, 9, 27, 81}));
}

TEST(ExpandSizesTest, AddsStepWhenFactorIsOne) {
  const auto sizes =
      ExpandSizes({.min_bytes = 1, .max_bytes = 1000, .step_factor = 1, .step_bytes = 333});
  EXPECT_EQ(sizes, (std::vector<uint64_t>{1, 334, 667, 1000}));
}

TEST(ExpandSizesTest, SingleSizeAndDegenerateSweeps) {
  EXPECT_EQ(ExpandSizes({.min_bytes = 32, .max_bytes = 32, .step_factor = 1, .step_bytes = 0}),
            (std::vector<uint64_t>{32}));
  EXPECT_TRUE(ExpandSizes({.min_bytes = 64, .max_bytes = 32, .step_factor = 2}).empty());
  EXPECT_TRUE(ExpandSizes({.min_bytes = 8, .max_bytes = 32, .step_factor = 1}).empty());
  // Size 0 cannot grow by multiplication: visited once.
  EXPECT_EQ(ExpandSizes({.min_bytes = 0, .max_bytes = 32, .step_factor = 2}),
            (std::vector<uint64_t>{0}));
  // Near the top of uint64 the next size would wrap around: stop instead.
  const uint64_t big = uint64_t{1} << 62;
  EXPECT_EQ(ExpandSizes({.min_bytes = big, .max_bytes = ~uint64_t{0}, .step_factor = 8}).size(),
            1u);
}

}  // namespace
}  // namespace comm
