// Hybrid models (ModelSpec::hybrid_pattern): each layer is one block, priced as the average layer
// with every sublayer at its share. A pattern of alternating attention and MLP layers is the
// standard transformer with each layer split in two, so it must count, cost and fit exactly as
// that transformer does: the same parameters, FLOPs, memory and step time (one norm and one
// residual add per block, two blocks per standard layer; one TP collective per block, two per
// layer). A Mamba-2 layer adds its mixer's parameters as Megatron-Core's MambaMixer holds them.
#include <gtest/gtest.h>

#include <string>

#include "model_fixtures.h"
#include "planner/core/collectives.h"
#include "planner/core/flops.h"
#include "planner/core/memory.h"
#include "planner/core/params.h"
#include "planner/core/step_time.h"

namespace planner {
namespace {

ModelSpec Standard() {
  ModelSpec m = testing::GptShape(8, 2048, 16, 32000, 4096);
  m.position = Position::kRope;
  m.max_position_embeddings = 0;
  m.biases = {};
  m.mlp = MlpKind::kSwiglu;
  m.norm = NormKind::kRmsNorm;
  m.n_kv_heads = 4;
  return m;
}

// The same model as 16 one-block layers: attention, MLP, attention, MLP, ...
ModelSpec AlternatingHybrid() {
  ModelSpec m = Standard();
  m.n_layers = 16;
  m.norms_per_layer = 1;
  for (int i = 0; i < 8; ++i) m.hybrid_pattern += "*-";
  return m;
}

// A hybrid of the standard shape with Mamba-2 mixers of 32 heads of 64, state 128, 8 groups.
ModelSpec MambaHybrid(const std::string& pattern) {
  ModelSpec m = Standard();
  m.n_layers = static_cast<int64_t>(pattern.size());
  m.norms_per_layer = 1;
  m.hybrid_pattern = pattern;
  m.mamba = {.n_heads = 32, .head_dim = 64, .state_size = 128, .n_groups = 8};
  return m;
}

TEST(HybridTest, AlternatingAttentionAndMlpIsTheStandardLayerSplitInTwo) {
  const ModelSpec standard = Standard(), hybrid = AlternatingHybrid();
  ASSERT_FALSE(Validate(hybrid).has_value());
  EXPECT_EQ(CountParams(hybrid).total, CountParams(standard).total);
  const FlopsOptions fo{4096, 1, true, Recompute::kNone};
  EXPECT_EQ(ComputeFlops(hybrid, fo).model_step, ComputeFlops(standard, fo).model_step);
  const ClusterSpec c = testing::H100Nodes(2);
  for (const int64_t tp : {1, 2, 8}) {
    ParallelConfig p;
    p.tp = tp;
    p.pp = 2;
    p.dp = 16 / (tp * 2);
    p.sp = tp > 1;
    p.zero = 1;
    p.micro_batch = 1;
    p.global_batch = 8 * p.dp;
    const StepTime a = EstimateStepTime(standard, c, p), b = EstimateStepTime(hybrid, c, p);
    const double eps = 1e-9 * a.step_time_s;
    EXPECT_NEAR(b.forward_s, a.forward_s, eps) << "tp " << tp;
    EXPECT_NEAR(b.backward_s, a.backward_s, eps) << "tp " << tp;
    EXPECT_NEAR(b.tp_comm_s, a.tp_comm_s, eps) << "tp " << tp;
    EXPECT_NEAR(b.pp_comm_s, a.pp_comm_s, eps) << "tp " << tp;
    EXPECT_NEAR(b.bubble_s, a.bubble_s, eps) << "tp " << tp;
    EXPECT_NEAR(b.dp_comm_s, a.dp_comm_s, eps) << "tp " << tp;
    // What differs is the layer's grain: the gradient bucket left exposed after the backward is
    // one layer's, here half a standard layer.
    EXPECT_LE(b.dp_exposed_s, a.dp_exposed_s + eps) << "tp " << tp;
    const MemoryBreakdown ma = EstimateMemory(standard, c, p), mb = EstimateMemory(hybrid, c, p);
    EXPECT_NEAR(mb.total, ma.total, 1e-9 * ma.total) << "tp " << tp;
  }
}

// One Mamba-2 layer holds in_proj d x (2 d_inner + 2 G N + H), the conv1d's (d_inner + 2 G N)
// channels of conv_kernel taps and a bias, dt_bias, A_log and D per head, the gated norm's d_inner
// and out_proj d_inner x d (Megatron-Core ssm/mamba_mixer.py), beside the layer's one norm.
TEST(HybridTest, MambaLayerHoldsTheMixersParameters) {
  const ModelSpec m = MambaHybrid("M*-");
  ASSERT_FALSE(Validate(m).has_value());
  const Count d = 2048, inner = 32 * 64, gn = 8 * 128;
  const Count mamba = d * (2 * inner + 2 * gn + 32) + (inner + 2 * gn) * (4 + 1) + 3 * 32 +
                      inner + inner * d;
  ModelSpec standard = Standard();
  standard.n_layers = 1;
  // Attention and MLP of one standard layer, two norms: the hybrid's '*' and '-' layers.
  EXPECT_EQ(CountParams(m).total, CountParams(standard).total + mamba + d);
  EXPECT_EQ(m.n_mamba_layers(), 1);
  EXPECT_DOUBLE_EQ(m.attention_share(), 1.0 / 3);
}

// The step model's GEMMs of the average layer are the FLOP count's linear matmuls over the layers
// (flops.cc lists the Mamba projections and the scan's chunked products; the depthwise conv1d,
// listed there too, the step model prices as an element-wise pass). On a GPU whose GEMMs run at
// peak whatever their size and whose HBM is free, the time is FLOPs / peak.
TEST(HybridTest, LayerGemmsAreTheFlopCountsLinearMatmulsOfTheAverageLayer) {
  ModelSpec moe = MambaHybrid("M*-E");
  moe.moe = {.n_experts = 8, .top_k = 2};
  ASSERT_FALSE(Validate(moe).has_value());
  ClusterSpec c = testing::H100Nodes(1);
  c.gpu.hbm_GBps = 1e12;
  c.efficiency.gemm_max = 1;
  c.efficiency.gemm_half_flops = 0;
  const LayerCost lc = ComputeLayerCost(moe, c, {}, {});
  const FlopsReport r = ComputeFlops(moe, {moe.seq_len, 1, true, Recompute::kNone});
  double linear = 0;
  for (const MatmulFlops& f : r.matmuls) {
    if (f.layers > 0 && !f.attention_core && f.name != "mamba.conv1d")
      linear += static_cast<double>(f.total);
  }
  EXPECT_NEAR(lc.linear_fwd_s * 989e12 / (linear / 4), 1.0, 1e-9);
}

// Under context parallelism a Mamba layer moves its in_proj output (z, x, B, C, dt: 2 d_inner +
// 2 G N + H wide) to head shards and the scan's output (d_inner) back, by an all-to-all over the
// CP group each way, forward and backward (Megatron-Core's MambaContextParallel); a model without
// attention layers has no ring attention to add.
TEST(HybridTest, MambaUnderContextParallelismAllToAllsItsMixerInputAndOutput) {
  const ModelSpec m = MambaHybrid("M-M-");
  ASSERT_FALSE(Validate(m).has_value());
  const ClusterSpec c = testing::H100Nodes(1);
  ParallelConfig p;
  p.cp = 2;
  p.dp = 4;
  p.micro_batch = 1;
  p.global_batch = 8;
  const double width = 2 * 2048 + 2 * 8 * 128 + 32 + 2048;
  const double bytes = 4096 / 2 * width * 2;
  const double a2a = CollectiveSeconds(c, Collective::kAllToAll, 2, 1, bytes);
  const StepTime t = EstimateStepTime(m, c, p);
  // 2 micro-batches x 2 Mamba layers x (forward + backward).
  EXPECT_NEAR(t.cp_comm_s, 2 * 2 * 2 * a2a, 1e-12);
  EXPECT_NEAR(t.cp_exposed_s, t.cp_comm_s, 1e-12);
}

}  // namespace
}  // namespace planner
