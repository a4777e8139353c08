#include "planner/core/params.h"

namespace planner {
namespace {

Count NormParams(const ModelSpec& s) {
  return s.norm == NormKind::kLayerNorm ? Count{2} * s.d_model : Count{s.d_model};
}

// One expert's (or the dense) MLP weights and biases.
struct MlpShape {
  Count up, gate, down, bias;
  Count total() const { return up + gate + down + bias; }
};

MlpShape MlpParams(const ModelSpec& s) {
  const Count d = s.d_model, ff = s.d_ff;
  MlpShape m{d * ff, s.gated_mlp() ? d * ff : 0, ff * d, 0};
  if (s.biases.mlp) m.bias = (s.gated_mlp() ? 2 * ff : ff) + d;
  return m;
}

class Builder {
 public:
  explicit Builder(const ModelSpec& s) : layers_(s.n_layers) {}
  void Layer(const char* name, ParamGroup g, Count per_layer) {
    if (per_layer != 0) out_.entries.push_back({name, g, per_layer, per_layer * layers_, false});
  }
  void Once(const char* name, ParamGroup g, Count n, bool embedding = false) {
    if (n != 0) out_.entries.push_back({name, g, 0, n, embedding});
  }
  ParamCount Finish() {
    for (const ParamEntry& e : out_.entries) {
      out_.total += e.total;
      out_.per_layer += e.per_layer;
      if (e.embedding) out_.embedding += e.total;
    }
    out_.non_embedding = out_.total - out_.embedding;
    return out_;
  }

 private:
  Count layers_;
  ParamCount out_;
};

}  // namespace

ParamCount CountParams(const ModelSpec& s) {
  const Count d = s.d_model, q = s.q_dim(), kv = s.kv_dim(), e = s.embed_dim();
  const Count experts = s.is_moe() ? s.moe.n_experts : 1;
  const MlpShape mlp = MlpParams(s);
  Builder b(s);

  b.Once("token_embedding", ParamGroup::kEmbedding, Count{s.vocab_size} * e, true);
  if (s.position == Position::kLearned) {
    b.Once("position_embedding", ParamGroup::kEmbedding, Count{s.max_position_embeddings} * d,
           true);
  }
  b.Once("token_type_embedding", ParamGroup::kEmbedding, Count{s.token_type_vocab_size} * d, true);
  if (s.word_embed_proj_dim > 0) {
    // OPT-350m: project_in (e -> d) and project_out (d -> e), no bias.
    b.Once("embedding_projection", ParamGroup::kEmbedding, 2 * e * d);
  }
  if (s.embedding_norm) b.Once("embedding_norm", ParamGroup::kNorm, NormParams(s));

  b.Layer("attention.q", ParamGroup::kAttention, d * q);
  b.Layer("attention.k", ParamGroup::kAttention, d * kv);
  b.Layer("attention.v", ParamGroup::kAttention, d * kv);
  b.Layer("attention.o", ParamGroup::kAttention, q * d);
  b.Layer("attention.bias", ParamGroup::kBias,
          (s.biases.qkv ? q + 2 * kv : 0) + (s.biases.attn_out ? d : 0));
  b.Layer("mlp.up", ParamGroup::kMlp, experts * mlp.up);
  b.Layer("mlp.gate", ParamGroup::kMlp, experts * mlp.gate);
  b.Layer("mlp.down", ParamGroup::kMlp, experts * mlp.down);
  b.Layer("mlp.bias", ParamGroup::kBias, experts * mlp.bias);
  if (s.is_moe()) b.Layer("router", ParamGroup::kRouter, d * s.moe.n_experts);
  b.Layer("norms", ParamGroup::kNorm, Count{s.norms_per_layer} * NormParams(s));

  if (s.final_norm) b.Once("final_norm", ParamGroup::kNorm, NormParams(s));
  if (s.lm_head && !s.tied_embeddings) {
    b.Once("lm_head", ParamGroup::kHead, Count{s.vocab_size} * e, true);
  }
  if (s.biases.lm_head) b.Once("lm_head.bias", ParamGroup::kBias, s.vocab_size);
  if (s.pooler) b.Once("pooler", ParamGroup::kPooler, d * d + d);

  ParamCount out = b.Finish();
  out.mlp_per_expert_per_layer = mlp.total();
  // Per token only top_k of the n_experts MLPs run.
  out.active = out.total - (experts - (s.is_moe() ? s.moe.top_k : 1)) * mlp.total() * s.n_layers;
  return out;
}

const char* ToString(ParamGroup g) {
  switch (g) {
    case ParamGroup::kEmbedding: return "embedding";
    case ParamGroup::kAttention: return "attention";
    case ParamGroup::kMlp: return "mlp";
    case ParamGroup::kRouter: return "router";
    case ParamGroup::kNorm: return "norm";
    case ParamGroup::kBias: return "bias";
    case ParamGroup::kHead: return "head";
    case ParamGroup::kPooler: return "pooler";
  }
  return "?";
}

}  // namespace planner
