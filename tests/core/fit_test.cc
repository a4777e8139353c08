// Carrying a fitted generation's terms onto another GPU (what a GPU without its own fit runs on),
// and when a generation can be fitted at all.
#include "planner/core/fit.h"

#include <gtest/gtest.h>

#include "model_fixtures.h"

namespace planner {
namespace {

TEST(FitTest, CarryFittedTermsTakesExactlyTheFittedTermsAndKeepsTheRest) {
  EfficiencySpec from;  // a fitted generation
  from.gemm_max = 0.60;
  from.hbm_fraction = 0.56;
  from.attention_fraction = 0.54;
  from.fp8_gemm_fraction = 0.95;
  from.gemm_half_flops = 6e9;
  from.collective_bw_fraction = 0.5;
  EfficiencySpec onto;  // the target GPU's own preset
  onto.gemm_max = 0.71;
  onto.gemm_half_flops = 2e9;  // the ~10 us-per-kernel rule at its own peak
  onto.collective_bw_fraction = 0.8;
  onto.source = "mine";
  const EfficiencySpec c = CarryFittedTerms(from, onto);
  // The terms FitOptions fits come from the fitted generation...
  EXPECT_EQ(c.gemm_max, 0.60);
  EXPECT_EQ(c.hbm_fraction, 0.56);
  EXPECT_EQ(c.attention_fraction, 0.54);
  // ...fp8_gemm_fraction (not fitted), the per-kernel cost and the measured collective fraction
  // stay the target's.
  EXPECT_EQ(c.fp8_gemm_fraction, onto.fp8_gemm_fraction);
  EXPECT_EQ(c.gemm_half_flops, 2e9);
  EXPECT_EQ(c.collective_bw_fraction, 0.8);
  EXPECT_EQ(c.source, "mine");
}

// All four terms need kMinFitSources sources, kMinFitRuns runs, and a 16-bit run among them:
// gemm_max is the 16-bit GEMM efficiency, and fp8 runs alone fix only its product with
// fp8_gemm_fraction, so runs all in fp8 fit gemm_max alone, from kMinGemmMaxFitRuns runs.
TEST(FitTest, ScopeOfFitNeedsSourcesRunsAndASixteenBitRunForAllFourTerms) {
  std::vector<MeasuredRun> runs(kMinFitRuns);
  for (size_t i = 0; i < runs.size(); ++i) {
    runs[i].source = i % 2 ? "a" : "b";
    runs[i].layout.dtype = Dtype::kFp8;
  }
  EXPECT_EQ(ScopeOfFit(runs), FitScope::kGemmMaxOnly);  // all fp8
  runs[0].layout.dtype = Dtype::kBf16;
  EXPECT_EQ(ScopeOfFit(runs), FitScope::kAll);
  for (MeasuredRun& r : runs) r.source = "a";
  EXPECT_FALSE(CanFit(runs));  // one source
  runs.pop_back();
  runs[1].source = "b";
  EXPECT_FALSE(CanFit(runs));  // too few runs for four terms
  runs.resize(kMinGemmMaxFitRuns);
  for (MeasuredRun& r : runs) r.layout.dtype = Dtype::kFp8;
  EXPECT_EQ(ScopeOfFit(runs), FitScope::kGemmMaxOnly);
  runs.pop_back();
  EXPECT_FALSE(CanFit(runs));  // too few runs even for one term
}

// An H100 with an fp8 peak, and an fp4 one at twice it (an H100 has none: a test part).
ClusterSpec LowPrecisionH100() {
  ClusterSpec cluster = testing::H100Nodes(1);
  cluster.gpu.peak_tflops[static_cast<int>(Dtype::kFp8)] = 1979;
  cluster.gpu.peak_tflops[static_cast<int>(Dtype::kFp4)] = 3958;
  return cluster;
}

// The terms a fit starts from; the synthetic runs' truth differs in the terms a test fits.
EfficiencySpec StartTerms(const ClusterSpec& cluster) {
  EfficiencySpec start = cluster.efficiency;
  start.gemm_max = 0.60;
  start.hbm_fraction = 0.55;
  start.attention_fraction = 0.50;
  start.fp8_gemm_fraction = 0.90;
  start.fp4_gemm_fraction = 1.0;
  return start;
}

// Four data-parallel runs of 4 to 32 layers from two sources, in `dtype`, "measured" as the model
// prices them with the `truth` terms: what a fit from other terms must find again.
std::vector<MeasuredRun> SyntheticRuns(const ClusterSpec& cluster, Dtype dtype,
                                       const EfficiencySpec& truth) {
  std::vector<MeasuredRun> runs;
  for (int layers : {4, 8, 16, 32}) {
    MeasuredRun r;
    r.source = layers < 16 ? "a" : "b";
    r.model = testing::GptShape(layers, 2048, 16, 32000, 2048);
    r.cluster = cluster;
    r.layout.dp = 8;
    r.layout.micro_batch = 1;
    r.layout.global_batch = 8;
    r.layout.dtype = dtype;
    r.measured_step_time_s = PredictStepTime(r, truth);
    runs.push_back(r);
  }
  return runs;
}

// A compute-bound fp8 layer: runs "measured" at a gemm_max of 0.72 with the other terms at the
// start's values; the fit from 0.60 moves gemm_max alone and finds 0.72 again.
TEST(FitTest, AllFp8RunsMoveGemmMaxAloneAndRecoverIt) {
  const ClusterSpec cluster = LowPrecisionH100();
  const EfficiencySpec start = StartTerms(cluster);
  EfficiencySpec truth = start;
  truth.gemm_max = 0.72;
  const std::vector<MeasuredRun> runs = SyntheticRuns(cluster, Dtype::kFp8, truth);
  const FitResult f = FitEfficiency(runs, start);
  ASSERT_EQ(f.fitted.size(), 1u);
  EXPECT_EQ(f.fitted[0], FitParameter::kGemmMax);
  EXPECT_NEAR(f.efficiency.gemm_max, 0.72, 1e-3);
  EXPECT_LT(f.mape, 1e-3);
  EXPECT_EQ(f.efficiency.hbm_fraction, 0.55);
  EXPECT_EQ(f.efficiency.attention_fraction, 0.50);
  EXPECT_EQ(f.efficiency.fp8_gemm_fraction, 0.90);
}

// fp8 runs fix gemm_max (x the carried fp8_gemm_fraction), NVFP4 runs beside them fix
// fp4_gemm_fraction: runs "measured" at gemm_max 0.72 and fp4_gemm_fraction 0.65, fitted from 0.60
// and 1.0, give both back and leave the other terms alone. fp4 runs without fp8 ones fix only the
// product, so they move gemm_max alone.
TEST(FitTest, Fp8AndFp4RunsFitGemmMaxAndTheFp4FractionTogether) {
  const ClusterSpec cluster = LowPrecisionH100();
  const EfficiencySpec start = StartTerms(cluster);
  EfficiencySpec truth = start;
  truth.gemm_max = 0.72;
  truth.fp4_gemm_fraction = 0.65;
  std::vector<MeasuredRun> runs = SyntheticRuns(cluster, Dtype::kFp8, truth);
  for (const MeasuredRun& r : SyntheticRuns(cluster, Dtype::kFp4, truth)) runs.push_back(r);
  EXPECT_EQ(ScopeOfFit(runs), FitScope::kGemmMaxOnly);
  const FitResult f = FitEfficiency(runs, start);
  ASSERT_EQ(f.fitted.size(), 2u);
  EXPECT_NEAR(f.efficiency.gemm_max, 0.72, 1e-3);
  EXPECT_NEAR(f.efficiency.fp4_gemm_fraction, 0.65, 1e-3);
  EXPECT_LT(f.mape, 1e-3);
  EXPECT_EQ(f.efficiency.hbm_fraction, 0.55);
  EXPECT_EQ(f.efficiency.fp8_gemm_fraction, 0.90);
  runs.erase(runs.begin(), runs.begin() + 4);  // the fp4 runs alone
  const FitResult only_fp4 = FitEfficiency(runs, start);
  ASSERT_EQ(only_fp4.fitted.size(), 1u);
  EXPECT_EQ(only_fp4.fitted[0], FitParameter::kGemmMax);
  EXPECT_EQ(only_fp4.efficiency.fp4_gemm_fraction, 1.0);
}

}  // namespace
}  // namespace planner
