// DeepSeek-V3's pre-training cost (issue 17): the published layout on 2,048 H800, priced as
// `planner explain h800 deepseek-v3 --gpus 2048 --pp 16 --ep 64 --zero 1 --global-batch 15360
// --dtype fp8 --schedule dualpipe --stack hai-llm --tokens 14.8T`, against the GPU-hours the
// report gives.
#include <gtest/gtest.h>

#include "planner/core/step_time.h"
#include "planner/core/stack_spec.h"
#include "planner/io/cluster_io.h"
#include "planner/io/model_io.h"
#include "planner/io/stack_io.h"

namespace planner {
namespace {

// DeepSeek-V3 technical report (arXiv 2412.19437), sec. 3.2 and 4.2: 2,048 H800, PP 16 with
// DualPipe, EP 64 over 8 nodes, ZeRO-1 data parallelism, no TP; fp8 GEMMs (sec. 3.3); sequences
// of 4,096 tokens, a global batch of 15,360 sequences (after the ramp from 3,072 over the first
// 469B tokens, ignored here). 61 layers over 16 stages: the report does not give the split; with
// --schedule dualpipe and no stated counts explain takes Megatron-Core's first uneven split,
// 3 + 4 x 14 + 2 (the first and last stages also hold the embedding and the head).
ParallelConfig PublishedLayout() {
  ParallelConfig p;
  p.pp = 16;
  p.dp = 2048 / 16;
  p.ep = 64;
  p.zero = 1;
  p.global_batch = 15360;
  p.dtype = Dtype::kFp8;
  p.schedule = Schedule::kDualPipe;
  p.first_stage_layers = 3;
  p.last_stage_layers = 2;
  return p;
}

StepTime PublishedStep(const StackSpec& stack) {
  const ModelSpec m = LoadModel("deepseek-v3");
  const ClusterSpec c = LoadCluster("h800");
  return EstimateStepTime(m, c, PublishedLayout(), StackOptions(stack, c));
}

double GpuHours(const StepTime& t) {
  const double tokens = 14.8e12, tokens_per_step = 15360.0 * 4096;
  return tokens / tokens_per_step * t.step_time_s * 2048 / 3600;
}

TEST(DeepSeekV3GpuHoursTest, PreTrainingWithinTwentyPercentOfThePublished2664K) {
  // Report, Table 1 / sec. 1: "pre-training stage ... 2664K H800 GPU hours" for 14.8T tokens. It
  // is measured wall time x GPUs, so it also holds restarts and evaluation that the ideal figure
  // here leaves out: the prediction may fall below it, not far above. The band is issue 17's 20%.
  const StepTime t = PublishedStep(LoadStack("hai-llm"));
  EXPECT_GT(GpuHours(t), 0.8 * 2.664e6);
  EXPECT_LT(GpuHours(t), 1.2 * 2.664e6);
  // The all-to-all is there, and DualPipe with the overlapped kernels hides it: the report says
  // both all-to-all and PP communication are "fully hidden" (sec. 3.2.1). What it still costs is
  // the compute its kernels' 20 of 132 SMs do not do while they run.
  EXPECT_GT(t.ep_comm_s, 0.1 * t.step_time_s);
  EXPECT_NEAR(t.ep_exposed_s, 20.0 / 132 * t.ep_comm_s, 1e-3 * t.ep_comm_s);
  // MFU: DeepSeek's figures imply 6 x 37B x 14.8T / (2.664M h x 3600 x 989.5 TFLOP/s) = 34.6% of
  // the H800's dense BF16 peak in 6ND terms. The prediction's 6ND MFU is that times the GPU-hour
  // ratio; it must stay below 50% of BF16 peak (25% of the fp8 peak), above any fp8 MoE run we
  // know of, but must not exceed it by more than the band.
  const double implied = 6 * 37e9 * 14.8e12 / (2.664e6 * 3600 * 989.5e12);
  EXPECT_NEAR(implied, 0.346, 0.001);
  const double predicted = implied * 2.664e6 / GpuHours(t);
  EXPECT_LT(predicted, 0.5);
}

TEST(DeepSeekV3GpuHoursTest, WithoutOverlapTheAllToAllIsExposedAndCostsMore) {
  // The same layout under a stack that waits for every all-to-all (Megatron-Core's default
  // dispatcher): the all-to-all is all exposed, compute is priced alike, and the step is longer
  // by more than the SMs' share the overlap costs.
  StackSpec stack = LoadStack("hai-llm");
  const StepTime overlapped = PublishedStep(stack);
  stack.a2a_overlap = false;
  const StepTime t = PublishedStep(stack);
  EXPECT_EQ(t.ep_exposed_s, t.ep_comm_s);
  EXPECT_DOUBLE_EQ(overlapped.backward_s, t.backward_s);
  EXPECT_GT(t.step_time_s, overlapped.step_time_s + 0.5 * t.ep_comm_s);
}

}  // namespace
}  // namespace planner
