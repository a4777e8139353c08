// The step-time model's per-layer GEMMs for MoE and MLA models agree with the exact FLOP count
// (flops.h), and the expert all-to-all is paid in MoE layers only.
#include <gtest/gtest.h>

#include "moe_shapes.h"
#include "planner/core/flops.h"
#include "planner/core/memory.h"
#include "planner/core/step_time.h"

namespace planner {
namespace {

// Every GEMM at the full dense peak and HBM effectively free: GEMM time = FLOPs / peak.
ClusterSpec IdealGemmCluster() {
  ClusterSpec c;
  c.name = "ideal";
  c.gpu.name = "ideal";
  c.gpu.peak_tflops[static_cast<int>(Dtype::kBf16)] = 1000;
  c.gpu.hbm_GiB = 1e6;
  c.gpu.hbm_GBps = 1e9;
  c.gpus_per_node = 8;
  c.nodes = 64;
  c.network = {{"nvlink", 8, 200, 3}, {"infiniband", 0, 50, 5}};
  c.price_per_gpu_hour_usd = 1;
  c.efficiency.gemm_max = 1;
  c.efficiency.gemm_half_flops = 0;
  return c;
}

// The FLOP count's linear (non-core) matmuls of the model's layers, one sequence, over the
// layers: what the step model's average layer runs.
double AverageLayerLinearFlops(const ModelSpec& s) {
  const FlopsReport r = ComputeFlops(s, {s.seq_len, 1, true, Recompute::kNone});
  double linear = 0;
  for (const MatmulFlops& m : r.matmuls) {
    if (m.layers > 0 && !m.attention_core && !m.mtp) linear += static_cast<double>(m.total);
  }
  return linear / static_cast<double>(s.n_layers);
}

TEST(MoeStepTimeTest, LayerGemmsAreTheExactLinearFlopsOfTheAverageLayer) {
  // MLA projections, 3 dense MLPs, 58 x (router + 8 routed + 1 shared expert) over 61 layers.
  const ModelSpec s = testing::DeepSeekV3Shape();
  const LayerCost lc = ComputeLayerCost(s, IdealGemmCluster(), {}, {});
  EXPECT_NEAR(lc.linear_fwd_s * 1000e12 / AverageLayerLinearFlops(s), 1.0, 1e-9);
}

// LatentMoE (Nemotron 3 Super): the routed experts run at the latent width with a down and an up
// projection around them; the step model's GEMMs are still exactly the FLOP count's linear
// matmuls of the average layer (flops.cc lists latent_down, the experts at width l, latent_up),
// and each routed copy the experts keep for backward is l wide, not d_model.
TEST(MoeStepTimeTest, LatentMoeRunsTheExpertsAtTheLatentWidth) {
  ModelSpec s = testing::DeepSeekV3Shape();
  s.moe.latent_size = 1792;
  const ParallelConfig p;
  const LayerCost lc = ComputeLayerCost(s, IdealGemmCluster(), p, {});
  EXPECT_NEAR(lc.linear_fwd_s * 1000e12 / AverageLayerLinearFlops(s), 1.0, 1e-9);
  int found = 0;
  for (const ActivationTensor& a : LayerActivations(s, p, {})) {
    if (a.name != "moe.routed_inputs") continue;
    EXPECT_DOUBLE_EQ(a.bytes, 2 * 4096.0 * 8 * 1792);  // top-8 copies of each token, 1792 wide
    ++found;
  }
  EXPECT_EQ(found, 1);
}

TEST(MoeStepTimeTest, ExpertAllToAllRunsInMoeLayersOnly) {
  ModelSpec all_moe = testing::DeepSeekV3Shape();
  all_moe.moe.first_dense_layers = 0;
  ModelSpec first_dense = testing::DeepSeekV3Shape();  // 3 dense, 58 MoE layers
  const ClusterSpec c = IdealGemmCluster();
  ParallelConfig p;
  p.dp = 64;
  p.ep = 64;
  p.global_batch = 64;
  const double a = EstimateStepTime(all_moe, c, p).ep_comm_s;
  const double b = EstimateStepTime(first_dense, c, p).ep_comm_s;
  ASSERT_GT(a, 0);
  EXPECT_NEAR(b / a, 58.0 / 61, 1e-12);
}

TEST(MoeStepTimeTest, ExpertParallelismAddsTheChunkSortAroundTheExperts) {
  // Megatron-Core's all-to-all dispatcher permutes the routed copies into expert order and back
  // either way; with ep > 1 and several local experts (256 / 64 = 4) it also sorts the received
  // chunks by expert and restores them: 4 + 4 bytes per element of the s x top_k x d copies
  // (16-bit rows read and written), in the 58 MoE layers of 61, forward and again backward.
  const ModelSpec s = testing::DeepSeekV3Shape();
  ClusterSpec c = IdealGemmCluster();
  c.gpu.hbm_GBps = 1000;
  c.efficiency.hbm_fraction = 1;
  ParallelConfig local, spread;
  spread.dp = local.dp = 64;
  spread.global_batch = local.global_batch = 64;
  spread.ep = 64;
  const LayerCost a = ComputeLayerCost(s, c, local, {});
  const LayerCost b = ComputeLayerCost(s, c, spread, {});
  const double copies = 4096.0 * 8 * 7168 * 58 / 61;
  EXPECT_NEAR((b.elementwise_fwd_s - a.elementwise_fwd_s) * 1000e9, 8 * copies, 1e-3 * copies);
  EXPECT_NEAR((b.elementwise_bwd_s - a.elementwise_bwd_s) * 1000e9, 8 * copies, 1e-3 * copies);
}

// A checkpointed MoE MLP (Megatron-Core's recompute_modules 'moe'): its forward runs again in
// backward. On the ideal cluster (GEMM time = FLOPs / peak, HBM free) that is its GEMM FLOPs over
// the peak: DeepSeek-V3's router (d x 256), 8 routed and 1 shared SwiGLU experts (3 d x 2048
// each) per token, one 4,096-token sequence, in 58 of the 61 layers; the dispatch and combine run
// forward again: 1.5 times the four all-to-alls. Its stored tensors drop to the MLP's input.
TEST(MoeStepTimeTest, RecomputeMoeRepeatsTheMoeForwardAndItsAllToAlls) {
  const ModelSpec s = testing::DeepSeekV3Shape();
  const ClusterSpec c = IdealGemmCluster();
  ParallelConfig p;
  p.dp = 64;
  p.ep = 64;
  p.global_batch = 64;
  StepTimeOptions o;
  const LayerCost base = ComputeLayerCost(s, c, p, o);
  const StepTime without = EstimateStepTime(s, c, p, o);
  o.memory.recompute_moe = true;
  const LayerCost moe = ComputeLayerCost(s, c, p, o);
  const double flops = 2 * 4096.0 * 7168 * (256 + 9 * 3 * 2048) * 58 / 61;
  EXPECT_NEAR((moe.recompute_s - base.recompute_s) * 1000e12 / flops, 1, 1e-5);  // + ~0 HBM
  const StepTime with = EstimateStepTime(s, c, p, o);
  EXPECT_NEAR(with.ep_comm_s, 1.5 * without.ep_comm_s, 1e-12 * without.ep_comm_s);
  double routed = 0;
  for (const ActivationTensor& a : LayerActivations(s, p, o.memory)) {
    EXPECT_NE(a.name, "moe.routed_inputs");
    if (a.name == "mlp.up_output") routed = a.bytes;
  }
  EXPECT_DOUBLE_EQ(routed, 2 * 4096 * 3.0 * 18432 / 61);  // the 3 dense layers' MLPs only
}

TEST(MoeMemoryTest, MlpActivationsHoldTheExpertWidthsATokenRunsThrough) {
  // DeepSeek-V3: 3 dense layers of 18432, 58 MoE layers where a token runs 8 routed experts and
  // 1 shared expert of 2048: the average layer's MLP output is 2 bytes x tokens x that width.
  const ModelSpec s = testing::DeepSeekV3Shape();
  const double width = (3 * 18432.0 + 58 * (8 * 2048.0 + 2048)) / 61;
  EXPECT_DOUBLE_EQ(s.mlp_width_per_token(), width);
  ParallelConfig p;
  int found = 0;
  for (const ActivationTensor& a : LayerActivations(s, p, {})) {
    if (a.name != "mlp.up_output") continue;
    EXPECT_DOUBLE_EQ(a.bytes, 2 * 4096 * width);
    ++found;
  }
  EXPECT_EQ(found, 1);
}

}  // namespace
}  // namespace planner
