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
  EXPECT_DOUBLE_EQ(h100->ceiling(MfuClass::k16Bit).mfu, 0.5);
  EXPECT_EQ(h100->ceiling(MfuClass::k16Bit).run, "t1");
  // An fp8 record's MFU (against the 16-bit peak, above any 16-bit run's) is its own precision's
  // ceiling, not the 16-bit one.
  rs.push_back({"f0", "H100", "megatron-core", 0, 0.7, {}, MfuClass::kFp8});
  const std::vector<BandEntry> table_with_fp8 = BuildBands(rs);
  const BandEntry* with_fp8 = FindGenerationEntry(table_with_fp8, "H100");
  ASSERT_NE(with_fp8, nullptr);
  EXPECT_EQ(with_fp8->ceiling(MfuClass::k16Bit).run, "t1");
  EXPECT_DOUBLE_EQ(with_fp8->ceiling(MfuClass::kFp8).mfu, 0.7);
  EXPECT_EQ(with_fp8->ceiling(MfuClass::kFp4).mfu, 0);
  // What validation covers, band or not: two torchtitan records, no fsdp record on H100.
  EXPECT_EQ(ValidatedRecords(table, "H100", "torchtitan"), 2);
  EXPECT_EQ(ValidatedRecords(table, "H100", "megatron-core"), 5);
  EXPECT_EQ(ValidatedRecords(table, "H100", "fsdp"), 0);
  EXPECT_EQ(ValidatedRecords(table, "A100", "megatron-core"), 0);
}

// A held-out record (never fitted) raises the ceilings of the entries it belongs to, and only
// where it measured more; its band factors and record counts are left alone.
TEST(ErrorBandTest, HeldOutRecordsRaiseOnlyTheirOwnCeilings) {
  std::vector<BandEntry> table = BuildBands({{"m0", "H100", "megatron-core", -0.1, 0.49},
                                             {"t0", "H100", "torchtitan", 0.1, 0.43},
                                             {"a0", "A100", "megatron-lm", 0.0, 0.64}});
  RaiseCeilings({{"x16", "H100", "megatron-core", 0.12, 0.60},
                 {"x8", "H100", "megatron-core", 0.10, 0.81, {}, MfuClass::kFp8},
                 {"low", "A100", "megatron-lm", 0.0, 0.50}},
                &table);
  auto entry = [&](const std::string& g, const std::string& s) -> const BandEntry& {
    for (const BandEntry& e : table) {
      if (e.generation == g && e.stack == s) return e;
    }
    ADD_FAILURE() << g << " " << s;
    return table.front();
  };
  EXPECT_EQ(entry("H100", "megatron-core").ceiling(MfuClass::k16Bit).run, "x16");
  EXPECT_EQ(entry("H100", "").ceiling(MfuClass::k16Bit).run, "x16");
  EXPECT_DOUBLE_EQ(entry("H100", "").ceiling(MfuClass::kFp8).mfu, 0.81);
  EXPECT_EQ(entry("H100", "torchtitan").ceiling(MfuClass::k16Bit).run, "t0");  // another stack
  EXPECT_EQ(entry("", "").ceiling(MfuClass::k16Bit).run, "a0");      // 0.64 stays above 0.60
  EXPECT_EQ(entry("A100", "").ceiling(MfuClass::k16Bit).run, "a0");  // 0.50 is lower
  EXPECT_EQ(entry("H100", "").band.records, 2);                      // counts unchanged
}

TEST(ErrorBandTest, CarriedTermsFallBackToTheCarriedPoolNotToAllGenerations) {
  std::vector<HeldOutResidual> rs;
  // Five H100 records predicted 10% too fast under their own generation's fit...
  for (int i = 0; i < 5; ++i)
    rs.push_back({"h" + std::to_string(i), "H100", "megatron-core", -0.1});
  // ...and the same five priced with another generation's terms: errors -0.5, -0.2, 0, +0.25,
  // +1.0, i.e. measured / predicted = 2, 1.25, 1, 0.8, 0.5.
  const double carried[] = {-0.5, -0.2, 0, 0.25, 1.0};
  for (int i = 0; i < 5; ++i) {
    rs.push_back({"h" + std::to_string(i), kCarriedGeneration, "megatron-core", carried[i]});
  }
  const std::vector<BandEntry> table = BuildBands(rs);
  // The carried pool stays out of the all-generations band (5 records, all at 1/0.9)...
  const ErrorBand all = FindBand(table, "MI300X", "megatron-core");
  EXPECT_EQ(all.records, 5);
  EXPECT_NEAR(all.p90_factor, 1 / 0.9, 1e-12);
  // ...and is what a GPU with carried terms gets: sorted factors 0.5, 0.8, 1, 1.25, 2; P10 at
  // position 0.4: 0.5 + 0.4 * 0.3 = 0.62; P90 at 3.6: 1.25 + 0.6 * 0.75 = 1.7.
  const ErrorBand c = FindBand(table, "MI300X", "megatron-core", /*terms_carried=*/true);
  EXPECT_EQ(c.records, 5);
  EXPECT_NEAR(c.p10_factor, 0.62, 1e-12);
  EXPECT_NEAR(c.p90_factor, 1.7, 1e-12);
  EXPECT_EQ(c.basis, "terms carried across GPU generations, 5 records");
  // A generation with its own records keeps its own band even when its terms are carried.
  EXPECT_EQ(FindBand(table, "H100", "megatron-core", true).basis.rfind("H100", 0), 0u);
  // With no carried pool in the table the fallback is all generations.
  const std::vector<BandEntry> own_only =
      BuildBands(std::vector<HeldOutResidual>(rs.begin(), rs.begin() + 5));
  EXPECT_EQ(FindBand(own_only, "MI300X", "", true).basis.rfind("all generations", 0), 0u);
}

TEST(ErrorBandTest, AnMoeModelTakesTheMoeRecordsBandOnAnyGpu) {
  std::vector<HeldOutResidual> rs;
  // Five dense H100 records 10% fast, and five MoE records priced 50% fast: measured /
  // predicted = 2 each.
  for (int i = 0; i < 5; ++i) {
    rs.push_back({"d" + std::to_string(i), "H100", "megatron-core", -0.1});
    rs.push_back({"m" + std::to_string(i), kMoeGeneration, "megatron-core", -0.5});
  }
  const std::vector<BandEntry> table = BuildBands(rs);
  // The MoE pool is not in the dense bands...
  EXPECT_EQ(FindBand(table, "H100", "megatron-core").records, 5);
  EXPECT_NEAR(FindBand(table, "H100", "megatron-core").p90_factor, 1 / 0.9, 1e-12);
  // ...and is an MoE model's band on H100 and on a GPU without records alike.
  for (const char* gpu : {"H100", "MI300X"}) {
    const ErrorBand b = FindBand(table, gpu, "megatron-core", false, /*moe=*/true);
    EXPECT_EQ(b.basis, "5 MoE records") << gpu;
    EXPECT_NEAR(b.p10_factor, 2, 1e-12) << gpu;
    EXPECT_NEAR(b.p90_factor, 2, 1e-12) << gpu;
  }
}

TEST(ErrorBandTest, GenerationsListTheLayoutFeaturesTheirRecordsUsed) {
  ParallelConfig plain;
  plain.tp = 8;
  plain.pp = 4;
  EXPECT_TRUE(LayoutFeatures(plain).empty());
  ParallelConfig p = plain;
  p.cp = 2;
  p.vpp = 2;
  p.zero = 3;
  p.dtype = Dtype::kFp8;
  EXPECT_EQ(LayoutFeatures(p), (std::vector<std::string>{"cp", "zero3", "vpp", "fp8"}));
  p.dp = 8;
  p.dp_shard = 4;  // ZeRO-3 within groups of 4, replicated twice: hybrid sharding
  EXPECT_EQ(LayoutFeatures(p)[1], "hsdp");
  EXPECT_STREQ(FeatureName("cp"), "context parallelism");
  // A generation's entry lists what any of its records used, once each, sorted.
  std::vector<HeldOutResidual> rs = {{"a", "A100", "megatron-lm", 0, 0, {"vpp"}},
                                     {"b", "A100", "fsdp", 0, 0, {"zero3"}},
                                     {"c", "A100", "megatron-lm", 0, 0, {"vpp"}}};
  const std::vector<BandEntry> table = BuildBands(rs);
  const BandEntry* a100 = FindGenerationEntry(table, "A100");
  ASSERT_NE(a100, nullptr);
  EXPECT_EQ(a100->features, (std::vector<std::string>{"vpp", "zero3"}));
}

}  // namespace
}  // namespace planner
