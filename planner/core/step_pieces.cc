#include "planner/core/step_pieces.h"

#include <algorithm>

#include "planner/core/moe_cost.h"
#include "planner/core/params.h"

namespace planner {
namespace {

// Per-layer compute from the layer's cost; backward = input gradient (one dgrad GEMM per linear,
// the attention core, the element-wise backward) + weight gradient (one wgrad GEMM per linear),
// which is how LayerCost::bwd_s() composes it.
LayerPieces LayerCompute(const LayerCost& lc) {
  LayerPieces l;
  l.forward_s = lc.fwd_s();
  l.attention_fwd_s = lc.core_fwd_s;
  l.backward_input_s = lc.linear_fwd_s + lc.core_bwd_s + lc.elementwise_bwd_s + lc.offload_bwd_s;
  l.attention_bwd_s = lc.core_bwd_s;
  l.backward_weight_s = lc.linear_fwd_s;
  l.recompute_s = lc.recompute_s;
  l.activation_bytes = lc.act_bytes;
  return l;
}

// Splits the analytic per-micro-batch communication totals into per-layer collectives, so the
// pieces add back to exactly what the analytic model charges. Only the counts are restated here:
// TP runs 2 collectives forward and 2 backward per layer (the backward ones partly beside the
// weight-gradient GEMMs), and the forward's 2 again under full recompute; the CP ring passes K, V
// forward (1 share) and K, V and their gradients backward (2 shares); EP dispatches and combines
// each way.
void AddCommunication(const ParallelConfig& p, const StepTimeOptions& o, const MicrobatchTime& t,
                      double layers, LayerPieces* l) {
  const double bwd_exposed = o.overlap_tp_backward ? (p.sp ? 1 : 0) : 2;
  const double recompute = p.recompute == Recompute::kFull ? 2 : 0;
  const double tp_unit = layers > 0 ? t.tp_comm / (layers * (2 + bwd_exposed + recompute)) : 0;
  l->tp_fwd_s = 2 * tp_unit;
  l->tp_bwd_s = bwd_exposed * tp_unit;
  l->tp_bwd_overlap_s = (2 - bwd_exposed) * tp_unit;
  l->tp_recompute_s = recompute * tp_unit;
  if (layers > 0) {
    l->cp_fwd_s = t.cp_comm / layers / 3;
    l->cp_bwd_s = 2 * t.cp_comm / layers / 3;
    // What of the all-to-all the analytic model leaves exposed (all of it unless overlapped).
    l->ep_fwd_s = l->ep_bwd_s = t.ep_exposed / layers / 2;
  }
}

// ZeRO-3's calls per layer and pass: one, or the layer's parameter tensors where the stack
// gathers per tensor.
double Zero3CallsPerLayer(const StepTimeOptions& o, const StageParams& sp) {
  return o.zero3_per_tensor ? std::max(1.0, sp.layer_tensors) : 1;
}

// The passes of a micro-batch that gather the weights: forward and backward, and full
// recompute's forward where the stack gathers again.
double Zero3GatherPasses(const ParallelConfig& p, const StepTimeOptions& o) {
  return o.zero3_recompute_regathers && p.recompute == Recompute::kFull ? 3 : 2;
}

// The stack's host work per rank of the shard group (o.zero3_host_s_per_rank) for `calls` calls.
double Zero3HostSeconds(const ParallelConfig& p, const StepTimeOptions& o, double calls) {
  return calls * static_cast<double>(p.zero_shard()) * o.zero3_host_s_per_rank;
}

// What `calls` ZeRO-3 collectives of one kind (gathers, or reduce-scatters) over the shard group
// cost beyond the one collective of all their bytes that DpCollectiveSeconds prices: the ring
// latency of every further call and the host work of every call.
double Zero3CallSeconds(const ClusterSpec& c, const ParallelConfig& p, const StepTimeOptions& o,
                        double calls) {
  const int64_t shard = p.zero_shard();
  if (shard <= 1 || calls <= 0) return 0;
  const double host = Zero3HostSeconds(p, o, calls);
  if (calls <= 1) return host;
  // One byte: a ring's latency terms, the same for an all-gather and a reduce-scatter (g - 1
  // steps a level); its transfer time is a fraction of a nanosecond.
  return (calls - 1) * CollectiveSeconds(c, Collective::kAllGather, shard, p.tp, 1.0) + host;
}

// One gather of `dense` + `expert` parameters and one reduce-scatter of their gradients, each made
// as `calls` calls: the bytes as one collective, the calls' latency and host work, and where the
// stack's collectives take lists (o.zero3_list_copies) the bytes once more through HBM: a gather
// zero-fills its buffer, then reads and writes every byte into the per-rank views (3 passes); a
// reduce-scatter copies its inputs in (2).
struct Zero3Pair {
  double gather = 0, reduce = 0;
};
Zero3Pair Zero3Calls(const ClusterSpec& c, const ParallelConfig& p, const StepTimeOptions& o,
                     double dense, double expert, double calls) {
  const double per_call_kind = Zero3CallSeconds(c, p, o, calls);
  const double copies = o.zero3_list_copies ? 1 : 0;
  const double wb = o.memory.weight_bytes, gb = o.grad_comm_bytes, params = dense + expert;
  return {DpCollectiveSeconds(c, p, Collective::kAllGather, dense, expert, wb) + per_call_kind +
              copies * HbmSeconds(c, 3 * params * wb),
          DpCollectiveSeconds(c, p, Collective::kReduceScatter, dense, expert, gb) + per_call_kind +
              copies * HbmSeconds(c, 2 * params * gb)};
}

void AddDataParallel(const ClusterSpec& c, const ParallelConfig& p, const StepTimeOptions& o,
                     const StageParams& sp, double layers, StagePieces* s) {
  const double extra = std::max(0.0, sp.dense - layers * sp.layer_dense);
  const double gb = o.grad_comm_bytes, wb = o.memory.weight_bytes;
  if (p.zero >= 3) {
    const Zero3Pair layer =
        Zero3Calls(c, p, o, sp.layer_dense, sp.layer_expert, Zero3CallsPerLayer(o, sp));
    s->zero3_gather_s = layer.gather;
    s->zero3_scatter_s = layer.reduce;
    s->zero3_backward_gather_s = (Zero3GatherPasses(p, o) - 1) * s->zero3_gather_s;
    s->zero3_extra_gather_s = DpCollectiveSeconds(c, p, Collective::kAllGather, extra, 0, wb);
    s->zero3_extra_scatter_s = DpCollectiveSeconds(c, p, Collective::kReduceScatter, extra, 0, gb);
    return;
  }
  // ZeRO-1/2 all-gather the updated 16-bit parameters after the optimizer (Megatron's
  // distributed optimizer) besides reducing the gradients.
  const GradReduce r = DpGradReduce(p, o);
  s->dp_layer_s =
      DpCollectiveSeconds(c, p, r.op, sp.layer_dense, sp.layer_expert, r.bytes_per_param);
  s->dp_extra_s = DpCollectiveSeconds(c, p, r.op, extra, 0, r.bytes_per_param);
  s->dp_step_s = DpCollectiveSeconds(c, p, r.op, sp.dense, sp.expert, r.bytes_per_param);
  if (p.zero > 0) {
    s->dp_gather_s = DpCollectiveSeconds(c, p, Collective::kAllGather, sp.dense, sp.expert, wb);
    s->dp_step_s += s->dp_gather_s;
  }
}

StagePieces RealStage(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p,
                      const StepTimeOptions& o, const StepPieces& r, const ParamSplit& split,
                      int64_t stage) {
  const LayerCost& lc = r.layer_cost;
  const MicrobatchTime& t = r.analytic.microbatch;
  StagePieces s;
  const bool first = stage == 0, last = stage == p.pp - 1;
  // The last stage also runs the MTP modules' layers (LayerCost::mtp_modules).
  s.layers = LayersOnStage(m.n_layers, p, stage) + (last ? lc.mtp_layers : 0);
  s.layer = LayerCompute(lc);
  // Per-layer collectives from the analytic totals of the stage that paces the pipeline.
  AddCommunication(p, o, t, t.layers, &s.layer);
  if (last) {
    s.head_fwd_s = lc.last_fwd_s();
    s.head_bwd_input_s = lc.last_bwd_input_s();
    s.head_bwd_weight_s = lc.last_bwd_weight_s();
  }
  // The exposed CP ring grows with the layers: the analytic figure is the pacing stage's.
  s.cp_exposed_s = s.layers == t.layers ? t.cp_exposed : t.cp_exposed * (s.layers / t.layers);
  s.pp_exposed_s = t.pp_exposed;
  s.zero3_exposed_s = t.zero3_exposed;
  s.p2p_s = p.pp > 1 ? t.pp_comm / (2.0 * p.vpp) : 0;
  const StageParams sp = ParamsOnStage(split, p, first, last);
  AddDataParallel(c, p, o, sp, s.layers, &s);
  const double backward_s = s.layers * (s.layer.backward_input_s + s.layer.backward_weight_s) +
                            s.head_bwd_input_s + s.head_bwd_weight_s;
  s.dp_exposed_s = o.overlap_dp ? std::max(0.0, s.dp_step_s - backward_s) : s.dp_step_s;
  // The optimizer is HBM-bound, linear in the parameters it updates: scale the analytic model's
  // time (for the stage it assumes) by this stage's share.
  const StageParams analytic_sp = ParamsOnStage(split, p, p.pp == 1, true);
  const double analytic_params = OptimizerParams(p, analytic_sp);
  s.optimizer_s =
      analytic_params > 0 ? r.analytic.optimizer_s * OptimizerParams(p, sp) / analytic_params : 0;
  s.per_step_s = s.layers * lc.per_step_s;
  return s;
}

// Every stage as the analytic model sees it: the slowest stage's micro-batch time (the last
// stage's, head and loss included, unless uneven stages make another slower) spread evenly over
// its layers; the analytic DP, exposed DP and optimizer time.
StagePieces UniformStage(const StepPieces& r) {
  const MicrobatchTime& t = r.analytic.microbatch;
  StagePieces s = r.stages[t.stage];
  const double weight_s = s.layers * s.layer.backward_weight_s + s.head_bwd_weight_s;
  s.layer.forward_s = t.forward / s.layers;
  s.layer.backward_weight_s = weight_s / s.layers;
  s.layer.backward_input_s = (t.backward - weight_s) / s.layers;
  s.layer.recompute_s = t.recompute / s.layers;
  s.head_fwd_s = s.head_bwd_input_s = s.head_bwd_weight_s = 0;
  s.dp_step_s = r.analytic.dp_comm_s;
  s.dp_exposed_s = r.analytic.dp_exposed_s;
  s.optimizer_s = r.analytic.optimizer_s;
  return s;
}

}  // namespace

double OptimizerParams(const ParallelConfig& p, const StageParams& sp) {
  return p.OptimizerShare(sp.dense, sp.expert);
}

double StagePieces::MicrobatchSeconds() const {
  const LayerPieces& l = layer;
  return layers * (l.forward_s + l.backward_input_s + l.backward_weight_s + l.recompute_s +
                   l.tp_fwd_s + l.tp_bwd_s + l.tp_recompute_s + l.ep_fwd_s + l.ep_bwd_s) +
         head_fwd_s + head_bwd_input_s + head_bwd_weight_s + cp_exposed_s + pp_exposed_s +
         zero3_exposed_s;
}

GradReduce DpGradReduce(const ParallelConfig& p, const StepTimeOptions& o) {
  if (o.bf16_fp32_all_reduce && p.dtype == Dtype::kBf16 && p.zero <= 1) {
    return {Collective::kAllReduce, 4};
  }
  return {p.zero == 0 ? Collective::kAllReduce : Collective::kReduceScatter, o.grad_comm_bytes};
}

double DpCollectiveSeconds(const ClusterSpec& c, const ParallelConfig& p, Collective op,
                           double dense, double expert, double bytes_per_param) {
  const auto expert_group = static_cast<int64_t>(p.expert_dp());
  // Rank order is tp (innermost), cp, dp, pp: the dp x cp group is every tp-th rank. The MoE
  // layers' grid over the same ranks is etp (innermost), ep, expert-dp.
  const double experts =
      CollectiveSeconds(c, op, expert_group, p.expert_tp() * p.ep, expert * bytes_per_param);
  if (op == Collective::kAllReduce) {
    return CollectiveSeconds(c, op, p.dp * p.cp, p.tp, dense * bytes_per_param) + experts;
  }
  // ZeRO's gathers and reduce-scatters run inside a shard group (the inner dp_shard x cp ranks
  // under HSDP); a reduce-scatter is then all-reduced across the replicas, one shard's bytes.
  const int64_t shard = p.zero_shard();
  double dense_s = CollectiveSeconds(c, op, shard, p.tp, dense * bytes_per_param);
  if (op == Collective::kReduceScatter && p.dp_replicas() > 1) {
    dense_s += CollectiveSeconds(c, Collective::kAllReduce, p.dp_replicas(), p.tp * shard,
                                 dense * bytes_per_param / static_cast<double>(shard));
  }
  return dense_s + experts;
}

Zero3Traffic Zero3PerMicrobatch(const ClusterSpec& c, const ParallelConfig& p,
                                const StageParams& sp, const StepTimeOptions& o, double layers) {
  const double calls = layers * Zero3CallsPerLayer(o, sp);
  const Zero3Pair pair = Zero3Calls(c, p, o, sp.dense, sp.expert, calls);
  const bool once_per_step = PipelineSyncsOncePerStep(p, o.memory);
  const double per_step = once_per_step ? 1 / static_cast<double>(p.grad_accum()) : 1;
  const double gathers = once_per_step ? 1 : Zero3GatherPasses(p, o);
  Zero3Traffic z;
  z.seconds = per_step * (gathers * pair.gather + pair.reduce);
  z.calls = per_step * (gathers + 1) * calls;
  z.host_s = per_step * (gathers + 1) * Zero3HostSeconds(p, o, calls);
  return z;
}

StepPieces ComputeStepPieces(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p,
                             const StepTimeOptions& o) {
  StepPieces r;
  r.analytic = EstimateStepTime(m, c, p, o);
  r.layer_cost = ComputeLayerCost(m, c, p, o);
  const ParamSplit split = SplitParams(m, CountParams(m));
  for (int64_t s = 0; s < p.pp; ++s) r.stages.push_back(RealStage(m, c, p, o, r, split, s));
  r.uniform = UniformStage(r);
  r.zero3_prefetch = o.zero3_prefetch;
  return r;
}

}  // namespace planner
