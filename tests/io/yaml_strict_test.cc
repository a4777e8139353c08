#include "planner/io/yaml_strict.h"

#include <gtest/gtest.h>

#include "planner/io/input_error.h"
#include "planner/io/model_io.h"

namespace planner {
namespace {

const char* kGoodModel = R"(name: tiny
n_layers: 2
d_model: 64
n_heads: 4
d_ff: 256
vocab_size: 100
seq_len: 32
position: rope
mlp: swiglu
norm: rmsnorm
tied_embeddings: false
)";

std::string ErrorOf(const std::string& text) {
  try {
    ReadModelSpec(ParseYaml("m.yaml", text));
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(YamlStrictTest, GoodSpecParsesWithDefaults) {
  const ModelSpec s = ReadModelSpec(ParseYaml("m.yaml", kGoodModel));
  EXPECT_EQ(s.n_kv_heads, 4);
  EXPECT_EQ(s.head_dim, 16);
  EXPECT_TRUE(s.final_norm);
  EXPECT_TRUE(s.lm_head);
}

TEST(YamlStrictTest, UnknownKeySuggestsTheClosest) {
  EXPECT_EQ(ErrorOf(std::string(kGoodModel) + "n_head: 4\n"),
            "m.yaml:12:1: unknown key 'n_head' in model spec (did you mean 'n_heads'?)");
}

// An open mapping (a published run record) lists a key it does not know instead of failing,
// unless the key looks like a misspelt known one: close by edit distance, or the start of one.
TEST(YamlStrictTest, OpenMappingListsUnknownKeysButNotMisspeltOnes) {
  const std::vector<std::string> keys = {"micro_batch_size", "global_batch_size"};
  std::vector<std::string> unread;
  const StrictMap open("r.yaml", YAML::Load("micro_batch_size: 2\nnodes: 8\n"), keys, "'batch'",
                       &unread);
  EXPECT_EQ(open.Int("micro_batch_size"), 2);
  EXPECT_FALSE(open.Has("nodes"));
  EXPECT_EQ(unread, std::vector<std::string>{"nodes (line 2)"});
  for (const char* typo : {"micro_batch_sise: 2\n", "micro_batch: 2\n"}) {
    try {
      StrictMap("r.yaml", YAML::Load(typo), keys, "'batch'", &unread);
      ADD_FAILURE() << "expected an InputError for " << typo;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("(did you mean 'micro_batch_size'?)"), std::string::npos)
          << e.what();
    }
  }
  // Maps taken from an open mapping are open, and name the key with its path.
  const StrictMap outer("r.yaml", YAML::Load("batch:\n  nodes: 8\n"), {"batch"}, "run", &unread);
  outer.Map("batch", keys);
  EXPECT_EQ(unread.back(), "batch.nodes (line 2)");
}

TEST(YamlStrictTest, DuplicateKey) {
  EXPECT_EQ(ErrorOf(std::string(kGoodModel) + "d_ff: 512\n"),
            "m.yaml:12:1: duplicate key 'd_ff' in model spec");
}

TEST(YamlStrictTest, WrongTypes) {
  std::string t = kGoodModel;
  t.replace(t.find("n_layers: 2"), 11, "n_layers: \"2\"");
  EXPECT_EQ(ErrorOf(t), "m.yaml:2:11: n_layers must be an integer, got a quoted string '2'");
  t = kGoodModel;
  t.replace(t.find("d_ff: 256"), 9, "d_ff: 25.6");
  EXPECT_EQ(ErrorOf(t), "m.yaml:5:7: d_ff must be an integer, got '25.6'");
  t = kGoodModel;
  t.replace(t.find("tied_embeddings: false"), 22, "tied_embeddings: no");
  EXPECT_EQ(ErrorOf(t), "m.yaml:11:18: tied_embeddings must be true or false, got 'no'");
}

TEST(YamlStrictTest, EnumSuggests) {
  std::string t = kGoodModel;
  t.replace(t.find("mlp: swiglu"), 11, "mlp: swigelu");
  EXPECT_EQ(ErrorOf(t),
            "m.yaml:9:6: mlp must be one of 'gelu', 'relu', 'swiglu' or 'geglu', got 'swigelu' "
            "(did you mean 'swiglu'?)");
}

TEST(YamlStrictTest, ValidationErrorsPointAtTheKey) {
  std::string t = kGoodModel;
  t += "n_kv_heads: 3\n";
  EXPECT_EQ(ErrorOf(t), "m.yaml:12:13: n_heads (4) must be divisible by n_kv_heads (3)");
  t = std::string(kGoodModel) + "moe: {n_experts: 4, top_k: 5}\n";
  EXPECT_EQ(ErrorOf(t), "m.yaml:12:28: moe.top_k (5) cannot exceed moe.n_experts (4)");
  t = kGoodModel;
  t.replace(t.find("n_layers: 2"), 11, "n_layers: -2");
  EXPECT_EQ(ErrorOf(t), "m.yaml:2:11: n_layers must be a positive integer, got -2");
}

TEST(YamlStrictTest, NotAMappingEmptyAndBinary) {
  EXPECT_EQ(ErrorOf(""), "m.yaml: file is empty; expected a YAML mapping of keys");
  EXPECT_EQ(ErrorOf("- a\n- b\n"), "m.yaml:1:1: expected a YAML mapping of keys, got a list");
  EXPECT_EQ(ErrorOf(std::string("ab\0cd", 5)),
            "m.yaml: not a YAML text file (binary data at byte 2); expected a YAML mapping of keys");
  EXPECT_EQ(ErrorOf("a: [1, 2\n").substr(0, 21), "m.yaml:2:1: not valid");
}

TEST(YamlStrictTest, MissingRequiredKey) {
  std::string t = kGoodModel;
  t.erase(t.find("vocab_size: 100\n"), 16);
  EXPECT_EQ(ErrorOf(t), "m.yaml:1:1: missing required key 'vocab_size'");
}

TEST(YamlStrictTest, HeadDimMustDivideUnlessGiven) {
  std::string t = kGoodModel;
  t.replace(t.find("n_heads: 4"), 10, "n_heads: 5");
  EXPECT_EQ(ErrorOf(t),
            "m.yaml:4:10: d_model (64) is not divisible by n_heads (5); give head_dim explicitly");
  EXPECT_EQ(ErrorOf(t + "head_dim: 16\n"), "");
}

TEST(YamlStrictTest, OutOfRangeIntegers) {
  std::string t = kGoodModel;
  t.replace(t.find("d_ff: 256"), 9, "d_ff: 99999999999999999999");
  EXPECT_EQ(ErrorOf(t), "m.yaml:5:7: d_ff = 99999999999999999999 is out of range for a 64-bit integer");
}

}  // namespace
}  // namespace planner
