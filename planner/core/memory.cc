#include "planner/core/memory.h"

#include <algorithm>

#include "planner/core/params.h"
#include "planner/core/units.h"

namespace planner {
namespace {

void AddTensor(std::vector<ActivationTensor>* out, const char* name, double bytes) {
  if (bytes > 0) out->push_back({name, bytes});
}

}  // namespace

ParamSplit SplitParams(const ModelSpec& m, const ParamCount& pc) {
  ParamSplit s;
  if (m.is_moe()) {
    s.layer_expert = static_cast<double>(pc.mlp_per_expert_per_layer) * m.moe.n_experts;
  }
  s.layer_dense = static_cast<double>(pc.per_layer) - s.layer_expert;
  s.vocab_table = static_cast<double>(m.vocab_size) * m.embed_dim();
  for (const ParamEntry& e : pc.entries) {
    if (e.per_layer != 0 || e.name == "token_embedding" || e.name == "lm_head") continue;
    const bool at_end = e.name == "lm_head.bias" || e.name == "final_norm" || e.name == "pooler";
    (at_end ? s.last_extra : s.first_extra) += static_cast<double>(e.total);
  }
  s.n_layers = static_cast<double>(m.n_layers);
  s.head = m.lm_head;
  s.tied = m.tied_embeddings;
  return s;
}

StageParams ParamsOnStage(const ParamSplit& split, const ParallelConfig& p, bool first,
                          bool last) {
  const double layers = split.n_layers / p.pp;
  StageParams s;
  s.layer_dense = split.layer_dense / p.tp;
  s.layer_expert = split.layer_expert / (p.tp * p.ep);
  s.dense = layers * s.layer_dense;
  s.expert = layers * s.layer_expert;
  const double vocab = split.vocab_table / p.tp;  // vocab-parallel embedding and head
  if (first) s.dense += vocab + split.first_extra;
  if (last) s.dense += split.last_extra;
  // The last stage runs the head: its own table if untied, else (with pp > 1) Megatron keeps a
  // copy of the tied embedding there.
  if (last && split.head && (!split.tied || !first)) s.dense += vocab;
  return s;
}

std::vector<ActivationTensor> LayerActivations(const ModelSpec& m, const ParallelConfig& p,
                                               const MemoryOptions& o) {
  const double s = static_cast<double>(m.seq_len) / p.cp, b = p.micro_batch, h = m.d_model;
  const double t = p.tp, a = m.n_heads, sbh = s * b * h;
  const double q = m.q_dim(), kv = std::max<double>(m.kv_dim() / t, m.head_dim) * t;
  const double ff = m.d_ff, k = m.is_moe() ? m.moe.top_k : 1;
  // Tensors outside the TP region are replicated across TP ranks unless SP splits them.
  const double rep = p.sp ? 1 / t : 1;
  std::vector<ActivationTensor> out;
  if (p.recompute == Recompute::kFull) {
    AddTensor(&out, "layer_input (full recompute)", 2 * sbh * rep);
    return out;
  }
  AddTensor(&out, "attention.norm_input", 2 * sbh * rep);
  AddTensor(&out, "attention.qkv_input", 2 * sbh * rep);
  AddTensor(&out, "attention.q", 2 * s * b * q / t);
  AddTensor(&out, "attention.k", 2 * s * b * kv / t);
  AddTensor(&out, "attention.v", 2 * s * b * kv / t);
  const bool keep_scores = !o.flash_attention && p.recompute == Recompute::kNone;
  if (keep_scores) {
    // Softmax output and, with dropout, its mask (1 byte) and output; the key length is the
    // full sequence even under CP (each rank attends its queries to all keys).
    const double scores = a * s * (s * p.cp) * b / t;
    AddTensor(&out, "attention.softmax", 2 * scores);
    if (o.dropout) AddTensor(&out, "attention.dropout_mask", scores);
    if (o.dropout) AddTensor(&out, "attention.dropout_output", 2 * scores);
  } else if (o.flash_attention) {
    AddTensor(&out, "attention.softmax_stats (fp32)", 4 * a * s * b / t);
  }
  AddTensor(&out, "attention.context", 2 * s * b * q / t);
  if (o.dropout) AddTensor(&out, "attention.output_dropout_mask", sbh * rep);
  AddTensor(&out, "mlp.norm_input", 2 * sbh * rep);
  AddTensor(&out, "mlp.input", 2 * sbh * rep);
  if (m.is_moe()) AddTensor(&out, "moe.router_logits (fp32)", 4 * s * b * m.moe.n_experts);
  AddTensor(&out, "mlp.up_output", k * 2 * s * b * ff / t);
  if (m.gated_mlp()) AddTensor(&out, "mlp.gate_output", k * 2 * s * b * ff / t);
  AddTensor(&out, "mlp.down_input", k * 2 * s * b * ff / t);
  if (o.dropout) AddTensor(&out, "mlp.dropout_mask", sbh * rep);
  return out;
}

double InflightLayerMicrobatches(const ModelSpec& m, const ParallelConfig& p) {
  const double layers_per_stage = static_cast<double>(m.n_layers) / p.pp;
  const double microbatches = static_cast<double>(p.grad_accum());
  if (p.pp == 1) return layers_per_stage;
  if (p.schedule == Schedule::kGPipe) return layers_per_stage * microbatches;
  double inflight = std::min<double>(p.pp, microbatches);
  // Interleaved 1F1B (Korthikanti sec. 4.2.3): the first stage holds (1 + (p-1)/(p v)) times more.
  if (p.vpp > 1) inflight *= 1 + (p.pp - 1.0) / (p.pp * p.vpp);
  return layers_per_stage * inflight;
}

double UsableHbmBytes(const ClusterSpec& c) {
  return GiBToBytes(c.gpu.hbm_GiB) * c.usable_hbm_fraction;
}

double LayerActivationBytes(const ModelSpec& m, const ParallelConfig& p, const MemoryOptions& o) {
  double bytes = 0;
  for (const ActivationTensor& t : LayerActivations(m, p, o)) bytes += t.bytes;
  return bytes;
}

MemoryBreakdown AssembleMemory(const ModelSpec& m, const ParamSplit& split, const ParallelConfig& p,
                               const MemoryOptions& o, double layer_bytes,
                               double layer_bytes_no_recompute) {
  const double shard = static_cast<double>(p.dp * p.cp);
  const double expert_shard = shard / p.ep;
  MemoryBreakdown best;
  for (int stage : {0, static_cast<int>(p.pp - 1)}) {
    const bool first = stage == 0, last = stage == p.pp - 1;
    const StageParams sp = ParamsOnStage(split, p, first, last);
    const double params = sp.total();
    const double sharded = sp.dense / shard + sp.expert / expert_shard;
    MemoryBreakdown r;
    r.stage = stage;
    r.weights = o.weight_bytes * (p.zero >= 3 ? sharded : params);
    r.gradients = o.grad_bytes * (p.zero >= 2 ? sharded : params);
    r.optimizer = o.optimizer_bytes * (p.zero >= 1 ? sharded : params);
    r.layer_activation_bytes = layer_bytes;
    // The first stage holds the most micro-batches in flight; the last holds one.
    r.inflight_layer_microbatches =
        first ? InflightLayerMicrobatches(m, p) : static_cast<double>(m.n_layers) / p.pp;
    r.activations = layer_bytes * r.inflight_layer_microbatches;
    // Backward of a recomputed layer needs that layer's full activations once.
    if (p.recompute == Recompute::kFull) r.transient += layer_bytes_no_recompute;
    if (p.zero >= 3) r.transient += 2 * o.weight_bytes * (sp.layer_dense + sp.layer_expert);
    if (last && m.lm_head) {
      const double tokens = static_cast<double>(m.seq_len) / p.cp * p.micro_batch;
      r.logits = (2 + 4) * tokens * m.vocab_size / p.tp;  // 16-bit logits and fp32 for the loss
    }
    r.cuda_context = GiBToBytes(o.cuda_context_GiB);
    r.comm_buffers = p.gpus() > 1 ? GiBToBytes(o.comm_buffers_GiB) : 0;
    r.fragmentation = o.fragmentation_fraction * (r.activations + r.transient + r.logits);
    r.total = r.weights + r.gradients + r.optimizer + r.activations + r.transient + r.logits +
              r.cuda_context + r.comm_buffers + r.fragmentation;
    if (r.total > best.total) best = r;
  }
  return best;
}

MemoryBreakdown EstimateMemory(const ModelSpec& m, const ClusterSpec& /*c*/,
                               const ParallelConfig& p, const MemoryOptions& o) {
  ParallelConfig no_rc = p;
  no_rc.recompute = Recompute::kNone;
  MemoryBreakdown r = AssembleMemory(m, SplitParams(m, CountParams(m)), p, o,
                                     LayerActivationBytes(m, p, o),
                                     LayerActivationBytes(m, no_rc, o));
  r.layer_tensors = LayerActivations(m, p, o);
  return r;
}

}  // namespace planner
