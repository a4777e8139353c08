#include "planner/core/step_time.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "planner/core/collectives.h"
#include "planner/core/flops.h"
#include "planner/core/moe_cost.h"
#include "planner/core/pipeline_stages.h"
#include "planner/core/step_pieces.h"
#include "planner/core/units.h"

namespace planner {

double HbmSeconds(const ClusterSpec& c, double bytes) {
  return bytes / (c.gpu.hbm_GBps * kBytesPerGB * c.efficiency.hbm_fraction);
}

namespace {

// Optimizer step traffic per local parameter: read fp32 master, m, v and the gradient; write
// master, m, v and the 16-bit weight.
constexpr double kOptimizerBytesPerParam = 4 * 4 + 3 * 4 + 2;

// Muon's Newton-Schulz runs once per step. Megatron-Core's layer-wise distributed optimizer gives
// each rank of the ZeRO shard whole matrices (the routed experts' over the expert data-parallel
// group), so the shard splits the work; without ZeRO every rank runs all of it.
double MuonStepSeconds(const ParallelConfig& p, const LayerCost& lc, double layers) {
  return layers * p.OptimizerShare(lc.muon_dense_s, lc.muon_expert_s);
}

// Rank order is tp (innermost), cp, dp, pp: the stride of each group in that order.
struct Strides {
  int64_t tp = 1, cp, dp, pp;
  explicit Strides(const ParallelConfig& p) : cp(p.tp), dp(p.tp * p.cp), pp(p.tp * p.cp * p.dp) {}
};

// Exposed TP communication of one layer (forward, backward and full recompute's repeat). Each
// pass runs 2 all-reduces (or RS + AG with SP, the same bus traffic). Overlapped with the weight-
// gradient GEMMs, the backward leaves exposed only SP's all-gather before each row-parallel
// linear. Transformer Engine's userbuffers split each collective in tp chunks pipelined with the
// GEMM beside it: the first chunk, and whatever the GEMMs cannot cover, stays exposed. A forward
// whose SP all-gathers run in fp8 (MemoryOptions::sp_all_gather_fp8) moves half their bytes: 1.5
// all-reduces' worth instead of 2.
double TpExposedPerLayer(const ParallelConfig& p, const StepTimeOptions& o, double tp_ar,
                         double linear_fwd_s) {
  const double recompute = p.recompute == Recompute::kFull ? 1 : 0;
  const bool fp8_gather = p.sp && p.dtype == Dtype::kFp8 && o.memory.sp_all_gather_fp8;
  const double forward = fp8_gather ? 1.5 : 2;
  if (o.overlap_tp_forward && p.sp && p.tp > 1) {
    auto pass = [&](double comm, double gemm_s) {
      const double head = comm / static_cast<double>(p.tp);
      return head + std::max(0.0, comm - head - gemm_s);
    };
    return (1 + recompute) * pass(forward * tp_ar, linear_fwd_s) +
           pass(2 * tp_ar, 2 * linear_fwd_s);
  }
  const double backward = o.overlap_tp_backward ? (p.sp ? 1 : 0) : 2;
  return tp_ar * (forward + backward + forward * recompute);
}

// A hybrid model's Mamba layers under CP, per average layer: Megatron-Core's MambaContextParallel
// (ssm/mamba_context_parallel.py pre_conv_ssm, post_conv_ssm) moves the in_proj output (z, x, B,
// C, dt) from sequence shards to head shards by an all-to-all over the CP group before the conv1d
// and scan, and the scan's output back after; backward moves their gradients. Synchronous.
double MambaContextParallelSeconds(const ModelSpec& m, const ClusterSpec& c,
                                   const ParallelConfig& p, double tokens, int64_t stride) {
  if (p.cp <= 1 || m.n_mamba_layers() == 0) return 0;
  const MambaSpec& mb = m.mamba;
  const double bytes =
      tokens * static_cast<double>(mb.in_proj_width() + mb.d_inner()) / p.tp * kActivationBytes;
  return m.mamba_share() * 2 * CollectiveSeconds(c, Collective::kAllToAll, p.cp, stride, bytes);
}

// Ulysses CP (CpComm::kAllToAll), per attention layer and micro-batch: before attention an
// all-to-all turns the rank's sequence shard of Q, K and V (all its tensor-parallel heads) into
// the whole sequence of heads / cp of them, and after it one more turns the output back
// (DeepSpeed's DistributedAttention, Megatron-Core cp_comm_type a2a). Backward moves the
// gradients of the same tensors the other way; full recompute runs the forward's two again.
// K and V go whole to ranks that lack a KV head of their own (GQA with fewer KV heads per tp rank
// than cp: each rank needs one), so they move at least one head per cp rank. Synchronous.
double UlyssesSeconds(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p,
                      double tokens, int64_t stride) {
  const double q_width = static_cast<double>(m.n_heads * m.head_dim) / p.tp;
  const double kv_width = std::max<double>(static_cast<double>(m.kv_dim()) / p.tp,
                                           static_cast<double>(p.cp * m.head_dim));
  const double qkv_bytes = tokens * (q_width + 2 * kv_width) * kActivationBytes;
  const double out_bytes = tokens * q_width * kActivationBytes;
  const double pass = CollectiveSeconds(c, Collective::kAllToAll, p.cp, stride, qkv_bytes) +
                      CollectiveSeconds(c, Collective::kAllToAll, p.cp, stride, out_bytes);
  const double forwards = p.recompute == Recompute::kFull ? 2 : 1;
  return (forwards + 1) * pass;
}

void AddCommunication(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p,
                      const StepTimeOptions& o, double layers, const LayerCost& lc,
                      MicrobatchTime* t) {
  const Strides st(p);
  const double tokens = static_cast<double>(m.seq_len) / p.cp * p.micro_batch;
  const double act = tokens * m.d_model * kActivationBytes;
  const double core_fwd = lc.core_fwd_s;
  const double tp_ar = CollectiveSeconds(c, Collective::kAllReduce, p.tp, st.tp, act);
  // TpExposedPerLayer prices attention + MLP; a hybrid model's layer has one sublayer.
  const double sublayers = m.sublayers_per_layer() / 2.0;
  t->tp_comm = layers * sublayers * TpExposedPerLayer(p, o, tp_ar, lc.linear_fwd_s);
  if (p.cp > 1 && o.cp_all_to_all) {
    t->cp_comm = layers * m.attention_share() * UlyssesSeconds(m, c, p, tokens, st.cp);
    t->cp_exposed = t->cp_comm;
  } else if (p.cp > 1) {
    // Ring attention: cp-1 steps passing the K and V chunk forward; K, V and their gradients back.
    const double kv_bytes = 2 * tokens * std::max<double>(m.kv_dim() / p.tp, m.head_dim) * kActivationBytes;
    const double step = RingHopSeconds(c, p.cp, st.cp, kv_bytes);
    // In the attention layers only.
    t->cp_comm = layers * m.attention_share() * 3 * (p.cp - 1) * step;
    const double hide = o.overlap_cp ? layers * 3 * core_fwd : 0;
    t->cp_exposed = std::max(0.0, t->cp_comm - hide);
  }
  if (p.cp > 1) {
    const double mamba = MambaContextParallelSeconds(m, c, p, tokens, st.cp);
    t->cp_comm += layers * mamba;
    t->cp_exposed += layers * mamba;
  }
  if (p.ep > 1) {
    // Dispatch and combine, forward and backward, in the MoE layers only (DeepSeek's first
    // dense layers and Llama 4's interleaved dense layers have none): moe_cost.h.
    const double moe_layers = layers * m.n_moe_layers() / m.n_layers;
    // A TP group dispatches as one EP member (members every (tp*cp)-th rank); folded (etp != tp,
    // Megatron-Core requires SP), each rank dispatches its own sequence shard to members every
    // etp-th rank. (The all-gather of the tokens inside an etp > 1 group is not priced.)
    const bool folded = p.expert_tp() != p.tp;
    const double a2a_tokens = folded ? tokens / p.tp : tokens;
    const int64_t stride = folded ? p.expert_tp() : st.dp;
    // A checkpointed MoE MLP (recompute_moe) dispatches and combines its forward again: the
    // forward's two passes once more beside the four of forward and backward.
    const bool again = o.memory.recompute_moe && p.recompute != Recompute::kFull;
    t->ep_comm =
        (again ? 1.5 : 1.0) * moe_layers * MoeAllToAllCost(m, c, p, o, a2a_tokens, stride).seconds;
    t->ep_exposed = ExposedAllToAllSeconds(o, t->ep_comm, t->forward + t->backward + t->recompute);
  }
  if (p.pp > 1) {
    // Megatron splits the activation over the TP ranks for the hop (scatter-gather, Narayanan
    // 2021 sec. 4.1) and all-gathers it over NVLink on arrival.
    const double bytes = act / p.tp;
    t->pp_comm = 2.0 * p.vpp * CollectiveSeconds(c, Collective::kSendRecv, 2, st.pp, bytes);
    t->pp_exposed = o.overlap_pp ? 0 : t->pp_comm;
  }
}

// Interleaved 1F1B's bubble is pp - 1 passes of a chunk: 1/vpp of the stage's micro-batch. With
// chunks of unequal size (a pipeline layout, which differ by one layer at most) the mean chunk, as
// the simulator runs them: which chunks pace the warm-up depends on where the layout puts the
// larger ones, which no flag states.
double ChunkShare(const ParallelConfig& p) {
  return p.vpp <= 1 ? 1 : 1.0 / static_cast<double>(p.vpp);
}

struct DpTimes {
  double per_step = 0, exposed = 0;
  Zero3Traffic zero3;  // per micro-batch
};

// What of a collective of `comm` seconds stays exposed beside `compute` seconds it overlaps:
// buckets are reduced as their layers finish, so the last bucket (about one layer's share) has
// nothing left to hide behind.
double ExposedBeside(double comm, double compute, double layers) {
  return std::max(comm / std::max(layers, 1.0), comm - compute);
}

// Data-parallel (x CP) traffic: ZeRO-0 all-reduces gradients once per step; ZeRO-1/2 reduce-
// scatter them and all-gather the updated 16-bit parameters after the optimizer; ZeRO-2 with
// gradient accumulation may reduce-scatter after every micro-batch; ZeRO-3 gathers weights twice
// and reduce-scatters gradients every micro-batch (returned per micro-batch).
DpTimes DataParallelTimes(const ClusterSpec& c, const ParallelConfig& p, const StageParams& sp,
                          const StepTimeOptions& o, const MicrobatchTime& t, double layers) {
  const int64_t group = p.dp * p.cp;
  auto collective = [&](Collective op, double bytes_per_param) {
    return DpCollectiveSeconds(c, p, op, sp.dense, sp.expert, bytes_per_param);
  };
  DpTimes d;
  // Folded experts (etp < tp) may be replicated over the tp ranks even without data parallelism.
  if ((group <= 1 && p.expert_dp() <= 1) || sp.total() <= 0) return d;
  const double mbs = static_cast<double>(p.grad_accum());
  if (p.zero >= 3) {
    d.zero3 = Zero3PerMicrobatch(c, p, sp, o, layers);
    return d;
  }
  const GradReduce r = DpGradReduce(p, o);
  const double grads = collective(r.op, r.bytes_per_param);
  // ZeRO-2 reduce-scatters per micro-batch where the stack does, unless pipelining syncs
  // gradients at the last micro-batch only (zero3_with_pp: gathered, torch.distributed.pipelining).
  const bool pp_syncs_once = PipelineSyncsOncePerStep(p, o.memory);
  const bool per_microbatch =
      p.zero == 2 && o.zero2_reduce_per_microbatch && mbs > 1 && !pp_syncs_once;
  const double grad_rounds = per_microbatch ? mbs : 1;
  d.per_step = grad_rounds * grads;
  d.exposed = grad_rounds * (o.overlap_dp ? ExposedBeside(grads, t.backward, layers) : grads);
  if (p.zero >= 1) {
    const double gather = collective(Collective::kAllGather, o.memory.weight_bytes);
    d.per_step += gather;
    d.exposed += o.overlap_param_gather ? ExposedBeside(gather, t.forward, layers) : gather;
  }
  return d;
}

void FillThroughput(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p,
                    const SequenceFlops& flops, StepTime* r) {
  const double sequences = static_cast<double>(p.global_batch);
  r->model_flops = flops.model * sequences;
  r->hardware_flops = flops.hardware * sequences;
  const double gpus = static_cast<double>(p.gpus());
  // MFU is quoted against the 16-bit dense peak even for fp8 and fp4 runs, as the sources do.
  const double peak = c.gpu.peak(IsLowPrecision(p.dtype) ? Dtype::kBf16 : p.dtype) * kFlopsPerTflop;
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
      {r->ep_exposed_s, "ep all-to-all"},     {r->zero3_exposed_s, "zero-3 gathers"},
      {r->optimizer_s, "optimizer step"}};
  double best = -1;
  for (const auto& [v, name] : terms) {
    if (v > best) {
      best = v;
      r->bound = name;
    }
  }
}

// The pipeline runs at the pace of its slowest stage (pipeline_stages.h): its layers, and whether
// it runs the LM head and loss. A stage costs its layers x one layer's compute and synchronous
// communication (linear in the layers: priced for one), the last also the head and loss; the first
// stage's embedding lookup is not priced. An even split is paced by the last stage; a layout that
// does not split (a caller that skipped CheckLayout) keeps the even share.
struct Pace {
  int64_t stage = 0;
  double layers = 0;
  bool head = true;
};

Pace PaceOf(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p,
            const StepTimeOptions& o, const LayerCost& lc) {
  const StageLayout s = StageLayers(m.n_layers, p);
  if (!s.ok) return {p.pp - 1, static_cast<double>(m.n_layers) / p.pp, true};
  if (s.even()) return {p.pp - 1, static_cast<double>(s.last), true};
  MicrobatchTime one;
  one.forward = lc.compute_s();
  AddCommunication(m, c, p, o, 1.0, lc, &one);
  const double layer_s = one.forward + one.tp_comm + one.cp_exposed + one.ep_exposed;
  const double last_extra_s =
      lc.last_fwd_s() + lc.last_bwd_input_s() + lc.last_bwd_weight_s() + lc.mtp_layers * layer_s;
  const PacedStage paced = SlowestStage(s, layer_s, 0, last_extra_s);
  return {paced.stage, static_cast<double>(paced.layers), paced.last};
}

}  // namespace

StepTime AssembleStepTime(const ModelSpec& m, const ClusterSpec& c, const ParamSplit& split,
                          const ParallelConfig& p, const StepTimeOptions& o, const LayerCost& lc,
                          const SequenceFlops& flops) {
  StepTime r;
  r.microbatches = p.grad_accum();
  const double mbs = static_cast<double>(r.microbatches);
  const Pace pace = PaceOf(m, c, p, o, lc);
  const double head = pace.head ? 1 : 0;
  // The last stage also runs the MTP modules' layers.
  const double layers = pace.layers + head * lc.mtp_layers;
  MicrobatchTime& t = r.microbatch;
  t.stage = pace.stage;
  t.layers = layers;
  t.forward = layers * lc.fwd_s() + head * lc.last_fwd_s();
  t.backward = layers * lc.bwd_s() + head * (lc.last_bwd_input_s() + lc.last_bwd_weight_s());
  t.recompute = layers * lc.recompute_s;
  AddCommunication(m, c, p, o, layers, lc, &t);
  const StageParams sp = ParamsOnStage(split, p, p.pp == 1, true);
  const DpTimes dp = DataParallelTimes(c, p, sp, o, t, layers);
  t.zero3_comm = dp.zero3.seconds;
  // ZeRO-3 gathers the next layer while this one computes; the first gather of a micro-batch and
  // its last reduce-scatter have nothing to hide behind. Without prefetch every gather waits.
  const double unhidden = layers > 0 ? t.zero3_comm / layers : 0;
  t.zero3_exposed =
      o.zero3_prefetch
          ? std::max(0.0, t.zero3_comm - (t.forward + t.backward + t.recompute)) + unhidden
          : t.zero3_comm;

  r.forward_s = mbs * t.forward + layers * lc.per_step_s;
  r.backward_s = mbs * t.backward;
  r.recompute_s = mbs * t.recompute;
  r.compute_s = r.forward_s + r.backward_s + r.recompute_s;
  r.tp_comm_s = mbs * t.tp_comm;
  r.cp_comm_s = mbs * t.cp_comm;
  r.cp_exposed_s = mbs * t.cp_exposed;
  r.ep_comm_s = mbs * t.ep_comm;
  r.ep_exposed_s = mbs * t.ep_exposed;
  r.pp_comm_s = mbs * t.pp_comm;
  r.pp_exposed_s = mbs * t.pp_exposed;
  r.zero3_comm_s = mbs * t.zero3_comm;
  r.zero3_exposed_s = mbs * t.zero3_exposed;
  r.zero3_calls = mbs * dp.zero3.calls;
  r.zero3_host_s = mbs * dp.zero3.host_s;
  // CPU offloading: each offloaded layer out and back per micro-batch; its stalls are in
  // forward and backward already.
  r.offload_copy_s = mbs * static_cast<double>(p.offload_layers) * 2 * OffloadCopySeconds(c, lc);
  r.offload_exposed_s = mbs * layers * (lc.offload_fwd_s + lc.offload_bwd_s);
  // DualPipe: a micro-batch's forward and backward (t.total()) and its weight-gradient GEMMs
  // (one forward's worth of the linear layers and head).
  r.bubble_s = p.schedule == Schedule::kDualPipe
                   ? DualPipeBubbleSeconds(p.pp, t.total(),
                                           layers * lc.linear_fwd_s + head * lc.last_bwd_weight_s())
                   : (p.pp - 1.0) * ChunkShare(p) * t.total();
  r.dp_comm_s = dp.per_step;
  r.dp_exposed_s = dp.exposed;
  r.optimizer_s = HbmSeconds(c, OptimizerParams(p, sp) * kOptimizerBytesPerParam) +
                  MuonStepSeconds(p, lc, pace.layers);
  r.step_time_s = mbs * t.total() + layers * lc.per_step_s + r.bubble_s + r.dp_exposed_s +
                  r.optimizer_s;
  FillThroughput(m, c, p, flops, &r);
  FindBound(&r);
  return r;
}

double ComputeFloorSeconds(const ModelSpec& m, const ParallelConfig& p, const LayerCost& lc) {
  // An uneven split is paced by the stage SlowestStage picks, which need not hold the most layers.
  if (p.first_stage_layers != 0 || p.last_stage_layers != 0 || p.pp <= 0) return 0;
  const double layers = static_cast<double>(m.n_layers) / static_cast<double>(p.pp);
  // Every micro-batch, plus the bubble's (pp - 1) chunks: AssembleStepTime's bubble is that many
  // micro-batch times of the paced stage (DualPipe's is priced otherwise and is left out).
  double microbatches = static_cast<double>(p.grad_accum());
  if (p.schedule != Schedule::kDualPipe) microbatches += (p.pp - 1.0) * ChunkShare(p);
  return microbatches * layers * lc.compute_s();
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
