#include "comm/input_pattern.h"

#include <gtest/gtest.h>

#include <cmath>

namespace comm {
namespace {

TEST(InputPatternTest, ValuesArePositiveSmallIntegersThatDependOnRankAndIndex) {
  const InputPattern p(DType::kFloat, RedOp::kSum, 4);
  for (int r = 0; r < 4; ++r) {
    for (size_t i = 0; i < 500; ++i) {
      const double v = p.Value(r, i);
      EXPECT_GE(v, 1.0);
      EXPECT_EQ(v, std::floor(v));
    }
  }
  EXPECT_NE(p.Value(0, 5), p.Value(1, 5));
  EXPECT_NE(p.Value(0, 5), p.Value(0, 6));
}

TEST(InputPatternTest, SumsStayExactInSixteenBitTypes) {
  // bfloat16 holds integers up to 256 exactly, half up to 2048: every sum must fit.
  for (auto [type, limit] : {std::pair{DType::kBfloat16, 256.0}, {DType::kHalf, 2048.0}}) {
    for (int n : {2, 3, 4, 8, 16}) {
      const InputPattern p(type, RedOp::kSum, n);
      for (size_t i = 0; i < 300; ++i) EXPECT_LE(p.ReduceAcrossRanks(i), limit) << n;
    }
  }
}

TEST(InputPatternTest, ProductsArePowersOfTwo) {
  const InputPattern p(DType::kBfloat16, RedOp::kProd, 8);
  for (size_t i = 0; i < 100; ++i) {
    const double v = p.ReduceAcrossRanks(i);
    EXPECT_EQ(v, std::exp2(std::round(std::log2(v))));
    EXPECT_LE(v, 4.0);  // one rank in four contributes a 2
  }
}

TEST(InputPatternTest, MatchesIsExactExceptForFloatingAverages) {
  const InputPattern sum(DType::kFloat, RedOp::kSum, 4);
  EXPECT_TRUE(sum.Matches(10.0, 10.0));
  EXPECT_FALSE(sum.Matches(10.000001, 10.0));
  EXPECT_FALSE(sum.Matches(0.0, 10.0));  // an unwritten element
  const InputPattern avg(DType::kFloat, RedOp::kAvg, 3);
  EXPECT_TRUE(avg.Matches(10.0 / 3.0 * (1 + 1e-7), 10.0 / 3.0));
  EXPECT_FALSE(avg.Matches(10.0 / 3.0 * (1 + 1e-3), 10.0 / 3.0));
  const InputPattern iavg(DType::kInt32, RedOp::kAvg, 3);
  EXPECT_TRUE(iavg.Matches(3.0, 10.0 / 3.0));  // integer division truncates
  EXPECT_FALSE(iavg.Matches(4.0, 10.0 / 3.0));
  const InputPattern bf(DType::kBfloat16, RedOp::kSum, 2);
  EXPECT_TRUE(bf.Matches(256.0, 257.0));  // the expected value rounds to the type first
}

}  // namespace
}  // namespace comm
