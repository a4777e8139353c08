// Parameter counts of the frontier architecture features (MLA, fine-grained and shared experts,
// dense-then-MoE layers, QK-norm, relative positions, MTP), each against a published count or a
// derivation written here.
#include <gtest/gtest.h>

#include "moe_shapes.h"
#include "planner/core/params.h"

namespace planner {
namespace {

Count PartTotal(const std::vector<ParamEntry>& entries, const std::string& name) {
  for (const ParamEntry& e : entries) {
    if (e.name == name) return e.total;
  }
  return -1;
}

TEST(MoeParamsTest, DeepSeekV3MainModelIsThePublishedCount) {
  const ModelSpec s = testing::DeepSeekV3Shape();
  ASSERT_FALSE(Validate(s));
  const ParamCount p = CountParams(s);
  // DeepSeek-V3 (README_WEIGHTS, report): 671B main model, MTP apart; the exact figure of issue 17.
  EXPECT_EQ(p.total, 671026419200);
  // MLA per layer (d 7168, H 128, q_lora 1536, kv_lora 512, nope 128, rope 64, v 128):
  const Count d = 7168, h = 128;
  const Count mla = d * 1536 + 1536 + 1536 * h * 192 + d * (512 + 64) + 512 + 512 * h * 256 +
                    h * 128 * d;
  EXPECT_EQ(mla, 187107328);
  const Count attention_parts = PartTotal(p.entries, "attention.q_a") +
                                PartTotal(p.entries, "attention.q_a_norm") +
                                PartTotal(p.entries, "attention.q_b") +
                                PartTotal(p.entries, "attention.kv_a") +
                                PartTotal(p.entries, "attention.kv_a_norm") +
                                PartTotal(p.entries, "attention.kv_b") +
                                PartTotal(p.entries, "attention.o");
  EXPECT_EQ(attention_parts, 61 * mla);
  // 3 dense layers of width 18432; 58 MoE layers of 256 routed + 1 shared expert of width 2048.
  EXPECT_EQ(PartTotal(p.entries, "dense_mlp.up"), 3 * d * 18432);
  EXPECT_EQ(PartTotal(p.entries, "mlp.up"), 58 * 256 * d * 2048);
  EXPECT_EQ(PartTotal(p.entries, "shared_experts.down"), 58 * 2048 * d);
  EXPECT_EQ(PartTotal(p.entries, "router"), 58 * d * 256);
  EXPECT_EQ(PartTotal(p.entries, "router.bias"), 58 * 256);
  EXPECT_EQ(p.routed_experts, 58 * 256 * 3 * d * 2048);
}

TEST(MoeParamsTest, DeepSeekV3ActiveAndMtpFollowTheirPublishedRoundings) {
  const ParamCount p = CountParams(testing::DeepSeekV3Shape());
  const Count d = 7168, expert = 3 * d * 2048;
  // 8 of 256 routed experts per token: 248 idle experts in each of the 58 MoE layers.
  EXPECT_EQ(p.active, p.total - 58 * 248 * expert);
  // README_WEIGHTS: "36.6B activated (including 0.9B for the output head)": no input embedding.
  EXPECT_EQ(p.active_without_input_embedding, p.active - Count{129280} * d);
  EXPECT_EQ(p.active_without_input_embedding / 100000000, 366);  // 36.6B to its stated digit
  // MTP module: "11.5B unique parameters" is its MoE layer; eh_proj 2d x d and 3 norms on top.
  const Count attention_and_norms = 187107328 + 2 * d;
  const Count mtp_layer = attention_and_norms + 257 * expert + 256 * d + 256;
  EXPECT_EQ(mtp_layer, 11507286272);
  EXPECT_EQ(p.mtp, mtp_layer + 2 * d * d + 3 * d);
  EXPECT_EQ(p.mtp / 100000000, 116);
  // "1.5B activated incl. the 0.9B head": layer minus 248 idle experts plus the head.
  EXPECT_EQ(p.mtp_active, p.mtp - 248 * expert + Count{129280} * d);
  EXPECT_EQ((mtp_layer - 248 * expert + Count{129280} * d) / 100000000, 15);
}

TEST(MoeParamsTest, InterleavedMoeLayersCountOnlyTheirLayers) {
  // Llama 4 Maverick's text model: 48 layers, MoE on layers 1, 3, ..., 47 (interleave step 2),
  // 128 experts + 1 shared of 8192, dense MLP 16384 elsewhere.
  ModelSpec s = testing::DeepSeekV3Shape();
  s.mla = {};
  s.mtp_modules = 0;
  s.n_layers = 48;
  s.d_model = 5120;
  s.n_heads = 40;
  s.n_kv_heads = 8;
  s.head_dim = 128;
  s.d_ff = 16384;
  s.vocab_size = 202048;
  s.moe = {128, 1, 8192, 1, 0, 0, 2, false};
  ASSERT_FALSE(Validate(s));
  EXPECT_EQ(s.n_moe_layers(), 24);
  EXPECT_FALSE(s.IsMoeLayer(0));
  EXPECT_TRUE(s.IsMoeLayer(1));
  EXPECT_TRUE(s.IsMoeLayer(47));
  const ParamCount p = CountParams(s);
  // The Hub totals minus the vision tower (871,932,416; see configs/models/llama4-scout.yaml).
  EXPECT_EQ(p.total, Count{401583781376} - 871932416);
  const Count d = 5120;
  EXPECT_EQ(PartTotal(p.entries, "dense_mlp.gate"), 24 * d * 16384);
  EXPECT_EQ(p.active, p.total - 24 * Count{127} * 3 * d * 8192);
}

TEST(MoeParamsTest, QkNormPerHeadOrFullWidth) {
  ModelSpec s = testing::Gemma2Shape();
  s.window = {};
  const Count base = CountParams(s).total;
  s.qk_norm = QkNorm::kPerHead;  // Qwen3: q_norm and k_norm of head_dim in each layer
  EXPECT_EQ(CountParams(s).total - base, 46 * 2 * 128);
  s.qk_norm = QkNorm::kFull;  // OLMo 2: q_norm of H*hd, k_norm of KV*hd
  EXPECT_EQ(CountParams(s).total - base, 46 * (32 * 128 + 16 * 128));
}

TEST(MoeParamsTest, RelativePositionsAddWrAndBiasesPerLayer) {
  // Transformer-XL: W_R (d x H*hd) and u, v (H*hd each) per layer; Chinchilla's L*d^2 = 5.4B.
  ModelSpec s = testing::Gemma2Shape();
  s.window = {};
  s.position = Position::kNone;
  const Count base = CountParams(s).total;
  s.position = Position::kRelative;
  EXPECT_EQ(CountParams(s).total - base, 46 * (Count{4608} * 4096 + 2 * 4096));
}

TEST(MoeParamsTest, WindowsDoNotChangeTheCount) {
  // Gemma 2 27B: 27,227,128,320 (KerasHub preset metadata), with or without its windows.
  ModelSpec s = testing::Gemma2Shape();
  EXPECT_EQ(CountParams(s).total, 27227128320);
  EXPECT_EQ(s.n_local_layers(), 23);
  EXPECT_TRUE(s.IsLocalLayer(0));
  EXPECT_FALSE(s.IsLocalLayer(1));
}

}  // namespace
}  // namespace planner
