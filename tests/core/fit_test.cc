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
  // The four terms FitOptions fits come from the fitted generation...
  EXPECT_EQ(c.gemm_max, 0.60);
  EXPECT_EQ(c.hbm_fraction, 0.56);
  EXPECT_EQ(c.attention_fraction, 0.54);
  EXPECT_EQ(c.fp8_gemm_fraction, 0.95);
  // ...the per-kernel cost and the measured collective fraction stay the target's.
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

// A compute-bound fp8 layer: runs "measured" at a gemm_max of 0.72 with the other terms at the
// start's values; the fit from 0.60 moves gemm_max alone and finds 0.72 again.
TEST(FitTest, AllFp8RunsMoveGemmMaxAloneAndRecoverIt) {
  ClusterSpec cluster = testing::H100Nodes(1);
  cluster.gpu.peak_tflops[static_cast<int>(Dtype::kFp8)] = 1979;
  EfficiencySpec start = cluster.efficiency;
  start.gemm_max = 0.60;
  start.hbm_fraction = 0.55;
  start.attention_fraction = 0.50;
  start.fp8_gemm_fraction = 0.90;
  EfficiencySpec truth = start;
  truth.gemm_max = 0.72;
  std::vector<MeasuredRun> runs;
  for (int layers : {4, 8, 16, 32}) {
    MeasuredRun r;
    r.source = layers < 16 ? "a" : "b";
    r.model = testing::GptShape(layers, 2048, 16, 32000, 2048);
    r.cluster = cluster;
    r.layout.dp = 8;
    r.layout.micro_batch = 1;
    r.layout.global_batch = 8;
    r.layout.dtype = Dtype::kFp8;
    r.measured_step_time_s = PredictStepTime(r, truth);
    runs.push_back(r);
  }
  const FitResult f = FitEfficiency(runs, start);
  ASSERT_EQ(f.fitted.size(), 1u);
  EXPECT_EQ(f.fitted[0], FitParameter::kGemmMax);
  EXPECT_NEAR(f.efficiency.gemm_max, 0.72, 1e-3);
  EXPECT_LT(f.mape, 1e-3);
  EXPECT_EQ(f.efficiency.hbm_fraction, 0.55);
  EXPECT_EQ(f.efficiency.attention_fraction, 0.50);
  EXPECT_EQ(f.efficiency.fp8_gemm_fraction, 0.90);
}

}  // namespace
}  // namespace planner
