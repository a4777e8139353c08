// ModelSpec: the architecture of a transformer language model, exactly as the YAML model spec
// describes it (see configs/models/ and DESIGN.md). Pure data plus validation; no I/O.
#ifndef PLANNER_CORE_MODEL_SPEC_H_
#define PLANNER_CORE_MODEL_SPEC_H_

#include <cstdint>
#include <optional>
#include <string>

namespace planner {

enum class Position { kLearned, kRope, kAlibi, kNone };
enum class MlpKind { kGelu, kRelu, kSwiglu, kGeglu };
enum class NormKind { kLayerNorm, kRmsNorm };

struct Biases {
  bool qkv = false;
  bool attn_out = false;
  bool mlp = false;
  bool lm_head = false;
};

// Mixture of experts: every layer's MLP becomes n_experts experts of width d_ff, of which top_k
// run per token, chosen by a d_model x n_experts router without bias. n_experts == 0: dense.
struct MoeSpec {
  int64_t n_experts = 0;
  int64_t top_k = 0;
};

struct ModelSpec {
  std::string name;
  int64_t n_layers = 0;
  int64_t d_model = 0;
  int64_t n_heads = 0;
  int64_t n_kv_heads = 0;  // == n_heads for MHA, < n_heads for GQA/MQA
  int64_t head_dim = 0;    // default d_model / n_heads
  int64_t d_ff = 0;        // per expert for MoE
  int64_t vocab_size = 0;
  int64_t seq_len = 0;                  // training sequence length
  int64_t max_position_embeddings = 0;  // rows of the learned position table (0 unless learned)
  Position position = Position::kLearned;
  MlpKind mlp = MlpKind::kGelu;
  NormKind norm = NormKind::kLayerNorm;
  int64_t norms_per_layer = 2;
  bool final_norm = true;
  bool embedding_norm = false;
  bool parallel_attn_mlp = false;
  bool tied_embeddings = true;
  bool lm_head = true;
  Biases biases;
  MoeSpec moe;
  int64_t token_type_vocab_size = 0;
  bool pooler = false;
  int64_t word_embed_proj_dim = 0;  // 0: embeddings are d_model wide

  bool is_moe() const { return moe.n_experts > 0; }
  bool gated_mlp() const { return mlp == MlpKind::kSwiglu || mlp == MlpKind::kGeglu; }
  int64_t q_dim() const { return n_heads * head_dim; }
  int64_t kv_dim() const { return n_kv_heads * head_dim; }
  int64_t embed_dim() const { return word_embed_proj_dim > 0 ? word_embed_proj_dim : d_model; }
};

// A validation failure names the spec key it is about, so the YAML layer can point at its line.
struct SpecError {
  std::string key;  // e.g. "n_kv_heads", "moe.top_k"
  std::string message;
};

// Checks sizes and consistency. Defaults (n_kv_heads, head_dim) must already be filled in.
std::optional<SpecError> Validate(const ModelSpec& spec);

const char* ToString(Position p);
const char* ToString(MlpKind m);
const char* ToString(NormKind n);

}  // namespace planner

#endif  // PLANNER_CORE_MODEL_SPEC_H_
