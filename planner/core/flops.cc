#include "planner/core/flops.h"

#include "planner/core/params.h"

namespace planner {
namespace {

std::string Shape(Count m, Count k, Count n) {
  return "[" + CountToString(m) + "," + CountToString(k) + "]x[" + CountToString(k) + "," +
         CountToString(n) + "]";
}

class Collector {
 public:
  Collector(const ModelSpec& s, const FlopsOptions& o) : s_(s), o_(o) {}

  // `count` products of [m,k]x[k,n] per sequence and layer.
  void Layer(const char* name, int64_t count, Count m, Count k, Count n, bool core = false) {
    Add(name, count, Shape(m, k, n), 2 * m * k * n * count, s_.n_layers, core);
  }
  void Once(const char* name, int64_t count, Count m, Count k, Count n) {
    Add(name, count, Shape(m, k, n), 2 * m * k * n * count, 0, false);
  }
  // Attention core for one head: causal counts only the unmasked half (T(T+1)/2 dot products).
  // scores: Q [T,hd] x K^T [hd,T]; context: P [T,T] x V [T,hd]. Same FLOPs, different shapes.
  void AttentionCore(const char* name, Count t, Count hd, bool scores) {
    const Count per_seq = o_.causal ? hd * t * (t + 1) * s_.n_heads : 2 * t * t * hd * s_.n_heads;
    const std::string shape = scores ? Shape(t, hd, t) : Shape(t, t, hd);
    Add(name, s_.n_heads, shape + (o_.causal ? " causal" : ""), per_seq, s_.n_layers, true);
  }
  std::vector<MatmulFlops> Take() { return std::move(out_); }

 private:
  void Add(const char* name, int64_t count, std::string shape, Count per_seq, int64_t layers,
           bool core) {
    const Count batch_flops = per_seq * o_.batch;
    out_.push_back({name, std::move(shape), count, layers ? batch_flops : 0,
                    batch_flops * (layers ? layers : 1), core});
  }
  const ModelSpec& s_;
  const FlopsOptions& o_;
  std::vector<MatmulFlops> out_;
};

std::vector<MatmulFlops> ForwardMatmuls(const ModelSpec& s, const FlopsOptions& o) {
  const Count t = o.seq_len, d = s.d_model, ff = s.d_ff, e = s.embed_dim();
  const int64_t k = s.is_moe() ? s.moe.top_k : 1;
  Collector c(s, o);
  if (s.word_embed_proj_dim > 0) c.Once("embedding_projection.in", 1, t, e, d);
  c.Layer("attention.q", 1, t, d, s.q_dim());
  c.Layer("attention.k", 1, t, d, s.kv_dim());
  c.Layer("attention.v", 1, t, d, s.kv_dim());
  c.AttentionCore("attention.scores", t, s.head_dim, true);
  c.AttentionCore("attention.context", t, s.head_dim, false);
  c.Layer("attention.o", 1, t, s.q_dim(), d);
  if (s.is_moe()) c.Layer("moe.router", 1, t, d, s.moe.n_experts);
  // With MoE each token runs through top_k experts: k products of the expert's shape.
  c.Layer("mlp.up", k, t, d, ff);
  if (s.gated_mlp()) c.Layer("mlp.gate", k, t, d, ff);
  c.Layer("mlp.down", k, t, ff, d);
  if (s.word_embed_proj_dim > 0) c.Once("embedding_projection.out", 1, t, d, e);
  if (s.lm_head) c.Once("lm_head", 1, t, e, s.vocab_size);
  if (s.pooler) c.Once("pooler", 1, 1, d, d);  // the first token of each sequence only
  return c.Take();
}

}  // namespace

FlopsReport ComputeFlops(const ModelSpec& s, const FlopsOptions& o) {
  FlopsReport r;
  r.matmuls = ForwardMatmuls(s, o);
  r.tokens = Count{o.seq_len} * o.batch;
  for (const MatmulFlops& m : r.matmuls) {
    r.forward += m.total;
    r.forward_per_layer += m.per_layer;
    if (m.attention_core) r.attention_core_forward += m.total;
  }
  r.backward = 2 * r.forward;
  if (o.recompute == Recompute::kFull) r.recompute = r.forward_per_layer * s.n_layers;
  if (o.recompute == Recompute::kSelective) r.recompute = r.attention_core_forward;
  r.model_step = r.forward + r.backward;
  r.hardware_step = r.model_step + r.recompute;
  r.attention_share = static_cast<double>(r.attention_core_forward) / static_cast<double>(r.forward);
  r.six_nd = 6 * CountParams(s).total * r.tokens;
  r.exact_over_6nd = static_cast<double>(r.model_step) / static_cast<double>(r.six_nd);
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
    case Accounting::kMegatronCore: {  // megatron/training/training.py
      const double g = s.n_kv_heads, heads = s.n_heads, q_ratio = s.q_dim() / h;
      const double experts = s.is_moe() ? s.moe.top_k : 1;
      const double gated = s.gated_mlp() ? 1.5 : 1.0;
      r.step_flops = 12 * B * T * L * h * h *
                     ((1 + g / heads + T / h) * q_ratio + (s.d_ff / h) * experts * gated +
                      V / (2 * L * h));
      break;
    }
    case Accounting::kPalm:  // Chowdhery et al. 2022 appendix B: 6N + 12 L H Q T per token
      r.step_flops = tokens * (6.0 * static_cast<double>(CountParams(s).total) +
                               12 * L * s.n_heads * s.head_dim * T);
      break;
  }
  return r;
}

const char* ToString(Recompute r) {
  switch (r) {
    case Recompute::kNone: return "none";
    case Recompute::kSelective: return "selective";
    case Recompute::kFull: return "full";
  }
  return "?";
}

const char* ToString(Accounting a) {
  switch (a) {
    case Accounting::kExact: return "exact";
    case Accounting::kSixND: return "6nd";
    case Accounting::kMegatron: return "megatron";
    case Accounting::kKorthikanti: return "korthikanti";
    case Accounting::kMegatronCore: return "megatron-core";
    case Accounting::kPalm: return "palm";
  }
  return "?";
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
      return "Megatron-Core: 12 B s L h^2 [(1 + g/a + s/h) q/h + (ffn/h) k (1.5 gated) + V/2Lh]";
    case Accounting::kPalm: return "PaLM app. B: (6N + 12 L H Q T) per token";
  }
  return "?";
}

}  // namespace planner
