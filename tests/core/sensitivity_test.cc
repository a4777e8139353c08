// What-if sensitivity: the swings that follow from the formulas without running the step-time
// model's constants (price moves dollars only, by exactly its factor; MFU moves compute time).
#include "planner/core/sensitivity.h"

#include <gtest/gtest.h>

#include "model_fixtures.h"

namespace planner {
namespace {

ClusterSpec SensitivityCluster() {
  ClusterSpec c;
  c.name = "test";
  c.gpu.hbm_GiB = 80;
  c.gpu.hbm_GBps = 3350;
  c.gpu.tdp_W = 700;
  c.gpu.peak_tflops[static_cast<int>(Dtype::kBf16)] = 989.5;
  c.gpus_per_node = 8;
  c.nodes = 1;
  c.network = {{"nvlink", 0, 450, 3}};
  c.price_per_gpu_hour_usd = 4;
  return c;
}

const SensitivityInput& Find(const SensitivityResult& r, const std::string& name) {
  for (const SensitivityInput& s : r.inputs) {
    if (s.name == name) return s;
  }
  ADD_FAILURE() << "no input " << name;
  return r.inputs.front();
}

// 64 sequences a step over 8 data-parallel GPUs, 8 each.
ParallelConfig EightWayDataParallel() {
  ParallelConfig p;
  p.dp = 8;
  p.global_batch = 64;
  p.micro_batch = 8;
  return p;
}

// 1e12 tokens at 64 sequences a step, on-demand at $4 per GPU-hour.
SensitivityRequest TrillionTokens(const ModelSpec& m) {
  SensitivityRequest req;
  req.tokens = 1e12;
  req.steps = req.tokens / (64.0 * m.seq_len);
  req.pricing = {"on-demand", 4, 0};
  return req;
}

TEST(SensitivityTest, RanksSevenInputsAndPriceMovesDollarsOnly) {
  const ModelSpec m = testing::TinyModel();
  const ClusterSpec c = SensitivityCluster();
  const ParallelConfig p = EightWayDataParallel();
  SensitivityRequest req = TrillionTokens(m);
  const SensitivityResult r = Sensitivity(m, c, p, req);
  ASSERT_EQ(r.inputs.size(), 7u);
  for (size_t i = 1; i < r.inputs.size(); ++i) {
    EXPECT_GE(r.inputs[i - 1].days_swing(), r.inputs[i].days_swing());
  }
  // Price x0.5 and x1.5: the same days; dollars 0.5 and 1.5 times the base, a swing of 1 x base.
  const SensitivityInput& price = Find(r, "GPU price");
  EXPECT_DOUBLE_EQ(price.days_low, price.days_high);
  EXPECT_NEAR(price.usd_swing(), r.base.expected.cost_usd, 1e-6 * r.base.expected.cost_usd);
  // MFU x0.8 lengthens the compute by 1 / 0.8 = 1.25, x1.2 shortens it to 1 / 1.2 of the base.
  const SensitivityInput& mfu = Find(r, "MFU");
  EXPECT_GT(mfu.days_low, r.base.expected.days);
  EXPECT_LT(mfu.days_high, r.base.expected.days);
  // A higher failure rate never shortens the run.
  const SensitivityInput& failures = Find(r, "failure rate");
  EXPECT_GT(failures.days_high, failures.days_low);
}

TEST(SensitivityTest, PricesTheLayoutWithTheRequestsStackOptions) {
  // The step time perturbed is the one explain and size give for the same stack: a stack that
  // leaves the DP gradient sync exposed is slower, and the result says so.
  const ModelSpec m = testing::TinyModel();
  const ClusterSpec c = SensitivityCluster();
  const ParallelConfig p = EightWayDataParallel();
  SensitivityRequest req = TrillionTokens(m);
  req.step.overlap_dp = false;
  const SensitivityResult r = Sensitivity(m, c, p, req);
  EXPECT_DOUBLE_EQ(r.step_time_s, EstimateStepTime(m, c, p, req.step).step_time_s);
  EXPECT_GT(r.step_time_s, EstimateStepTime(m, c, p).step_time_s);
}

}  // namespace
}  // namespace planner
