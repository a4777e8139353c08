#include "planner/core/params.h"

#include <gtest/gtest.h>

#include "planner/core/units.h"
#include "model_fixtures.h"

namespace planner {
namespace {

Count Entry(const ParamCount& p, const std::string& name) {
  for (const ParamEntry& e : p.entries) {
    if (e.name == name) return e.total;
  }
  return -1;
}

TEST(ParamsTest, Seed002ModelIsExact) {
  const ParamCount p = CountParams(testing::Seed002Model());
  // Seed 002 (a): embeddings 2*V*D, per block 4D^2 + 3DF + 2D, final norm D.
  const Count embeddings = 2 * Count{50257} * 1600;
  const Count per_block = 4 * Count{1600} * 1600 + 3 * Count{1600} * 6400 + 2 * 1600;
  EXPECT_EQ(embeddings, 160822400);
  EXPECT_EQ(per_block, 40963200);
  EXPECT_EQ(p.per_layer, per_block);
  EXPECT_EQ(p.total, embeddings + 48 * per_block + 1600);
  EXPECT_EQ(p.total, 2127057600);
}

TEST(ParamsTest, Seed002WeightsAre792GiBInFp32) {
  // ERRATA: the seed's "7.92 GB" divides by 1024^3, so it is 7.92 GiB (8.51 GB).
  const double bytes = 4.0 * static_cast<double>(CountParams(testing::Seed002Model()).total);
  EXPECT_NEAR(BytesToGiB(bytes), 7.92, 0.005);
  EXPECT_NEAR(BytesToGB(bytes), 8.51, 0.005);
}

TEST(ParamsTest, BreakdownSumsToTotalAndNamesEachPart) {
  const ParamCount p = CountParams(testing::Seed002Model());
  Count sum = 0;
  for (const ParamEntry& e : p.entries) sum += e.total;
  EXPECT_EQ(sum, p.total);
  EXPECT_EQ(Entry(p, "attention.q"), 48 * Count{1600} * 1600);
  EXPECT_EQ(Entry(p, "mlp.gate"), 48 * Count{1600} * 6400);
  EXPECT_EQ(Entry(p, "lm_head"), Count{50257} * 1600);
  EXPECT_EQ(Entry(p, "position_embedding"), -1);  // no position table
  // Kaplan's N leaves out both vocabulary matrices (input embedding, untied head).
  EXPECT_EQ(p.non_embedding, p.total - 2 * Count{50257} * 1600);
}

TEST(ParamsTest, GqaShrinksKeyAndValueProjections) {
  // Llama 2 70B: d 8192, 64 heads of 128, 8 KV heads: k and v are d x (8*128) each.
  ModelSpec s = testing::Seed002Model();
  s.n_layers = 80;
  s.d_model = 8192;
  s.n_heads = 64;
  s.n_kv_heads = 8;
  s.head_dim = 128;
  const ParamCount p = CountParams(s);
  EXPECT_EQ(Entry(p, "attention.k"), 80 * Count{8192} * 1024);
  EXPECT_EQ(Entry(p, "attention.q"), 80 * Count{8192} * 8192);
}

TEST(ParamsTest, MoeActiveParamsCountTopKExperts) {
  // Mixtral 8x7B: 32 layers, d 4096, 32 heads / 8 KV of 128, expert d_ff 14336, V 32000, untied,
  // RMSNorm. Hugging Face total 46,702,792,704; Mistral AI: "12.9B active parameters".
  ModelSpec s = testing::Seed002Model();
  s.n_layers = 32;
  s.d_model = 4096;
  s.n_heads = 32;
  s.n_kv_heads = 8;
  s.head_dim = 128;
  s.d_ff = 14336;
  s.vocab_size = 32000;
  s.moe = {8, 2};
  const ParamCount p = CountParams(s);
  EXPECT_EQ(p.total, 46702792704);
  const Count expert = 3 * Count{4096} * 14336;
  EXPECT_EQ(p.active, p.total - 6 * expert * 32);
  EXPECT_NEAR(static_cast<double>(p.active) / 1e9, 12.9, 0.05);
  EXPECT_EQ(Entry(p, "router"), 32 * Count{4096} * 8);
}

}  // namespace
}  // namespace planner
