// DeepSeek-V3's published layout must fit in the H800's 80 GB (issue 17). The technical report
// (arXiv 2412.19437) states how the run saves memory; configs/stacks/hai-llm.yaml writes those
// statements as stack fields:
//   sec. 3.2.3  recompute all RMSNorm operations and MLA up-projections in backward
//   sec. 3.3.3  AdamW moments in BF16 (master weights and gradients stay FP32); the input of the
//               Linear after attention cached in E5M6 (1.5 bytes); the SwiGLU inputs cached in
//               FP8 and its output recomputed
// The bytes below are derived by hand from the model's shapes (HF config.json): d = 7168,
// H = 128 heads, q/k head width 192 (128 nope + 64 RoPE), v head width 128, q latent 1536,
// kv latent 512 + 64 shared RoPE key, 256 routed experts (8 per token) of width 2048 plus one
// shared expert: MLP width per token 9 x 2048 = 18432 (the dense layers' d_ff is 18432 too).
#include <gtest/gtest.h>

#include "planner/core/memory.h"
#include "planner/core/stack_spec.h"
#include "planner/core/step_time.h"
#include "planner/io/cluster_io.h"
#include "planner/io/model_io.h"
#include "planner/io/stack_io.h"

namespace planner {
namespace {

// The layout of deepseek_v3_gpu_hours_test: PP 16 (3 + 4 x 14 + 2 layers) with DualPipe, EP 64,
// ZeRO-1 over DP 128, no TP, micro-batch 1 of 4096 tokens, fp8 GEMMs.
ParallelConfig Published() {
  ParallelConfig p;
  p.pp = 16;
  p.dp = 128;
  p.ep = 64;
  p.zero = 1;
  p.global_batch = 15360;
  p.dtype = Dtype::kFp8;
  p.schedule = Schedule::kDualPipe;
  p.first_stage_layers = 3;
  p.last_stage_layers = 2;
  return p;
}

constexpr double kTokens = 4096;  // one micro-batch of one sequence

TEST(DeepSeekV3MemoryTest, OneLayerStoredBytesWithoutAndWithTheReportsSavings) {
  const ModelSpec m = LoadModel("deepseek-v3");
  const ClusterSpec c = LoadCluster("h800");
  // Without the savings (Megatron's defaults), bytes per token of one MoE layer:
  //   attention norm input, its output (q_a/kv_a input)    2 x 7168 x 2            28,672
  //   q latent (q_a out), kv latent + RoPE key (kv_a out)  2 x 1536 + 2 x 576        4,224
  //   the normed latents (up-projection inputs)           2 x 1536 + 2 x 512        4,096
  //   q, k (128 x 192 each), v (128 x 128)                2 x (24576 x 2 + 16384) 131,072
  //   flash-attention softmax statistics (fp32)           4 x 128                     512
  //   attention output (o-proj input, 128 x 128)          2 x 16384                32,768
  //   MLP norm input and output                           2 x 7168 x 2             28,672
  //   router logits (fp32)                                4 x 256                   1,024
  //   routed experts' inputs (8 dispatched copies)        2 x 8 x 7168            114,688
  //   SwiGLU up, gate outputs, down-projection input      3 x 2 x 18432           110,592
  //   total                                                                     456,320
  StackSpec megatron_defaults;  // a stack that states no savings
  megatron_defaults.name = "x";
  const double plain =
      LayerActivationBytes(m, Published(), StackOptions(megatron_defaults, c).memory);
  EXPECT_DOUBLE_EQ(plain, 456320 * kTokens);
  // With hai-llm's fields: norm outputs go (2 x 14336 + 3072 + 1024 = 32,768 saved), q, k, v go
  // (131,072), the o-proj input is 1.5 bytes (8,192 saved), up and gate outputs 1 byte and the
  // down-projection input recomputed (36,864 + 36,864 = 73,728 saved), the routed experts'
  // inputs ("the activation before the MoE up-projections", sec. 3.3.3) 1 byte (57,344 saved):
  // 303,104 per token saved, 153,216 stored, 627,572,736 bytes per layer and micro-batch.
  const StepTimeOptions hai = StackOptions(LoadStack("hai-llm"), c);
  const double saved = plain - LayerActivationBytes(m, Published(), hai.memory);
  EXPECT_DOUBLE_EQ(saved, 303104 * kTokens);
  EXPECT_DOUBLE_EQ(LayerActivationBytes(m, Published(), hai.memory), 153216 * kTokens);
  // BF16 moments: fp32 master (4) + two 2-byte moments = 8 bytes per parameter instead of 12.
  EXPECT_DOUBLE_EQ(hai.memory.optimizer_bytes, 8);
}

TEST(DeepSeekV3MemoryTest, PublishedLayoutFitsOnH800) {
  const ModelSpec m = LoadModel("deepseek-v3");
  const ClusterSpec c = LoadCluster("h800");
  const MemoryBreakdown r =
      EstimateMemory(m, c, Published(), StackOptions(LoadStack("hai-llm"), c).memory);
  // DualPipe (DeepSeek-V3 Table 2): parameters 2x (the rank holds stages s and 15 - s) and
  // activations of PP + 1 = 17 micro-batches; a middle rank holds 4 + 4 layers, 4 on average.
  EXPECT_DOUBLE_EQ(r.inflight_layer_microbatches, 17 * 4);
  EXPECT_DOUBLE_EQ(r.activations, 17 * 4 * 153216 * kTokens);
  // 80 GB H800 (the preset's usable share of it); the report trained this layout, so it fits.
  EXPECT_LT(r.total, UsableHbmBytes(c));
}

}  // namespace
}  // namespace planner
