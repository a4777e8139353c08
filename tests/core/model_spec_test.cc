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

}  // namespace
}  // namespace planner
