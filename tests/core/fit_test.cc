// Carrying a fitted generation's terms onto another GPU (what a GPU without its own fit runs on),
// and when a generation can be fitted at all.
#include "planner/core/fit.h"

#include <gtest/gtest.h>

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

// CanFit needs kMinFitSources sources, kMinFitRuns runs, and a 16-bit run among them: gemm_max is
// the 16-bit GEMM efficiency, and fp8 runs alone fix only its product with fp8_gemm_fraction.
TEST(FitTest, CanFitNeedsSourcesRunsAndASixteenBitRun) {
  std::vector<MeasuredRun> runs(kMinFitRuns);
  for (size_t i = 0; i < runs.size(); ++i) {
    runs[i].source = i % 2 ? "a" : "b";
    runs[i].layout.dtype = Dtype::kFp8;
  }
  EXPECT_FALSE(CanFit(runs));  // all fp8
  EXPECT_EQ(WhyNotFit(runs), FitShortfall::kAllFp8);
  runs[0].layout.dtype = Dtype::kBf16;
  EXPECT_TRUE(CanFit(runs));
  for (MeasuredRun& r : runs) r.source = "a";
  EXPECT_FALSE(CanFit(runs));  // one source
  runs.pop_back();
  runs[1].source = "b";
  EXPECT_FALSE(CanFit(runs));  // too few runs
  EXPECT_EQ(WhyNotFit(runs), FitShortfall::kTooFew);
}

}  // namespace
}  // namespace planner
