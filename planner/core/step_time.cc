#include "planner/core/step_time.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "planner/core/collectives.h"
#include "planner/core/flops.h"
#include "planner/core/units.h"

namespace planner {
namespace {

constexpr double kActivationBytes = 2;  // 16-bit activations on the wire and in HBM
// Optimizer step traffic per local parameter: read fp32 master, m, v and the gradient; write
// master, m, v and the 16-bit weight.
constexpr double kOptimizerBytesPerParam = 4 * 4 + 3 * 4 + 2;

// One GEMM on this GPU: `count` products of [m,k]x[k,n].
struct Gemm {
  double m, k, n, count;
  double flops() const { return 2 * m * k * n * count; }
};

double GemmSeconds(const ClusterSpec& c, Dtype dt, const Gemm& g) {
  const double one = 2 * g.m * g.k * g.n;
  const double compute = one / (c.gpu.peak(dt) * kFlopsPerTflop * GemmEfficiency(c.efficiency, one));
  const double bytes = kActivationBytes * (g.m * g.k + g.k * g.n + g.m * g.n);
  const double memory = bytes / (c.gpu.hbm_GBps * kBytesPerGB * c.efficiency.hbm_fraction);
  return g.count * std::max(compute, memory);
}

struct LayerGemms {
  std::vector<Gemm> linear;  // projections and MLP
  Gemm core_scores, core_context;
};

// The per-GPU GEMMs of one layer for one micro-batch: column-parallel projections split their
// output by tp, row-parallel ones their input; CP splits the queries; EP spreads experts.
LayerGemms BuildLayerGemms(const ModelSpec& m, const ParallelConfig& p, bool causal_half) {
  const double t = p.tp, tokens = static_cast<double>(m.seq_len) / p.cp * p.micro_batch;
  const double d = m.d_model, q = m.q_dim(), kv = m.kv_dim(), ff = m.d_ff;
  LayerGemms g;
  g.linear = {{tokens, d, q / t, 1}, {tokens, d, kv / t, 2}, {tokens, q / t, d, 1}};
  if (m.is_moe()) {
    const double local_experts = static_cast<double>(m.moe.n_experts) / p.ep;
    // Balanced routing: each local expert sees tokens*top_k*ep/n_experts tokens on average.
    const double expert_tokens = tokens * m.moe.top_k / local_experts;
    const double mats = m.gated_mlp() ? 2 : 1;
    g.linear.push_back({tokens, d, static_cast<double>(m.moe.n_experts), 1});
    g.linear.push_back({expert_tokens, d, ff / t, mats * local_experts});
    g.linear.push_back({expert_tokens, ff / t, d, local_experts});
  } else {
    g.linear.push_back({tokens, d, ff / t, m.gated_mlp() ? 2.0 : 1.0});
    g.linear.push_back({tokens, ff / t, d, 1});
  }
  const double heads = m.n_heads / t, s_q = static_cast<double>(m.seq_len) / p.cp;
  const double s_kv = static_cast<double>(m.seq_len) * (causal_half ? 0.5 : 1.0);
  g.core_scores = {s_q, static_cast<double>(m.head_dim), s_kv, heads * p.micro_batch};
  g.core_context = {s_q, s_kv, static_cast<double>(m.head_dim), heads * p.micro_batch};
  return g;
}

// Rank order is tp (innermost), cp, dp, pp: the stride of each group in that order.
struct Strides {
  int64_t tp = 1, cp, dp, pp;
  explicit Strides(const ParallelConfig& p) : cp(p.tp), dp(p.tp * p.cp), pp(p.tp * p.cp * p.dp) {}
};

void AddCommunication(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p,
                      const StepTimeOptions& o, double layers, double core_fwd, MicrobatchTime* t) {
  const Strides st(p);
  const double tokens = static_cast<double>(m.seq_len) / p.cp * p.micro_batch;
  const double act = tokens * m.d_model * kActivationBytes;
  // TP: 2 all-reduces (or RS + AG with SP, the same bus traffic) forward, 2 backward, per layer.
  const double tp_ar = CollectiveSeconds(c, Collective::kAllReduce, p.tp, st.tp, act);
  const double tp_per_layer = tp_ar * (p.recompute == Recompute::kFull ? 6 : 4);
  t->tp_comm = layers * tp_per_layer;
  if (p.cp > 1) {
    // Ring attention: cp-1 steps passing the K and V chunk forward; K, V and their gradients back.
    const double kv_bytes = 2 * tokens * std::max<double>(m.kv_dim() / p.tp, m.head_dim) * kActivationBytes;
    const double step = CollectiveSeconds(c, Collective::kSendRecv, 2, st.cp, kv_bytes);
    t->cp_comm = layers * 3 * (p.cp - 1) * step;
    const double hide = o.overlap_cp ? layers * 3 * core_fwd : 0;
    t->cp_exposed = std::max(0.0, t->cp_comm - hide);
  }
  if (p.ep > 1) {
    const double a2a = CollectiveSeconds(c, Collective::kAllToAll, p.ep, st.dp,
                                         act * m.moe.top_k);
    t->ep_comm = layers * 4 * a2a;  // dispatch and combine, forward and backward
  }
  if (p.pp > 1) {
    const double bytes = act / (p.sp ? p.tp : 1);
    t->pp_comm = 2.0 * p.vpp * CollectiveSeconds(c, Collective::kSendRecv, 2, st.pp, bytes);
    t->pp_exposed = o.overlap_pp ? 0 : t->pp_comm;
  }
}

struct DpTimes {
  double per_step = 0, exposed = 0, zero3_per_microbatch = 0;
};

DpTimes DataParallelTimes(const ClusterSpec& c, const ParallelConfig& p, const StageParams& sp,
                          const StepTimeOptions& o, double last_backward_s) {
  const Strides st(p);
  const int64_t group = p.dp * p.cp, expert_group = group / p.ep;
  auto reduce = [&](Collective op, double params, double bytes_per_param) {
    return CollectiveSeconds(c, op, group, st.tp, sp.dense / sp.total() * params * bytes_per_param) +
           CollectiveSeconds(c, op, expert_group, st.tp * p.ep,
                             sp.expert / sp.total() * params * bytes_per_param);
  };
  DpTimes d;
  const double params = sp.total();
  if (group <= 1 || params <= 0) return d;
  if (p.zero == 0) {
    d.per_step = reduce(Collective::kAllReduce, params, o.grad_comm_bytes);
  } else if (p.zero <= 2) {
    d.per_step = reduce(Collective::kReduceScatter, params, o.grad_comm_bytes) +
                 reduce(Collective::kAllGather, params, o.memory.weight_bytes);
  } else {
    d.zero3_per_microbatch = 2 * reduce(Collective::kAllGather, params, o.memory.weight_bytes) +
                             reduce(Collective::kReduceScatter, params, o.grad_comm_bytes);
    return d;
  }
  d.exposed = o.overlap_dp ? std::max(0.0, d.per_step - last_backward_s) : d.per_step;
  return d;
}

void FillThroughput(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p,
                    const SequenceFlops& flops, StepTime* r) {
  const double sequences = static_cast<double>(p.global_batch);
  r->model_flops = flops.model * sequences;
  r->hardware_flops = flops.hardware * sequences;
  const double gpus = static_cast<double>(p.gpus());
  // MFU is quoted against the 16-bit dense peak even for fp8 runs, as the sources do.
  const double peak = c.gpu.peak(p.dtype == Dtype::kFp8 ? Dtype::kBf16 : p.dtype) * kFlopsPerTflop;
  r->mfu = r->model_flops / (r->step_time_s * gpus * peak);
  r->hfu = r->hardware_flops / (r->step_time_s * gpus * peak);
  r->tokens_per_s = sequences * m.seq_len / r->step_time_s;
  r->tokens_per_s_per_gpu = r->tokens_per_s / gpus;
  r->model_tflops_per_gpu = r->model_flops / (r->step_time_s * gpus) / kFlopsPerTflop;
}

void FindBound(StepTime* r) {
  const std::pair<double, const char*> terms[] = {
      {r->compute_s, "compute"},           {r->tp_comm_s, "tp communication"},
      {r->bubble_s, "pipeline bubble"},    {r->dp_exposed_s, "dp communication"},
      {r->pp_exposed_s, "pp communication"}, {r->cp_exposed_s, "cp communication"},
      {r->ep_comm_s, "ep all-to-all"},     {r->zero3_exposed_s, "zero-3 gathers"},
      {r->optimizer_s, "optimizer step"}};
  double best = -1;
  for (const auto& [v, name] : terms) {
    if (v > best) {
      best = v;
      r->bound = name;
    }
  }
}

}  // namespace

double GemmEfficiency(const EfficiencySpec& e, double flops) {
  return e.gemm_max * flops / (flops + e.gemm_half_flops);
}

LayerCost ComputeLayerCost(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p,
                           const StepTimeOptions& o) {
  const LayerGemms g = BuildLayerGemms(m, p, o.memory.flash_attention);
  LayerCost lc;
  for (const Gemm& x : g.linear) lc.linear_fwd_s += GemmSeconds(c, p.dtype, x);
  // Attention runs in 16-bit even under fp8 (Transformer Engine keeps it in bf16).
  const Dtype core_dtype = p.dtype == Dtype::kFp8 ? Dtype::kBf16 : p.dtype;
  lc.core_fwd_s = GemmSeconds(c, core_dtype, g.core_scores) + GemmSeconds(c, core_dtype, g.core_context);
  ParallelConfig stored = p;
  stored.recompute = Recompute::kNone;
  lc.act_bytes_no_recompute = LayerActivationBytes(m, stored, o.memory);
  lc.act_bytes = p.recompute == Recompute::kNone ? lc.act_bytes_no_recompute
                                                 : LayerActivationBytes(m, p, o.memory);
  lc.elementwise_s = o.elementwise_traffic * lc.act_bytes_no_recompute /
                     (c.gpu.hbm_GBps * kBytesPerGB * c.efficiency.hbm_fraction);
  if (m.lm_head) {  // [tokens, e] x [e, V/tp] on the last stage
    const double tokens = static_cast<double>(m.seq_len) / p.cp * p.micro_batch;
    lc.head_fwd_s = GemmSeconds(c, p.dtype, {tokens, static_cast<double>(m.embed_dim()),
                                             static_cast<double>(m.vocab_size) / p.tp, 1});
  }
  return lc;
}

StepTime AssembleStepTime(const ModelSpec& m, const ClusterSpec& c, const ParamSplit& split,
                          const ParallelConfig& p, const StepTimeOptions& o, const LayerCost& lc,
                          const SequenceFlops& flops) {
  StepTime r;
  r.microbatches = p.grad_accum();
  const double mbs = static_cast<double>(r.microbatches);
  const double layers = static_cast<double>(m.n_layers) / p.pp;
  MicrobatchTime& t = r.microbatch;
  t.forward = layers * lc.fwd_s() + lc.head_fwd_s;
  t.backward = layers * lc.bwd_s() + 2 * lc.head_fwd_s;
  if (p.recompute == Recompute::kFull) t.recompute = layers * lc.fwd_s();
  if (p.recompute == Recompute::kSelective) t.recompute = layers * lc.core_fwd_s;
  AddCommunication(m, c, p, o, layers, lc.core_fwd_s, &t);
  const StageParams sp = ParamsOnStage(split, p, p.pp == 1, true);
  const DpTimes dp = DataParallelTimes(c, p, sp, o, t.backward);
  t.zero3_comm = dp.zero3_per_microbatch;
  t.zero3_exposed = std::max(0.0, t.zero3_comm - (t.forward + t.backward + t.recompute));

  r.forward_s = mbs * t.forward;
  r.backward_s = mbs * t.backward;
  r.recompute_s = mbs * t.recompute;
  r.compute_s = r.forward_s + r.backward_s + r.recompute_s;
  r.tp_comm_s = mbs * t.tp_comm;
  r.cp_comm_s = mbs * t.cp_comm;
  r.cp_exposed_s = mbs * t.cp_exposed;
  r.ep_comm_s = mbs * t.ep_comm;
  r.pp_comm_s = mbs * t.pp_comm;
  r.pp_exposed_s = mbs * t.pp_exposed;
  r.zero3_comm_s = mbs * t.zero3_comm;
  r.zero3_exposed_s = mbs * t.zero3_exposed;
  r.bubble_s = (p.pp - 1.0) / p.vpp * t.total();
  r.dp_comm_s = dp.per_step;
  r.dp_exposed_s = dp.exposed;
  const double shard = static_cast<double>(p.dp * p.cp);
  const double local_params = p.zero >= 1 ? sp.dense / shard + sp.expert * p.ep / shard : sp.total();
  r.optimizer_s = local_params * kOptimizerBytesPerParam /
                  (c.gpu.hbm_GBps * kBytesPerGB * c.efficiency.hbm_fraction);
  r.step_time_s = mbs * t.total() + r.bubble_s + r.dp_exposed_s + r.optimizer_s;
  FillThroughput(m, c, p, flops, &r);
  FindBound(&r);
  return r;
}

SequenceFlops FlopsPerSequence(const ModelSpec& m, Recompute r) {
  const FlopsReport f = ComputeFlops(m, {m.seq_len, 1, false, r});
  return {static_cast<double>(f.model_step), static_cast<double>(f.hardware_step)};
}

StepTime EstimateStepTime(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p,
                          const StepTimeOptions& o) {
  return AssembleStepTime(m, c, SplitParams(m, CountParams(m)), p, o, ComputeLayerCost(m, c, p, o),
                          FlopsPerSequence(m, p.recompute));
}

}  // namespace planner
