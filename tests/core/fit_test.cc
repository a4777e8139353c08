// Carrying a fitted generation's terms onto another GPU (what a GPU without its own fit runs on).
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

}  // namespace
}  // namespace planner
