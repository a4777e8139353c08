#include "planner/core/params.h"

#include <string>
#include <utility>

#include "planner/core/sparse_attention.h"

namespace planner {
namespace {

Count NormWidth(const ModelSpec& s, Count width) {
  return s.norm == NormKind::kLayerNorm ? 2 * width : width;
}
Count NormParams(const ModelSpec& s) { return NormWidth(s, s.d_model); }

// One expert's (or the dense) MLP weights and biases.
struct MlpShape {
  Count up, gate, down, bias;
  Count total() const { return up + gate + down + bias; }
};

// `width`: the MLP's input and output width, d_model unless a LatentMoE expert's latent width.
MlpShape MlpParams(const ModelSpec& s, Count ff, Count width = 0) {
  const Count d = width > 0 ? width : s.d_model;
  MlpShape m{d * ff, s.gated_mlp() ? d * ff : 0, ff * d, 0};
  if (s.biases.mlp) m.bias = (s.gated_mlp() ? 2 * ff : ff) + d;
  return m;
}

class Builder {
 public:
  Builder(std::vector<ParamEntry>* out, std::string prefix)
      : out_(out), prefix_(std::move(prefix)) {}
  // per_layer parameters in each of `layers` layers.
  void Layer(const std::string& name, ParamGroup g, Count per_layer, int64_t layers) {
    if (per_layer != 0 && layers > 0) {
      out_->push_back({prefix_ + name, g, per_layer, per_layer * layers, false, layers});
    }
  }
  void Once(const std::string& name, ParamGroup g, Count n, bool embedding = false) {
    if (n != 0) out_->push_back({prefix_ + name, g, 0, n, embedding, 0});
  }
  // `copies` MLPs of one shape in each of `layers` layers, one entry per matrix.
  void Mlp(const std::string& name, const MlpShape& m, Count copies, int64_t layers) {
    Layer(name + ".up", ParamGroup::kMlp, copies * m.up, layers);
    Layer(name + ".gate", ParamGroup::kMlp, copies * m.gate, layers);
    Layer(name + ".down", ParamGroup::kMlp, copies * m.down, layers);
    Layer(name + ".bias", ParamGroup::kBias, copies * m.bias, layers);
  }

 private:
  std::vector<ParamEntry>* out_;
  std::string prefix_;
};

// Multi-head latent attention (see MlaSpec): low-rank q and kv with a norm on each latent.
void AddMlaAttention(Builder* b, const ModelSpec& s, int64_t layers) {
  const Count d = s.d_model, h = s.n_heads, qk = s.head_dim, rope = s.mla.qk_rope_head_dim;
  const Count ql = s.mla.q_lora_rank, kvl = s.mla.kv_lora_rank, v = s.mla.v_head_dim;
  if (ql > 0) {
    b->Layer("attention.q_a", ParamGroup::kAttention, d * ql, layers);
    b->Layer("attention.q_a_norm", ParamGroup::kNorm, NormWidth(s, ql), layers);
    b->Layer("attention.q_b", ParamGroup::kAttention, ql * h * qk, layers);
  } else {
    b->Layer("attention.q", ParamGroup::kAttention, d * h * qk, layers);
  }
  b->Layer("attention.kv_a", ParamGroup::kAttention, d * (kvl + rope), layers);
  b->Layer("attention.kv_a_norm", ParamGroup::kNorm, NormWidth(s, kvl), layers);
  b->Layer("attention.kv_b", ParamGroup::kAttention, kvl * h * (qk - rope + v), layers);
  b->Layer("attention.o", ParamGroup::kAttention, h * v * d, layers);
  b->Layer("attention.bias", ParamGroup::kBias, s.biases.attn_out ? d : 0, layers);
}

// DeepSeek-V4's hybrid attention (see CsaSpec) in layers [first, first + layers): low-rank q
// with its norm, one shared kv head with its norm, the grouped low-rank output, a sink logit per
// head; a compressor (two projections, a learned position bias of ratio x width, a norm) where
// the layer compresses; the indexer's query projection, head weights and compressor where it
// selects.
void AddCsaAttention(Builder* b, const ModelSpec& s, int64_t first, int64_t layers) {
  const CsaSpec& a = s.csa;
  const Count d = s.d_model, D = s.head_dim, ql = a.q_lora_rank;
  b->Layer("attention.q_a", ParamGroup::kAttention, d * ql, layers);
  b->Layer("attention.q_a_norm", ParamGroup::kNorm, NormWidth(s, ql), layers);
  b->Layer("attention.q_b", ParamGroup::kAttention, ql * s.q_dim(), layers);
  b->Layer("attention.kv", ParamGroup::kAttention, d * D, layers);
  b->Layer("attention.kv_norm", ParamGroup::kNorm, NormWidth(s, D), layers);
  b->Layer("attention.o_a", ParamGroup::kAttention, s.q_dim() * a.o_lora_rank, layers);
  b->Layer("attention.o_b", ParamGroup::kAttention, Count{a.o_groups} * a.o_lora_rank * d, layers);
  b->Layer("attention.sinks", ParamGroup::kAttention, s.n_heads, layers);
  const CsaLayerCounts n = CountCsaLayers(s, first, layers);
  const int64_t indexed = a.indexed_ratio();
  // A compressor of `width` x head_dim over windows of `ratio` tokens.
  auto compressor = [&](const std::string& name, Count ratio, Count width, Count head,
                        int64_t count) {
    b->Layer(name, ParamGroup::kAttention,
             2 * d * width * head + ratio * width * head + NormWidth(s, head), count);
  };
  compressor("attention.compressor (indexed)", indexed, 2, D, n.indexed);
  for (const auto& [m, count] : CsaLayersByRatio(s, first, layers)) {
    // Each larger ratio's position bias is ratio rows.
    if (m > 0 && m != indexed) {
      compressor("attention.compressor (ratio " + std::to_string(m) + ")", m, 1, D, count);
    }
  }
  const Count ih = a.index_n_heads, idim = a.index_head_dim;
  b->Layer("attention.indexer", ParamGroup::kAttention, ql * ih * idim + d * ih, n.indexed);
  compressor("attention.indexer.compressor", indexed, 2, idim, n.indexed);
}

void AddAttention(Builder* b, const ModelSpec& s, int64_t layers, int64_t first) {
  const Count d = s.d_model, q = s.q_dim(), kv = s.kv_dim();
  if (s.is_csa()) {
    AddCsaAttention(b, s, first, layers);
    return;
  }
  if (s.is_mla()) {
    AddMlaAttention(b, s, layers);
  } else {
    b->Layer("attention.q", ParamGroup::kAttention, d * q, layers);
    b->Layer("attention.k", ParamGroup::kAttention, d * kv, layers);
    b->Layer("attention.v", ParamGroup::kAttention, d * kv, layers);
    b->Layer("attention.o", ParamGroup::kAttention, q * d, layers);
    b->Layer("attention.bias", ParamGroup::kBias,
             (s.biases.qkv ? q + 2 * kv : 0) + (s.biases.attn_out ? d : 0), layers);
  }
  const Count qk_norm = s.qk_norm == QkNorm::kPerHead ? 2 * NormWidth(s, s.head_dim)
                        : s.qk_norm == QkNorm::kFull  ? NormWidth(s, q) + NormWidth(s, kv)
                                                      : 0;
  b->Layer("attention.qk_norm", ParamGroup::kNorm, qk_norm, layers);
  b->Layer("attention.sinks", ParamGroup::kAttention, s.attention_sinks ? s.n_heads : 0, layers);
  if (s.position == Position::kRelative) {
    // Transformer-XL: W_R projects the relative encodings; u and v are per-layer query biases.
    b->Layer("attention.relative_position", ParamGroup::kAttention, d * q, layers);
    b->Layer("attention.relative_bias", ParamGroup::kBias, 2 * q, layers);
  }
}

// The MLPs of n_dense dense layers and n_moe MoE layers.
void AddMlps(Builder* b, const ModelSpec& s, int64_t n_dense, int64_t n_moe) {
  if (!s.is_moe()) {
    b->Mlp("mlp", MlpParams(s, s.d_ff), 1, n_dense);
    return;
  }
  b->Mlp("dense_mlp", MlpParams(s, s.d_ff), 1, n_dense);
  b->Mlp("mlp", MlpParams(s, s.d_ff_expert(), s.routed_width()), s.moe.n_experts, n_moe);
  if (s.moe.latent_size > 0) {  // LatentMoE's down and up projections around the routed experts
    b->Layer("moe.latent_proj", ParamGroup::kMlp, 2 * Count{s.d_model} * s.moe.latent_size, n_moe);
  }
  b->Mlp("shared_experts", MlpParams(s, s.d_ff_shared()), s.moe.n_shared_experts, n_moe);
  b->Layer("router", ParamGroup::kRouter, Count{s.d_model} * s.moe.n_experts, n_moe);
  b->Layer("router.bias", ParamGroup::kRouter, s.moe.router_bias ? s.moe.n_experts : 0, n_moe);
}

// Megatron-Core's MambaMixer (see MambaSpec): in_proj and out_proj without biases, the conv1d's
// weight and bias, dt_bias, A_log and D per head, the gated RMSNorm's weight.
void AddMamba(Builder* b, const ModelSpec& s, int64_t layers) {
  const MambaSpec& mb = s.mamba;
  const Count d = s.d_model, inner = mb.d_inner(), heads = mb.n_heads;
  b->Layer("mamba.in_proj", ParamGroup::kMixer, d * mb.in_proj_width(), layers);
  b->Layer("mamba.conv1d", ParamGroup::kMixer, Count{mb.conv_channels()} * (mb.conv_kernel + 1),
           layers);
  b->Layer("mamba.dt_A_D", ParamGroup::kMixer, 3 * heads, layers);
  b->Layer("mamba.norm", ParamGroup::kNorm, inner, layers);
  b->Layer("mamba.out_proj", ParamGroup::kMixer, inner * d, layers);
}

// `main`: the model's own layers, not MTP modules'. A hybrid model's own layers each hold one
// sublayer; its MTP layers are attention + MLP.
void AddLayers(Builder* b, const ModelSpec& s, int64_t layers, int64_t moe_layers, bool main) {
  const bool hybrid = s.is_hybrid() && main;
  AddAttention(b, s, hybrid ? s.n_attention_layers() : layers, main ? 0 : s.n_layers);
  // Hyper-connections: around each of the layer's two sublayers a map from the streams to their
  // pre, post and residual mixing weights (streams x d -> streams^2 + 2 streams, with a bias) and
  // three scales.
  const Count hc = s.hyper_connections, maps = hc * hc + 2 * hc;
  if (hc > 1) {
    b->Layer("hyper_connections", ParamGroup::kNorm, 2 * (hc * s.d_model * maps + maps + 3),
             layers);
  }
  if (hybrid) AddMamba(b, s, s.n_mamba_layers());
  AddMlps(b, s, (hybrid ? s.n_mlp_layers() : layers) - moe_layers, moe_layers);
  // An MTP layer of a hybrid model is two blocks (attention, MLP) of one norm each.
  const int64_t norms = s.is_hybrid() && !hybrid ? 2 : s.norms_per_layer;
  b->Layer("norms", ParamGroup::kNorm, Count{norms} * NormParams(s), layers);
}

void AddEmbeddings(Builder* b, const ModelSpec& s) {
  const Count d = s.d_model, e = s.embed_dim();
  b->Once("token_embedding", ParamGroup::kEmbedding, Count{s.vocab_size} * e, true);
  if (s.position == Position::kLearned) {
    b->Once("position_embedding", ParamGroup::kEmbedding, Count{s.max_position_embeddings} * d,
            true);
  }
  b->Once("token_type_embedding", ParamGroup::kEmbedding, Count{s.token_type_vocab_size} * d, true);
  if (s.word_embed_proj_dim > 0) {
    // OPT-350m: project_in (e -> d) and project_out (d -> e), no bias.
    b->Once("embedding_projection", ParamGroup::kEmbedding, 2 * e * d);
  }
  if (s.embedding_norm) b->Once("embedding_norm", ParamGroup::kNorm, NormParams(s));
}

// Hyper-connections' output contraction at the end of the layer stack (and of each MTP module):
// the streams' weights from an RMS-normed streams x d -> streams map, a bias and a scale.
void AddHyperConnectionsHead(Builder* b, const ModelSpec& s, Count copies) {
  const Count hc = s.hyper_connections;
  if (hc > 1) {
    b->Once("hyper_connections.head", ParamGroup::kNorm, copies * (hc * hc * s.d_model + hc + 1));
  }
}

void AddHead(Builder* b, const ModelSpec& s) {
  const Count d = s.d_model, e = s.embed_dim();
  AddHyperConnectionsHead(b, s, 1);
  if (s.final_norm) b->Once("final_norm", ParamGroup::kNorm, NormParams(s));
  if (s.lm_head && !s.tied_embeddings) {
    b->Once("lm_head", ParamGroup::kHead, Count{s.vocab_size} * e, true);
  }
  if (s.biases.lm_head) b->Once("lm_head.bias", ParamGroup::kBias, s.vocab_size);
  if (s.pooler) b->Once("pooler", ParamGroup::kPooler, d * d + d);
}

Count Sum(const std::vector<ParamEntry>& entries) {
  Count n = 0;
  for (const ParamEntry& e : entries) n += e.total;
  return n;
}

// DeepSeek-V3 MTP module k: norms of the hidden state and of the next token's embedding, a
// [2d -> d] projection of their concatenation, one transformer layer (the kind layer n_layers + k
// would be) and the output norm; embedding and head are the main model's.
// With mtp_shared_weights one module's weights serve every depth.
void CountMtp(const ModelSpec& s, const Count expert, ParamCount* out) {
  const int64_t modules = s.mtp_shared_weights ? 1 : s.mtp_modules;
  int64_t moe_layers = 0;
  for (int64_t k = 0; k < modules; ++k) moe_layers += s.IsMoeLayer(s.n_layers + k) ? 1 : 0;
  Builder b(&out->mtp_entries, "mtp.");
  b.Once("input_norms", ParamGroup::kNorm, 2 * modules * NormParams(s));
  b.Once("projection", ParamGroup::kAttention, 2 * modules * Count{s.d_model} * s.d_model);
  AddLayers(&b, s, modules, moe_layers, false);
  b.Once("output_norm", ParamGroup::kNorm, modules * NormParams(s));
  AddHyperConnectionsHead(&b, s, modules);
  out->mtp = Sum(out->mtp_entries);
  out->mtp_routed_experts = moe_layers * s.moe.n_experts * expert;
  const Count head = s.lm_head ? Count{s.vocab_size} * s.embed_dim() : 0;
  const Count inactive_per_moe_layer = Count{s.moe.n_experts - s.moe.top_k} * expert;
  out->mtp_active = out->mtp - moe_layers * inactive_per_moe_layer + head;
}

}  // namespace

ParamCount CountParams(const ModelSpec& s) {
  ParamCount out;
  Builder b(&out.entries, "");
  AddEmbeddings(&b, s);
  AddLayers(&b, s, s.n_layers, s.n_moe_layers(), true);
  AddHead(&b, s);

  for (const ParamEntry& e : out.entries) {
    out.total += e.total;
    if (e.layers > 0) out.layers += e.total;
    if (e.embedding) out.embedding += e.total;
  }
  out.non_embedding = out.total - out.embedding;
  out.per_layer = out.layers / s.n_layers;
  const MlpShape expert = MlpParams(s, s.d_ff_expert(), s.routed_width());
  out.mlp_per_expert_per_layer = s.is_moe() ? expert.total() : MlpParams(s, s.d_ff).total();
  out.routed_experts = Count{s.n_moe_layers()} * s.moe.n_experts * expert.total();
  // Per token only top_k of the n_experts routed experts run.
  const Count inactive = Count{s.moe.n_experts - s.moe.top_k} * expert.total();
  out.active = out.total - s.n_moe_layers() * inactive;
  out.active_without_input_embedding =
      out.active - (s.tied_embeddings ? 0 : Count{s.vocab_size} * s.embed_dim());
  if (s.mtp_modules > 0) CountMtp(s, expert.total(), &out);
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
    case ParamGroup::kMixer:
      return "mixer";
  }
  return "?";
}

int64_t ParamTensorsPerLayer(const ModelSpec& spec) {
  const int64_t per_norm = spec.norm == NormKind::kLayerNorm ? 2 : 1;  // weight (and bias)
  int64_t n = spec.norms_per_layer * per_norm;
  n += 2 + (spec.biases.qkv ? 1 : 0) + (spec.biases.attn_out ? 1 : 0);  // QKV and output
  n += 2 + (spec.biases.mlp ? 2 : 0);                                   // up and down
  return n;
}

}  // namespace planner
