#include "planner/core/flops.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "planner/core/params.h"
#include "planner/core/sparse_attention.h"

namespace planner {
namespace {

std::string Shape(Count m, Count k, Count n) {
  return "[" + CountToString(m) + "," + CountToString(k) + "]x[" + CountToString(k) + "," +
         CountToString(n) + "]";
}

class Collector {
 public:
  Collector(const ModelSpec& s, const FlopsOptions& o) : s_(s), o_(o) {}

  // Entries added from now on are named prefix + name and marked as MTP's when mtp is set.
  void Section(std::string prefix, bool mtp) {
    prefix_ = std::move(prefix);
    mtp_ = mtp;
  }
  // `count` products of [m,k]x[k,n] per sequence in each of `layers` layers.
  void Layer(const std::string& name, int64_t count, Count m, Count k, Count n, int64_t layers) {
    if (layers > 0 && count > 0) {
      Add(name, count, Shape(m, k, n), 2 * m * k * n * count, layers, false);
    }
  }
  void Once(const std::string& name, int64_t count, Count m, Count k, Count n) {
    Add(name, count, Shape(m, k, n), 2 * m * k * n * count, 0, false);
  }
  // One of the two attention-core products of every head over `layers` layers, local (windowed)
  // or global. scores: Q [T,hd] x K^T [hd,T]; context: P [T,T] x V [T,hd]. 2*hd FLOPs per pair.
  void AttentionCore(const std::string& name, Count hd, bool scores, bool local, int64_t layers) {
    if (layers == 0) return;
    const Count t = o_.seq_len;
    const Count per_seq = 2 * hd * AttentionPairs(t, s_.window, local, o_.causal) * s_.n_heads;
    std::string shape = scores ? Shape(t, hd, t) : Shape(t, t, hd);
    if (o_.causal) shape += " causal";
    if (local)
      shape += std::string(" ") + ToString(s_.window.kind) + " " + CountToString(s_.window.size);
    Add(name + (local ? " (local)" : ""), s_.n_heads, shape, per_seq, layers, true);
  }
  // An attention-core product of `heads` heads whose queries see `pairs` query-key pairs per
  // sequence in all (sparse attention: its own count), in each of `layers` layers.
  void SparseCore(const std::string& name, int64_t heads, Count hd, Count pairs,
                  const std::string& shape, int64_t layers) {
    if (layers > 0) Add(name, heads, shape, 2 * hd * pairs * heads, layers, true);
  }
  std::vector<MatmulFlops> Take() { return std::move(out_); }

 private:
  void Add(const std::string& name, int64_t count, std::string shape, Count per_seq,
           int64_t layers, bool core) {
    const Count batch_flops = per_seq * o_.batch;
    out_.push_back({prefix_ + name, std::move(shape), count, layers ? batch_flops : 0,
                    batch_flops * (layers ? layers : 1), core, layers, mtp_});
  }
  const ModelSpec& s_;
  const FlopsOptions& o_;
  std::vector<MatmulFlops> out_;
  std::string prefix_;
  bool mtp_ = false;
};

// The projections of MLA (see MlaSpec), without the inference-time weight absorption.
void MlaProjections(Collector* c, const ModelSpec& s, Count t, int64_t layers) {
  const Count d = s.d_model, h = s.n_heads, qk = s.head_dim, rope = s.mla.qk_rope_head_dim;
  const Count ql = s.mla.q_lora_rank, kvl = s.mla.kv_lora_rank, v = s.mla.v_head_dim;
  if (ql > 0) {
    c->Layer("attention.q_a", 1, t, d, ql, layers);
    c->Layer("attention.q_b", 1, t, ql, h * qk, layers);
  } else {
    c->Layer("attention.q", 1, t, d, h * qk, layers);
  }
  c->Layer("attention.kv_a", 1, t, d, kvl + rope, layers);
  c->Layer("attention.kv_b", 1, t, kvl, h * (qk - rope + v), layers);
}

// DeepSeek-V4's hybrid attention (see CsaSpec) in layers [first, first + layers): the q, kv and
// grouped output projections everywhere; the compressors, the indexer's projections and scoring
// where the layers compress; the core over each kind's keys per query (CsaKeysPerQuery).
void CsaMatmuls(Collector* c, const ModelSpec& s, Count t, int64_t first, int64_t layers) {
  const CsaSpec& a = s.csa;
  const Count d = s.d_model, q = s.q_dim(), D = s.head_dim, o = a.o_groups * a.o_lora_rank;
  c->Layer("attention.q_a", 1, t, d, a.q_lora_rank, layers);
  c->Layer("attention.q_b", 1, t, a.q_lora_rank, q, layers);
  c->Layer("attention.kv", 1, t, d, D, layers);
  const CsaLayerCounts n = CountCsaLayers(s, first, layers);
  const int64_t indexed = a.indexed_ratio();
  c->Layer("attention.compressor (indexed)", 2, t, d, 2 * D, n.indexed);
  c->Layer("attention.compressor", 2, t, d, D, n.compressed);
  const Count ih = a.index_n_heads, idim = a.index_head_dim;
  c->Layer("attention.indexer.q", 1, t, a.q_lora_rank, ih * idim, n.indexed);
  c->Layer("attention.indexer.weights", 1, t, d, ih, n.indexed);
  c->Layer("attention.indexer.compressor", 2, t, d, 2 * idim, n.indexed);
  if (indexed > 0) {  // each query scores the compressed keys before it: i / m of them
    const Count keys = t / indexed;
    c->SparseCore("attention.indexer.scores", ih, idim, t * keys / 2,
                  Shape(t, idim, keys) + " causal", n.indexed);
  }
  // The core, per compress ratio: scores and context over the keys each query attends to.
  for (const auto& [ratio, count] : CsaLayersByRatio(s, first, layers)) {
    const std::string kind = ratio == 0         ? " (window)"
                             : ratio == indexed ? " (indexed)"
                                                : " (ratio " + std::to_string(ratio) + ")";
    const double keys = CsaKeysPerQuery(s, ratio, static_cast<double>(t));
    const Count pairs = static_cast<Count>(std::llround(keys * static_cast<double>(t)));
    const std::string shape = "[" + CountToString(t) + " queries x " +
                              CountToString(static_cast<Count>(std::llround(keys))) + " keys]";
    c->SparseCore("attention.scores" + kind, s.n_heads, D, pairs, shape, count);
    c->SparseCore("attention.context" + kind, s.n_heads, D, pairs, shape, count);
  }
  c->Layer("attention.o_a", a.o_groups, t, q / a.o_groups, a.o_lora_rank, layers);
  c->Layer("attention.o_b", 1, t, o, d, layers);
}

// A Mamba-2 mixer's products (see MambaSpec). The depthwise conv1d's 2 t K C FLOPs are listed as
// a product of their shape. SSD (Dao & Gu 2024 sec. 6) computes, per chunk of Q tokens, C B^T per
// group, its masked product with X per head, the chunk's state B^T X and the output from the
// carried state C h per head, each over the whole chunk as the kernels do.
void MambaMatmuls(Collector* c, const ModelSpec& s, Count t, int64_t layers) {
  const MambaSpec& mb = s.mamba;
  const Count q = std::min<Count>(mb.chunk_size, t), chunks = (t + q - 1) / q;
  c->Layer("mamba.in_proj", 1, t, s.d_model, mb.in_proj_width(), layers);
  c->Layer("mamba.conv1d", 1, t, mb.conv_kernel, mb.conv_channels(), layers);
  c->Layer("mamba.ssd.cb", chunks * mb.n_groups, q, mb.state_size, q, layers);
  c->Layer("mamba.ssd.intra_chunk", chunks * mb.n_heads, q, q, mb.head_dim, layers);
  c->Layer("mamba.ssd.states", chunks * mb.n_heads, mb.state_size, q, mb.head_dim, layers);
  c->Layer("mamba.ssd.output", chunks * mb.n_heads, q, mb.state_size, mb.head_dim, layers);
  c->Layer("mamba.out_proj", 1, t, mb.d_inner(), s.d_model, layers);
}

// Every matmul of `layers` transformer layers, of which `local` have windowed attention and
// `moe` the MoE MLP. The main stack of a hybrid model (`main`) has attention, a Mamba mixer or an
// MLP in each layer; its MTP layers, attention and MLP each.
void LayerMatmuls(Collector* c, const ModelSpec& s, Count t, int64_t layers, int64_t local,
                  int64_t moe, bool main) {
  const Count d = s.d_model;
  const bool hybrid = s.is_hybrid() && main;
  const int64_t attention = hybrid ? s.n_attention_layers() : layers;
  if (s.is_csa()) {
    CsaMatmuls(c, s, t, main ? 0 : s.n_layers, layers);
  } else if (s.is_mla()) {
    MlaProjections(c, s, t, attention);
  } else {
    c->Layer("attention.q", 1, t, d, s.q_dim(), attention);
    c->Layer("attention.k", 1, t, d, s.kv_dim(), attention);
    c->Layer("attention.v", 1, t, d, s.kv_dim(), attention);
  }
  for (const bool is_local : {false, true}) {
    if (s.is_csa()) break;  // CsaMatmuls has the core and the output
    const int64_t n = is_local ? local : attention - local;
    c->AttentionCore("attention.scores", s.head_dim, true, is_local, n);
    if (s.position == Position::kRelative) {
      c->AttentionCore("attention.position_scores", s.head_dim, true, is_local, n);
    }
    c->AttentionCore("attention.context", s.v_head_dim(), false, is_local, n);
  }
  // Transformer-XL projects the T relative encodings with each layer's W_R once per sequence.
  if (s.position == Position::kRelative) {
    c->Layer("attention.relative_projection", 1, t, d, s.q_dim(), attention);
  }
  if (!s.is_csa()) c->Layer("attention.o", 1, t, Count{s.n_heads} * s.v_head_dim(), d, attention);
  if (hybrid) MambaMatmuls(c, s, t, s.n_mamba_layers());
  const std::string dense = s.is_moe() ? "dense_mlp" : "mlp";
  const int64_t dense_layers = (hybrid ? s.n_mlp_layers() : layers) - moe;
  c->Layer(dense + ".up", 1, t, d, s.d_ff, dense_layers);
  if (s.gated_mlp()) c->Layer(dense + ".gate", 1, t, d, s.d_ff, dense_layers);
  c->Layer(dense + ".down", 1, t, s.d_ff, d, dense_layers);
  if (!s.is_moe()) return;
  // Each token runs through top_k routed experts (top_k products of the expert's shape per
  // sequence) and every shared expert.
  const int64_t k = s.moe.top_k, shared = s.moe.n_shared_experts;
  const Count ff = s.d_ff_expert(), sff = s.d_ff_shared(), w = s.routed_width();
  c->Layer("moe.router", 1, t, d, s.moe.n_experts, moe);
  if (s.moe.latent_size > 0) c->Layer("moe.latent_down", 1, t, d, w, moe);
  c->Layer("mlp.up", k, t, w, ff, moe);
  if (s.gated_mlp()) c->Layer("mlp.gate", k, t, w, ff, moe);
  c->Layer("mlp.down", k, t, ff, w, moe);
  if (s.moe.latent_size > 0) c->Layer("moe.latent_up", 1, t, w, d, moe);
  c->Layer("shared_experts.up", shared, t, d, sff, moe);
  if (s.gated_mlp()) c->Layer("shared_experts.gate", shared, t, d, sff, moe);
  c->Layer("shared_experts.down", shared, t, sff, d, moe);
}

// DeepSeek-V3 MTP modules: the [2d -> d] projection, one layer and the shared head each.
void MtpMatmuls(Collector* c, const ModelSpec& s, Count t) {
  int64_t local = 0, moe = 0;
  for (int64_t k = 0; k < s.mtp_modules; ++k) {
    local += s.IsLocalLayer(s.n_layers + k) ? 1 : 0;
    moe += s.IsMoeLayer(s.n_layers + k) ? 1 : 0;
  }
  c->Section("mtp.", true);
  c->Layer("projection", 1, t, 2 * Count{s.d_model}, s.d_model, s.mtp_modules);
  LayerMatmuls(c, s, t, s.mtp_modules, local, moe, false);
  if (s.lm_head) c->Layer("lm_head", 1, t, s.embed_dim(), s.vocab_size, s.mtp_modules);
  c->Section("", false);
}

std::vector<MatmulFlops> ForwardMatmuls(const ModelSpec& s, const FlopsOptions& o) {
  const Count t = o.seq_len, d = s.d_model, e = s.embed_dim();
  Collector c(s, o);
  if (s.word_embed_proj_dim > 0) c.Once("embedding_projection.in", 1, t, e, d);
  LayerMatmuls(&c, s, t, s.n_layers, s.n_local_layers(), s.n_moe_layers(), true);
  if (s.word_embed_proj_dim > 0) c.Once("embedding_projection.out", 1, t, d, e);
  if (s.lm_head) c.Once("lm_head", 1, t, e, s.vocab_size);
  if (s.pooler) c.Once("pooler", 1, 1, d, d);  // the first token of each sequence only
  if (s.mtp_modules > 0) MtpMatmuls(&c, s, t);
  return c.Take();
}

// Megatron-Core's moe_layer_flops (training.py at 2a75ac12c, :436-451) per token, forward: 4 h
// ffn_e k (x 1.5 gated) for the routed experts, at the latent width l instead of h under
// LatentMoE plus 4 h l for its two projections; 4 h ffn_shared for the shared experts.
double MegatronCoreMoePerToken(const ModelSpec& s) {
  if (!s.is_moe()) return 0;
  const double h = s.d_model, gated = s.gated_mlp() ? 1.5 : 1.0;
  const double routed = s.moe.top_k * static_cast<double>(s.d_ff_expert());
  const double shared = s.moe.n_shared_experts * static_cast<double>(s.d_ff_shared());
  const double l = static_cast<double>(s.moe.latent_size);
  if (l <= 0) return 4 * h * (routed + shared) * gated;
  return 4 * l * routed * gated + 4 * h * l + 4 * h * shared * gated;
}

// Megatron-Core's hybrid_flops (megatron/training/training.py at 2a75ac12c, :476-598) per token:
// per attention layer 4 h p (h + h g/a) + 2 T h p with p = kv_channels a / h; per MLP layer
// 4 (ffn/h) h^2 (x 1.5 gated); per Mamba layer 2 h (2 d_in + 2 G N + H) + 7 d_in N + 2 d_in h
// with d_in taken as 2 h whatever the mixer's width (Nemotron 3 Nano's is 4096, not 5376: its
// published TFLOP/s are about 7% above a true-width count); per MoE layer 4 h ffn_e k (+ shared);
// the logits 2 h V; forward x 3.
double MegatronCoreHybridPerToken(const ModelSpec& s, double T) {
  const double h = s.d_model, V = s.vocab_size, a = s.n_heads, g = s.n_kv_heads;
  const double p = static_cast<double>(s.head_dim) * a / h, gated = s.gated_mlp() ? 1.5 : 1.0;
  const double attention = 4 * h * p * (h + h * g / a) + 2 * T * h * p;
  const double mlp = 4 * (static_cast<double>(s.d_ff) / h) * gated * h * h;
  const MambaSpec& mb = s.mamba;
  const double d_in = 2 * h, G = mb.n_groups, N = mb.state_size, H = mb.n_heads;
  const double mamba = 2 * h * (2 * d_in + 2 * G * N + H) + 7 * d_in * N + 2 * d_in * h;
  const double moe = MegatronCoreMoePerToken(s);
  // The MTP modules' layers (attention and MoE each) counted once per depth, the logits with them.
  const double mtp = s.mtp_modules, dense = s.n_mlp_layers() - s.n_moe_layers();
  return 3 *
         ((s.n_attention_layers() + mtp) * attention + dense * mlp + s.n_mamba_layers() * mamba +
          (s.n_moe_layers() + (s.is_moe() ? mtp : 0)) * moe + 2 * h * V * (1 + mtp));
}

// Megatron-Core's num_floating_point_operations (megatron/training/training.py; Megatron-Bridge's
// flop_utils copies it) per token: 12 L h^2 (1 + g/a + s/h) q/h for MHA/GQA attention (the version
// without causal halving), its MLA term otherwise; the MLP split into dense layers, top-k routed
// experts and shared experts; MTP layers counted as layers of the last layer's kind plus their
// norms and 2h x h projection; one logit GEMM per MTP layer and the model.
double MegatronCorePerToken(const ModelSpec& s, double T) {
  if (s.is_hybrid()) return MegatronCoreHybridPerToken(s, T);
  const double h = s.d_model, V = s.vocab_size, heads = s.n_heads, mtp = s.mtp_modules;
  const double L = s.n_layers + mtp;
  double moe = s.n_moe_layers(), dense = s.n_layers - moe;
  (s.IsMoeLayer(s.n_layers - 1) ? moe : dense) += mtp;
  const double gated = s.gated_mlp() ? 1.5 : 1.0;
  const double mlp = 12 * h * gated * s.d_ff * dense + 3 * MegatronCoreMoePerToken(s) * moe;
  double attention = 0;
  if (s.is_csa()) {
    attention = MegatronCoreCsaAttentionPerToken(s, T);
  } else if (s.is_mla()) {
    const double rope = s.mla.qk_rope_head_dim, nope = s.head_dim - rope, v = s.mla.v_head_dim;
    const double ql = s.mla.q_lora_rank, kvl = s.mla.kv_lora_rank;
    const double q = ql > 0 ? ql * (h + heads * (nope + rope) + 1) : h * heads * (nope + rope);
    attention = 6 * L *
                (q + kvl * (h + heads * (nope + v) + 1) + h * rope + heads * v * h +
                 T * heads * (nope + rope) / 2 + T * heads * v / 2);
  } else {
    const double g = s.n_kv_heads, q_ratio = s.q_dim() / h;
    attention = 12 * L * h * h * (1 + g / heads + T / h) * q_ratio;
  }
  return mlp + attention + 6 * mtp * (3 * h + 2 * h * h) + 6 * h * V * (mtp + 1);
}

}  // namespace

FlopsReport ComputeFlops(const ModelSpec& s, const FlopsOptions& o) {
  FlopsReport r;
  r.matmuls = ForwardMatmuls(s, o);
  r.tokens = Count{o.seq_len} * o.batch;
  for (const MatmulFlops& m : r.matmuls) {
    if (m.mtp) {
      r.mtp_forward += m.total;
      continue;
    }
    r.forward += m.total;
    if (m.layers > 0) r.layers_forward += m.total;
    if (m.attention_core) r.attention_core_forward += m.total;
  }
  r.forward_per_layer = r.layers_forward / s.n_layers;
  r.backward = 2 * r.forward;
  if (o.recompute == Recompute::kFull) r.recompute = r.layers_forward;
  if (o.recompute == Recompute::kSelective) r.recompute = r.attention_core_forward;
  r.model_step = r.forward + r.backward;
  r.hardware_step = r.model_step + r.recompute;
  r.attention_share =
      static_cast<double>(r.attention_core_forward) / static_cast<double>(r.forward);
  const ParamCount params = CountParams(s);
  r.six_nd = 6 * params.total * r.tokens;
  r.exact_over_6nd = static_cast<double>(r.model_step) / static_cast<double>(r.six_nd);
  r.six_nd_active = 6 * params.active * r.tokens;
  r.exact_over_6nd_active =
      static_cast<double>(r.model_step) / static_cast<double>(r.six_nd_active);
  return r;
}

AccountingResult AccountFlops(const ModelSpec& s, const FlopsOptions& o, Accounting a) {
  const double B = o.batch, T = o.seq_len, L = s.n_layers, h = s.d_model, V = s.vocab_size;
  const double tokens = B * T;
  AccountingResult r{a, 0, false};
  switch (a) {
    case Accounting::kExact: {
      const FlopsReport f = ComputeFlops(s, o);
      r.step_flops = static_cast<double>(f.model_step);
      break;
    }
    case Accounting::kSixND:
      r.step_flops = 6.0 * static_cast<double>(CountParams(s).total) * tokens;
      break;
    case Accounting::kMegatron:  // Narayanan et al. 2021 eq. 3: includes full recompute
      r.step_flops = 96 * B * T * L * h * h * (1 + T / (6 * h) + V / (16 * L * h));
      r.counts_recompute = true;
      break;
    case Accounting::kKorthikanti:  // Korthikanti et al. 2022 appendix A: model FLOPs
      r.step_flops = 72 * B * T * L * h * h * (1 + T / (6 * h) + V / (12 * L * h));
      break;
    case Accounting::kMegatronCore:
      r.step_flops = tokens * MegatronCorePerToken(s, T);
      break;
    case Accounting::kPalm:  // Chowdhery et al. 2022 appendix B: 6N + 12 L H Q T per token
      r.step_flops = tokens * (6.0 * static_cast<double>(CountParams(s).total) +
                               12 * L * s.n_heads * s.head_dim * T);
      break;
  }
  return r;
}

const char* Describe(Accounting a) {
  switch (a) {
    case Accounting::kExact: return "sum of every matmul, forward + 2x backward (model FLOPs)";
    case Accounting::kSixND: return "6 * N * tokens, N = all parameters (C = 6ND)";
    case Accounting::kMegatron:
      return "Narayanan 2021 eq. 3: 96 B s l h^2 (1 + s/6h + V/16lh), includes full recompute";
    case Accounting::kKorthikanti:
      return "Korthikanti 2022 app. A: 72 B s l h^2 (1 + s/6h + V/12lh), model FLOPs";
    case Accounting::kMegatronCore:
      return "Megatron-Core: 12 B s L h^2 [(1 + g/a + s/h) q/h + (ffn/h) k (1.5 gated) + V/2Lh]; "
             "MoE: dense, routed, shared MLPs; MLA; MTP; hybrid: Mamba with d_in = 2h";
    case Accounting::kPalm: return "PaLM app. B: (6N + 12 L H Q T) per token";
  }
  return "?";
}

}  // namespace planner
