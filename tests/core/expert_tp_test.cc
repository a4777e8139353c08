// Expert tensor parallelism (Megatron-Core --expert-tensor-parallel-size, "MoE parallel
// folding"): with etp != tp the MoE layers use their own grid, etp x ep x expert-dp, over the
// tp*cp*dp ranks of a pipeline stage. Derived by hand for DeepSeek-V3's shape (d = 7168, 256
// experts of width 2048, top-8) on one 8-GPU node, tp 2 x dp 4:
//   * EP 8 cannot take 8 of the 4 dp ranks (etp = tp: ep must divide dp*cp), but folded with
//     etp 1 it takes all 8 GPUs (ep*etp = 8 divides tp*dp*cp = 8);
//   * an expert's replicas: tp*cp*dp / (etp*ep) = 8 / (1*4) = 2 at ep 4, etp 1; dp*cp/ep = 1 at
//     etp = tp = 2;
//   * each GPU computes the same expert FLOPs either way: tokens*top_k*(etp/tp) routed tokens
//     per local expert group times width 2048/etp is tokens*top_k*2048/tp;
//   * each GPU keeps its experts' inputs: the stage's tokens of dp*cp sequence shards spread over
//     tp*cp*dp GPUs, top_k copies each, every etp rank of an expert holding all of its tokens:
//     2 bytes x 4096 tokens x 8 x 7168 x etp/tp.
#include <gtest/gtest.h>

#include "moe_shapes.h"
#include "planner/core/cost_model.h"
#include "planner/core/memory.h"
#include "planner/core/parallel_config.h"
#include "planner/core/step_time.h"

namespace planner {
namespace {

ClusterSpec OneNode() {
  ClusterSpec c;
  c.name = "node";
  c.gpu.name = "ideal";
  c.gpu.peak_tflops[static_cast<int>(Dtype::kBf16)] = 1000;
  c.gpu.hbm_GiB = 1e6;
  c.gpu.hbm_GBps = 1e9;
  c.gpus_per_node = 8;
  c.nodes = 1;
  c.network = {{"nvlink", 8, 200, 3}};
  c.efficiency.gemm_max = 1;
  c.efficiency.gemm_half_flops = 0;  // GEMM time = FLOPs / peak, whatever the shape
  return c;
}

ParallelConfig Tp2Dp4(int64_t ep, int64_t etp) {
  ParallelConfig p;
  p.tp = 2;
  p.dp = 4;
  p.sp = true;
  p.ep = ep;
  p.etp = etp;
  p.global_batch = 4;
  return p;
}

TEST(ExpertTpTest, FoldingLetsEpTakeTheTpRanks) {
  const ModelSpec m = testing::DeepSeekV3Shape();
  const auto e = CheckLayout(m, OneNode(), Tp2Dp4(8, 0));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->issue, LayoutIssue::kEpDp);
  EXPECT_FALSE(CheckLayout(m, OneNode(), Tp2Dp4(8, 1)));
  EXPECT_EQ(Tp2Dp4(4, 1).expert_dp(), 2);
  EXPECT_EQ(Tp2Dp4(4, 0).expert_dp(), 1);
  EXPECT_EQ(Tp2Dp4(4, 2).expert_dp(), Tp2Dp4(4, 0).expert_dp());  // etp 2 = tp: not folded
  ParallelConfig dense = Tp2Dp4(1, 1);
  EXPECT_EQ(CheckLayout(testing::Gemma2Shape(), OneNode(), dense)->field, LayoutField::kEtp);
}

TEST(ExpertTpTest, AGpuComputesTheSameExpertFlopsFoldedOrNot) {
  const ModelSpec m = testing::DeepSeekV3Shape();
  const double folded = ComputeLayerCost(m, OneNode(), Tp2Dp4(4, 1), {}).linear_fwd_s;
  const double plain = ComputeLayerCost(m, OneNode(), Tp2Dp4(4, 0), {}).linear_fwd_s;
  EXPECT_NEAR(folded / plain, 1.0, 1e-12);
}

double RoutedInputBytes(const ParallelConfig& p) {
  for (const ActivationTensor& t : LayerActivations(testing::DeepSeekV3Shape(), p, {})) {
    if (t.name == "moe.routed_inputs") return t.bytes;
  }
  return 0;
}

TEST(ExpertTpTest, AGpuKeepsEtpOverTpOfItsRoutedTokens) {
  EXPECT_DOUBLE_EQ(RoutedInputBytes(Tp2Dp4(4, 1)), 2.0 * 4096 * 8 * 7168 * 1 / 2);
  EXPECT_DOUBLE_EQ(RoutedInputBytes(Tp2Dp4(4, 0)), 2.0 * 4096 * 8 * 7168 * 2 / 2);
}

TEST(ExpertTpTest, TheSearchsLayerCacheKeepsFoldedAndPlainApart) {
  // The cost model caches a layer's cost per layout shape; folded (etp 1) and plain (etp = tp)
  // layers keep different routed inputs (above), so the cache must not hand one for the other.
  const ModelSpec m = testing::DeepSeekV3Shape();
  const ClusterSpec c = OneNode();  // the model keeps references: both outlive it
  CostModel model(m, c);
  const double plain = model.Layer(Tp2Dp4(4, 0)).act_bytes;
  const double folded = model.Layer(Tp2Dp4(4, 1)).act_bytes;
  EXPECT_DOUBLE_EQ(plain, ComputeLayerCost(m, c, Tp2Dp4(4, 0), {}).act_bytes);
  EXPECT_DOUBLE_EQ(folded, ComputeLayerCost(m, c, Tp2Dp4(4, 1), {}).act_bytes);
  EXPECT_NE(plain, folded);
}

}  // namespace
}  // namespace planner
