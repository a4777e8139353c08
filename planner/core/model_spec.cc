#include "planner/core/model_spec.h"

#include <string>

#include "planner/core/limits.h"

namespace planner {
namespace {

std::optional<SpecError> RequirePositive(const char* key, int64_t value) {
  if (value > 0) return std::nullopt;
  return SpecError{key, std::string(key) + " must be a positive integer, got " +
                            std::to_string(value)};
}

std::optional<SpecError> RequireNonNegative(const char* key, int64_t value) {
  if (value >= 0) return std::nullopt;
  return SpecError{key, std::string(key) + " must not be negative, got " + std::to_string(value)};
}

// Every dimension that multiplies into a parameter or FLOP count is capped so that products of
// three of them (e.g. tokens * d_model * d_ff) cannot overflow 64 bits; counts are additionally
// checked for overflow where they are computed.

std::optional<SpecError> RequireBounded(const char* key, int64_t value) {
  if (value <= kMaxDimension) return std::nullopt;
  return SpecError{key, std::string(key) + " = " + std::to_string(value) +
                            " is implausibly large (limit " + std::to_string(kMaxDimension) + ")"};
}

std::optional<SpecError> ValidateMoe(const ModelSpec& s);
std::optional<SpecError> ValidateMla(const ModelSpec& s);
std::optional<SpecError> ValidateHybrid(const ModelSpec& s);
std::optional<SpecError> ValidateCsa(const ModelSpec& s);

}  // namespace

std::optional<SpecError> Validate(const ModelSpec& s) {
  const std::pair<const char*, int64_t> positive[] = {
      {"n_layers", s.n_layers},     {"d_model", s.d_model},       {"n_heads", s.n_heads},
      {"n_kv_heads", s.n_kv_heads}, {"head_dim", s.head_dim},     {"d_ff", s.d_ff},
      {"vocab_size", s.vocab_size}, {"seq_len", s.seq_len},       {"norms_per_layer", s.norms_per_layer}};
  for (const auto& [key, value] : positive) {
    if (auto e = RequirePositive(key, value)) return e;
    if (auto e = RequireBounded(key, value)) return e;
  }
  const std::pair<const char*, int64_t> non_negative[] = {
      {"max_position_embeddings", s.max_position_embeddings},
      {"token_type_vocab_size", s.token_type_vocab_size},
      {"word_embed_proj_dim", s.word_embed_proj_dim},
      {"moe.n_experts", s.moe.n_experts},
      {"moe.top_k", s.moe.top_k},
      {"moe.d_ff_expert", s.moe.d_ff_expert},
      {"moe.n_shared_experts", s.moe.n_shared_experts},
      {"moe.d_ff_shared", s.moe.d_ff_shared},
      {"moe.first_dense_layers", s.moe.first_dense_layers},
      {"moe.max_nodes_per_token", s.moe.max_nodes_per_token},
      {"moe.latent_size", s.moe.latent_size},
      {"mla.q_lora_rank", s.mla.q_lora_rank},
      {"mla.kv_lora_rank", s.mla.kv_lora_rank},
      {"mla.qk_nope_head_dim", s.mla.qk_nope_head_dim},
      {"mla.qk_rope_head_dim", s.mla.qk_rope_head_dim},
      {"mla.v_head_dim", s.mla.v_head_dim},
      {"window.size", s.window.size},
      {"window.local_per_global", s.window.local_per_global},
      {"mtp_modules", s.mtp_modules}};
  for (const auto& [key, value] : non_negative) {
    if (auto e = RequireNonNegative(key, value)) return e;
    if (auto e = RequireBounded(key, value)) return e;
  }
  if (s.n_heads % s.n_kv_heads != 0) {
    return SpecError{"n_kv_heads", "n_heads (" + std::to_string(s.n_heads) +
                                       ") must be divisible by n_kv_heads (" +
                                       std::to_string(s.n_kv_heads) + ")"};
  }
  if (s.position == Position::kLearned && s.max_position_embeddings <= 0) {
    return SpecError{
        "position", "position: learned needs max_position_embeddings (rows of the position table)"};
  }
  if (s.position != Position::kLearned && s.max_position_embeddings > 0) {
    return SpecError{"max_position_embeddings",
                     std::string("max_position_embeddings is only meaningful with position: "
                                 "learned (this model uses ") +
                         ToString(s.position) + ")"};
  }
  if (auto e = ValidateMoe(s)) return e;
  if (auto e = ValidateMla(s)) return e;
  if (auto e = ValidateHybrid(s)) return e;
  if (auto e = ValidateCsa(s)) return e;
  if (s.hyper_connections < 1 || s.hyper_connections > 64) {
    return SpecError{"hyper_connections",
                     "hyper_connections (residual streams) must be between 1 and 64, got " +
                         std::to_string(s.hyper_connections)};
  }
  if (s.window.local_per_global > 0 && s.window.size == 0) {
    return SpecError{"window.size", "window.local_per_global needs a window size"};
  }
  if (!s.lm_head && s.biases.lm_head) {
    return SpecError{"biases.lm_head", "biases.lm_head is set but lm_head is false"};
  }
  return std::nullopt;
}

int64_t ModelSpec::n_moe_layers() const {
  if (is_hybrid()) return CountKind('E', 0);
  if (!is_moe() || moe.first_dense_layers >= n_layers) return 0;
  return (n_layers - moe.first_dense_layers) / moe.every;
}

double ModelSpec::mlp_width_per_token() const {
  const double moe_width = is_moe() ? static_cast<double>(moe.top_k) * d_ff_expert() +
                                          static_cast<double>(moe.n_shared_experts) * d_ff_shared()
                                    : 0;
  return dense_mlp_share() * static_cast<double>(d_ff) + moe_share() * moe_width;
}

int64_t CsaSpec::indexed_ratio() const {
  int64_t smallest = 0;
  for (int64_t m : compress_ratios) {
    if (m > 0 && (smallest == 0 || m < smallest)) smallest = m;
  }
  return index_topk > 0 ? smallest : 0;
}

int64_t ModelSpec::n_local_layers() const {
  if (window.size == 0) return 0;
  return n_layers - (window.local_per_global == 0 ? 0 : n_layers / (window.local_per_global + 1));
}

namespace {

std::optional<SpecError> ValidateMoe(const ModelSpec& s) {
  if (s.is_moe()) {
    if (s.moe.top_k <= 0) return SpecError{"moe.top_k", "moe.top_k must be a positive integer"};
    if (s.moe.top_k > s.moe.n_experts) {
      return SpecError{"moe.top_k", "moe.top_k (" + std::to_string(s.moe.top_k) +
                                        ") cannot exceed moe.n_experts (" +
                                        std::to_string(s.moe.n_experts) + ")"};
    }
    if (s.moe.every <= 0 || s.moe.every > s.n_layers) {
      return SpecError{"moe.every", "moe.every must be between 1 and n_layers (" +
                                        std::to_string(s.n_layers) + "), got " +
                                        std::to_string(s.moe.every)};
    }
    if (!(s.moe.load_imbalance >= 1 && s.moe.load_imbalance <= 64)) {
      return SpecError{"moe.load_imbalance",
                       "moe.load_imbalance (the busiest rank's tokens over the mean) must be "
                       "between 1 and 64"};
    }
    if (s.n_moe_layers() == 0 && !s.is_hybrid()) {
      return SpecError{"moe.first_dense_layers",
                       "moe.first_dense_layers (" + std::to_string(s.moe.first_dense_layers) +
                           ") and moe.every leave no MoE layer among the " +
                           std::to_string(s.n_layers) + " layers"};
    }
  } else if (s.moe.top_k > 0 || s.moe.n_shared_experts > 0 || s.moe.max_nodes_per_token > 0 ||
             s.moe.latent_size > 0) {
    return SpecError{"moe.n_experts", "moe needs n_experts > 0"};
  }
  return std::nullopt;
}

std::optional<SpecError> ValidateHybrid(const ModelSpec& s) {
  const bool mamba = s.n_mamba_layers() > 0;
  if (!s.is_hybrid()) {
    if (s.mamba.n_heads > 0) return SpecError{"mamba.n_heads", "mamba needs a hybrid_pattern"};
    return std::nullopt;
  }
  if (static_cast<int64_t>(s.hybrid_pattern.size()) != s.n_layers) {
    return SpecError{"hybrid_pattern", "hybrid_pattern has " +
                                           std::to_string(s.hybrid_pattern.size()) +
                                           " layers, n_layers says " + std::to_string(s.n_layers)};
  }
  for (char c : s.hybrid_pattern) {
    if (c != 'M' && c != '*' && c != '-' && c != 'E') {
      return SpecError{"hybrid_pattern", std::string("hybrid_pattern: '") + c +
                                             "' is not a layer kind: M (Mamba-2), * (attention), "
                                             "- (MLP) or E (MoE MLP)"};
    }
  }
  if (s.n_moe_layers() > 0 && !s.is_moe()) {
    return SpecError{"hybrid_pattern", "hybrid_pattern has MoE layers (E) but moe.n_experts is 0"};
  }
  if (s.is_moe() && s.n_moe_layers() == 0) {
    return SpecError{"moe.n_experts", "moe is set but hybrid_pattern has no MoE layer (E)"};
  }
  if (s.moe.first_dense_layers != 0 || s.moe.every != 1) {
    return SpecError{"moe.every",
                     "with a hybrid_pattern the pattern places the MoE layers: "
                     "leave out moe.every and moe.first_dense_layers"};
  }
  if (s.window.size > 0 || s.is_mla()) {
    return SpecError{"hybrid_pattern", "hybrid_pattern does not combine with window or mla"};
  }
  if (!mamba) return std::nullopt;
  if (s.mamba.n_heads == 0) {
    return SpecError{"hybrid_pattern",
                     "hybrid_pattern has Mamba layers (M) but no mamba block: "
                     "give mamba.n_heads, mamba.head_dim and mamba.state_size"};
  }
  const std::pair<const char*, int64_t> needed[] = {
      {"mamba.n_heads", s.mamba.n_heads},         {"mamba.head_dim", s.mamba.head_dim},
      {"mamba.state_size", s.mamba.state_size},   {"mamba.n_groups", s.mamba.n_groups},
      {"mamba.conv_kernel", s.mamba.conv_kernel}, {"mamba.chunk_size", s.mamba.chunk_size}};
  for (const auto& [key, value] : needed) {
    if (auto e = RequirePositive(key, value)) return e;
    if (auto e = RequireBounded(key, value)) return e;
  }
  if (s.mamba.n_heads % s.mamba.n_groups != 0) {
    return SpecError{"mamba.n_groups", "mamba.n_heads (" + std::to_string(s.mamba.n_heads) +
                                           ") must be divisible by mamba.n_groups (" +
                                           std::to_string(s.mamba.n_groups) + ")"};
  }
  return std::nullopt;
}

std::optional<SpecError> ValidateCsa(const ModelSpec& s) {
  if (!s.is_csa()) return std::nullopt;
  const CsaSpec& c = s.csa;
  const std::pair<const char*, int64_t> needed[] = {{"csa.q_lora_rank", c.q_lora_rank},
                                                    {"csa.o_lora_rank", c.o_lora_rank},
                                                    {"csa.o_groups", c.o_groups},
                                                    {"csa.sliding_window", c.sliding_window}};
  for (const auto& [key, value] : needed) {
    if (auto e = RequirePositive(key, value)) return e;
    if (auto e = RequireBounded(key, value)) return e;
  }
  for (const auto& [key, value] :
       {std::pair<const char*, int64_t>{"csa.index_n_heads", c.index_n_heads},
        {"csa.index_head_dim", c.index_head_dim},
        {"csa.index_topk", c.index_topk}}) {
    if (auto e = RequireNonNegative(key, value)) return e;
    if (auto e = RequireBounded(key, value)) return e;
  }
  const int64_t layers = s.n_layers + s.mtp_modules;
  const int64_t given = static_cast<int64_t>(c.compress_ratios.size());
  if (given != s.n_layers && given != layers) {
    const std::string mtp =
        s.mtp_modules > 0 ? ", or per layer and MTP layer (" + std::to_string(layers) + ")" : "";
    return SpecError{"csa.compress_ratios", "csa.compress_ratios has " + std::to_string(given) +
                                                " entries; give one per layer (" +
                                                std::to_string(s.n_layers) + ")" + mtp};
  }
  for (int64_t m : c.compress_ratios) {
    if (m < 0 || m == 1 || m > s.seq_len) {
      return SpecError{"csa.compress_ratios",
                       "csa.compress_ratios: " + std::to_string(m) +
                           " is not a ratio: 0 (window only) or 2 to seq_len"};
    }
  }
  if (s.q_dim() % c.o_groups != 0) {
    return SpecError{"csa.o_groups", "n_heads x head_dim must be divisible by csa.o_groups"};
  }
  if (c.index_topk > 0 && (c.index_n_heads <= 0 || c.index_head_dim <= 0)) {
    return SpecError{"csa.index_topk", "csa.index_topk needs index_n_heads and index_head_dim"};
  }
  if (s.is_mla() || s.is_hybrid() || s.window.size > 0) {
    return SpecError{"csa", "csa does not combine with mla, hybrid_pattern or window"};
  }
  return std::nullopt;
}

std::optional<SpecError> ValidateMla(const ModelSpec& s) {
  if (!s.is_mla()) {
    if (s.mla.q_lora_rank > 0 || s.mla.qk_nope_head_dim > 0 || s.mla.qk_rope_head_dim > 0 ||
        s.mla.v_head_dim > 0) {
      return SpecError{"mla.kv_lora_rank", "mla needs kv_lora_rank > 0"};
    }
    return std::nullopt;
  }
  const std::pair<const char*, int64_t> needed[] = {
      {"mla.qk_nope_head_dim", s.mla.qk_nope_head_dim},
      {"mla.qk_rope_head_dim", s.mla.qk_rope_head_dim},
      {"mla.v_head_dim", s.mla.v_head_dim}};
  for (const auto& [key, value] : needed) {
    if (auto e = RequirePositive(key, value)) return e;
  }
  if (s.head_dim != s.mla.qk_nope_head_dim + s.mla.qk_rope_head_dim) {
    return SpecError{"head_dim",
                     "with mla, head_dim must be qk_nope_head_dim + qk_rope_head_dim (" +
                         std::to_string(s.mla.qk_nope_head_dim + s.mla.qk_rope_head_dim) +
                         "), got " + std::to_string(s.head_dim)};
  }
  if (s.n_kv_heads != s.n_heads) {
    return SpecError{"n_kv_heads",
                     "with mla every head has its own key and value: n_kv_heads must "
                     "equal n_heads"};
  }
  if (s.biases.qkv) return SpecError{"biases.qkv", "biases.qkv is not supported with mla"};
  return std::nullopt;
}

}  // namespace

}  // namespace planner
