// FLOPs of the frontier features: MLA projections, routed and shared experts, router, MTP,
// windowed attention, 6ND on active parameters. Linear layers are checked against the identity
// forward FLOPs = 2 * tokens * (weights a token multiplies by), with the weights derived here.
#include <gtest/gtest.h>

#include "moe_shapes.h"
#include "planner/core/flops.h"
#include "planner/core/params.h"

namespace planner {
namespace {

const MatmulFlops* Find(const FlopsReport& r, const std::string& name) {
  for (const MatmulFlops& m : r.matmuls) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

Count TotalOf(const FlopsReport& r, const std::string& name) {
  const MatmulFlops* m = Find(r, name);
  return m ? m->total : -1;
}

TEST(MoeFlopsTest, DeepSeekV3LinearLayersAreTwiceTheActiveWeightsPerToken) {
  const ModelSpec s = testing::DeepSeekV3Shape();
  const Count t = 4096;
  const FlopsReport r = ComputeFlops(s, {t, 1, true, Recompute::kNone});
  const Count d = 7168, h = 128;
  // MLA weights a token multiplies by (norm weights are element-wise, not matmuls).
  const Count mla = d * 1536 + 1536 * h * 192 + d * 576 + 512 * h * 256 + h * 128 * d;
  EXPECT_EQ(TotalOf(r, "attention.q_a") + TotalOf(r, "attention.q_b") +
                TotalOf(r, "attention.kv_a") + TotalOf(r, "attention.kv_b") +
                TotalOf(r, "attention.o"),
            2 * t * 61 * mla);
  // 58 MoE layers: 8 routed + 1 shared expert of 3*d*2048, router d x 256; 3 dense of 3*d*18432.
  const Count expert = 3 * d * 2048;
  EXPECT_EQ(TotalOf(r, "mlp.up") + TotalOf(r, "mlp.gate") + TotalOf(r, "mlp.down"),
            2 * t * 58 * 8 * expert);
  EXPECT_EQ(TotalOf(r, "shared_experts.up") + TotalOf(r, "shared_experts.gate") +
                TotalOf(r, "shared_experts.down"),
            2 * t * 58 * expert);
  EXPECT_EQ(TotalOf(r, "moe.router"), 2 * t * 58 * d * 256);
  EXPECT_EQ(TotalOf(r, "dense_mlp.up") + TotalOf(r, "dense_mlp.gate") +
                TotalOf(r, "dense_mlp.down"),
            2 * t * 3 * 3 * d * 18432);
  // Attention core: scores over the 192-wide q/k heads, context over the 128-wide v heads;
  // causal, T(T+1)/2 pairs per head.
  EXPECT_EQ(TotalOf(r, "attention.scores"), 61 * 2 * 192 * (t * (t + 1) / 2) * h);
  EXPECT_EQ(TotalOf(r, "attention.context"), 61 * 2 * 128 * (t * (t + 1) / 2) * h);
  EXPECT_EQ(Find(r, "attention.scores")->layers, 61);
}

TEST(MoeFlopsTest, MtpIsCountedApartFromTheMainForward) {
  const ModelSpec s = testing::DeepSeekV3Shape();
  const Count t = 4096, d = 7168;
  FlopsReport with = ComputeFlops(s, {t, 1, true, Recompute::kNone});
  ModelSpec no_mtp = s;
  no_mtp.mtp_modules = 0;
  const FlopsReport without = ComputeFlops(no_mtp, {t, 1, true, Recompute::kNone});
  EXPECT_EQ(with.forward, without.forward);
  // One MoE layer (as each of the 58), the 2d -> d projection and the shared head.
  const Count head = 2 * t * d * 129280;
  EXPECT_EQ(TotalOf(with, "mtp.projection"), 2 * t * 2 * d * d);
  EXPECT_EQ(TotalOf(with, "mtp.lm_head"), head);
  EXPECT_EQ(TotalOf(with, "mtp.mlp.up"), TotalOf(with, "mlp.up") / 58);
  EXPECT_EQ(TotalOf(with, "mtp.attention.scores"), TotalOf(with, "attention.scores") / 61);
  Count mtp = 0;
  for (const MatmulFlops& m : with.matmuls) mtp += m.mtp ? m.total : 0;
  EXPECT_EQ(with.mtp_forward, mtp);
  EXPECT_GT(with.mtp_forward, head);
}

TEST(MoeFlopsTest, SixNdOnActiveParameters) {
  const ModelSpec s = testing::DeepSeekV3Shape();
  const FlopsReport r = ComputeFlops(s, {4096, 2, true, Recompute::kNone});
  const ParamCount p = CountParams(s);
  EXPECT_EQ(r.six_nd_active, 6 * p.active * 8192);
  EXPECT_EQ(r.six_nd, 6 * p.total * 8192);
  // 6 N_active D leaves out only the attention core and counts the input embedding lookup as
  // 2 FLOPs per parameter per token, so exact / 6 N_active D stays near 1 (here above: T = 4K
  // and 128 heads of 192 make the core large).
  EXPECT_GT(r.exact_over_6nd_active, 1.0);
  EXPECT_LT(r.exact_over_6nd_active, 1.5);
  EXPECT_LT(r.exact_over_6nd, 0.1);
}

TEST(MoeFlopsTest, SlidingWindowCountsAtMostWindowKeysPerQuery) {
  const ModelSpec s = testing::Gemma2Shape();
  const Count t = 8192, w = 4096, hd = 128, heads = 32;
  const FlopsReport r = ComputeFlops(s, {t, 1, true, Recompute::kNone});
  // Causal sliding window: queries 0..w-1 see i+1 keys, the rest w keys each.
  const Count local_pairs = w * (w + 1) / 2 + (t - w) * w;
  const Count global_pairs = t * (t + 1) / 2;
  EXPECT_EQ(TotalOf(r, "attention.scores (local)"), 23 * 2 * hd * local_pairs * heads);
  EXPECT_EQ(TotalOf(r, "attention.scores"), 23 * 2 * hd * global_pairs * heads);
  EXPECT_EQ(Find(r, "attention.context (local)")->layers, 23);
  // Without the window every layer is global.
  ModelSpec global = s;
  global.window = {};
  const FlopsReport g = ComputeFlops(global, {t, 1, true, Recompute::kNone});
  EXPECT_EQ(g.forward - r.forward, 23 * 2 * 2 * hd * (global_pairs - local_pairs) * heads);
}

TEST(MoeFlopsTest, ChunkedAttentionStaysInsideItsChunk) {
  ModelSpec s = testing::Gemma2Shape();
  s.window = {1000, 0, WindowKind::kChunked};  // every layer chunked
  const Count t = 2500, hd = 128, heads = 32;
  const FlopsReport r = ComputeFlops(s, {t, 1, true, Recompute::kNone});
  // Chunks of 1000, 1000 and 500 tokens, causal inside each.
  const Count pairs = 2 * (1000 * 1001 / 2) + 500 * 501 / 2;
  EXPECT_EQ(TotalOf(r, "attention.scores (local)"), 46 * 2 * hd * pairs * heads);
  EXPECT_EQ(TotalOf(r, "attention.scores"), -1);  // no global layer
  const FlopsReport full = ComputeFlops(s, {t, 1, false, Recompute::kNone});
  EXPECT_EQ(TotalOf(full, "attention.scores (local)"),
            46 * 2 * hd * (2 * 1000 * 1000 + 500 * 500) * heads);
}

TEST(MoeFlopsTest, FullRecomputeRepeatsEveryLayerOfEveryKind) {
  const ModelSpec s = testing::DeepSeekV3Shape();
  const FlopsReport r = ComputeFlops(s, {4096, 1, true, Recompute::kFull});
  Count layers = 0;
  for (const MatmulFlops& m : r.matmuls) layers += (m.layers > 0 && !m.mtp) ? m.total : 0;
  EXPECT_EQ(r.recompute, layers);
  EXPECT_EQ(r.forward - layers, TotalOf(r, "lm_head"));
}

TEST(MoeFlopsTest, MegatronCoreAccountingSeesMlaSharedExpertsAndMtp) {
  // Megatron-Core counts, per token, 6x each matmul's weights (MLA's latent norms as "+1"
  // columns), the causal core as s/2 keys, and MTP's layer, projection and logits, but not the
  // router: so it equals the exact model step plus 3x the MTP forward, less 3x the routers, up
  // to the norms and (T+1)/2 vs T/2 keys.
  const ModelSpec s = testing::DeepSeekV3Shape();
  const FlopsOptions o{4096, 2, true, Recompute::kNone};
  const FlopsReport r = ComputeFlops(s, o);
  const Count routers = TotalOf(r, "moe.router") + TotalOf(r, "mtp.moe.router");
  const double expected = static_cast<double>(r.model_step + 3 * r.mtp_forward - 3 * routers);
  const double megatron = AccountFlops(s, o, Accounting::kMegatronCore).step_flops;
  EXPECT_NEAR(megatron / expected, 1.0, 1e-4);
}

TEST(MoeFlopsTest, MegatronCoreSplitsDenseAndMoeLayers) {
  // Without MLA or MTP the attention term is the dense formula's; the MLP term weighs the first
  // dense layers' d_ff and the MoE layers' top_k * d_ff_expert + shared width (x1.5 gated).
  ModelSpec s = testing::DeepSeekV3Shape();
  s.mla = {};
  s.mtp_modules = 0;
  s.head_dim = 56;  // 7168 / 128
  const double B = 1, T = 4096, L = 61, h = 7168, V = 129280;
  const double attention = 12 * L * h * h * (1 + 1 + T / h) * 1.0;
  const double mlp = 12 * h * 1.5 * (18432.0 * 3 + (8 * 2048.0 + 2048) * 58);
  const double logits = 6 * h * V;
  EXPECT_NEAR(AccountFlops(s, {4096, 1, true, Recompute::kNone}, Accounting::kMegatronCore)
                  .step_flops,
              B * T * (attention + mlp + logits), 1e3);
}

}  // namespace
}  // namespace planner
