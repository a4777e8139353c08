#include "planner/core/model_spec.h"

#include <gtest/gtest.h>

#include "model_fixtures.h"

namespace planner {
namespace {

std::string FailingKey(const ModelSpec& s) {
  const auto e = Validate(s);
  return e ? e->key : "";
}

TEST(ModelSpecTest, ValidModelPasses) { EXPECT_FALSE(Validate(testing::Seed002Model())); }

TEST(ModelSpecTest, RejectsNonPositiveSizes) {
  ModelSpec s = testing::Seed002Model();
  s.n_layers = 0;
  EXPECT_EQ(FailingKey(s), "n_layers");
  s = testing::Seed002Model();
  s.d_ff = -5;
  EXPECT_EQ(FailingKey(s), "d_ff");
}

TEST(ModelSpecTest, RejectsKvHeadsThatDoNotDivideHeads) {
  ModelSpec s = testing::Seed002Model();
  s.n_kv_heads = 4;  // 25 % 4 != 0
  EXPECT_EQ(FailingKey(s), "n_kv_heads");
}

TEST(ModelSpecTest, RejectsTopKAboveExperts) {
  ModelSpec s = testing::Seed002Model();
  s.moe = {8, 9};
  EXPECT_EQ(FailingKey(s), "moe.top_k");
}

TEST(ModelSpecTest, LearnedPositionsNeedATable) {
  ModelSpec s = testing::Seed002Model();
  s.position = Position::kLearned;
  EXPECT_EQ(FailingKey(s), "position");
}

TEST(ModelSpecTest, RejectsHugeDimensionsBeforeTheyOverflow) {
  ModelSpec s = testing::Seed002Model();
  s.d_model = int64_t{1} << 40;
  EXPECT_EQ(FailingKey(s), "d_model");
}

TEST(ModelSpecTest, MoeLayoutMustLeaveAnMoeLayer) {
  ModelSpec s = testing::Seed002Model();
  s.moe = {8, 2};
  s.moe.first_dense_layers = 48;  // all 48 layers dense
  EXPECT_EQ(FailingKey(s), "moe.first_dense_layers");
  s.moe.first_dense_layers = 0;
  s.moe.every = 0;
  EXPECT_EQ(FailingKey(s), "moe.every");
  s = testing::Seed002Model();
  s.moe.n_shared_experts = 1;  // shared experts without routed ones
  EXPECT_EQ(FailingKey(s), "moe.n_experts");
}

TEST(ModelSpecTest, MlaNeedsItsRanksAndMatchingHeadDim) {
  ModelSpec s = testing::Seed002Model();
  s.mla = {0, 0, 48, 16, 64};
  EXPECT_EQ(FailingKey(s), "mla.kv_lora_rank");
  s.mla.kv_lora_rank = 256;
  EXPECT_FALSE(Validate(s));  // head_dim 64 = 48 + 16
  s.mla.qk_rope_head_dim = 32;
  EXPECT_EQ(FailingKey(s), "head_dim");
}

TEST(ModelSpecTest, MoeAndWindowLayerPatterns) {
  ModelSpec s = testing::Seed002Model();
  s.moe = {8, 2};
  s.moe.first_dense_layers = 3;
  s.moe.every = 2;  // layers 4, 6, ..., 46 (0-based): (48 - 3) / 2 = 22
  EXPECT_EQ(s.n_moe_layers(), 22);
  int64_t moe = 0;
  for (int64_t i = 0; i < s.n_layers; ++i) moe += s.IsMoeLayer(i) ? 1 : 0;
  EXPECT_EQ(moe, 22);
  s.window = {128, 5, WindowKind::kSliding};  // Gemma 3's 5 local : 1 global
  int64_t local = 0;
  for (int64_t i = 0; i < s.n_layers; ++i) local += s.IsLocalLayer(i) ? 1 : 0;
  EXPECT_EQ(local, 40);
  EXPECT_EQ(s.n_local_layers(), 40);
}

}  // namespace
}  // namespace planner
