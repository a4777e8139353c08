// Error bands: quantiles by linear interpolation, groups by generation and stack with fallbacks.
#include "planner/core/error_band.h"

#include <gtest/gtest.h>

namespace planner {
namespace {

TEST(ErrorBandTest, QuantileInterpolatesBetweenOrderStatistics) {
  // Sorted 1..5: position q*(n-1); q = 0.1 -> 0.4 -> 1 + 0.4 * (2 - 1) = 1.4.
  EXPECT_DOUBLE_EQ(Quantile({5, 1, 4, 2, 3}, 0.1), 1.4);
  EXPECT_DOUBLE_EQ(Quantile({5, 1, 4, 2, 3}, 0.9), 4.6);
  EXPECT_DOUBLE_EQ(Quantile({2}, 0.9), 2);
}

TEST(ErrorBandTest, BandsAreMeasuredOverPredictedWithFallbacks) {
  std::vector<HeldOutResidual> rs;
  // Five H100 megatron-core records predicted 10% too fast: measured / predicted = 1 / 0.9.
  for (int i = 0; i < 5; ++i) rs.push_back({"m" + std::to_string(i), "H100", "megatron-core", -0.1, 0.4});
  // Two torchtitan records: too few for their own band.
  rs.push_back({"t0", "H100", "torchtitan", 0.25, 0.3});
  rs.push_back({"t1", "H100", "torchtitan", 0.25, 0.5});
  const std::vector<BandEntry> table = BuildBands(rs);
  const ErrorBand mc = FindBand(table, "H100", "megatron-core");
  EXPECT_EQ(mc.records, 5);
  EXPECT_NEAR(mc.p10_factor, 1 / 0.9, 1e-12);
  EXPECT_NEAR(mc.p90_factor, 1 / 0.9, 1e-12);
  // torchtitan falls back to the generation's 7 records.
  EXPECT_EQ(FindBand(table, "H100", "torchtitan").records, 7);
  // An unmeasured generation falls back to all records.
  EXPECT_EQ(FindBand(table, "B300", "megatron-core").basis.rfind("all generations", 0), 0u);
  const BandEntry* h100 = FindGenerationEntry(table, "H100");
  ASSERT_NE(h100, nullptr);
  EXPECT_DOUBLE_EQ(h100->max_measured_mfu, 0.5);
  EXPECT_EQ(h100->max_mfu_run, "t1");
  // What validation covers, band or not: two torchtitan records, no fsdp record on H100.
  EXPECT_EQ(ValidatedRecords(table, "H100", "torchtitan"), 2);
  EXPECT_EQ(ValidatedRecords(table, "H100", "megatron-core"), 5);
  EXPECT_EQ(ValidatedRecords(table, "H100", "fsdp"), 0);
  EXPECT_EQ(ValidatedRecords(table, "A100", "megatron-core"), 0);
}

}  // namespace
}  // namespace planner
