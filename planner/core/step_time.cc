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

constexpr double kActivationBytes = 2;  // 16-bit activations on the wire and in HBM
// Optimizer step traffic per local parameter: read fp32 master, m, v and the gradient; write
// master, m, v and the 16-bit weight.
constexpr double kOptimizerBytesPerParam = 4 * 4 + 3 * 4 + 2;
// FlashAttention's backward recomputes the scores and runs five GEMMs to the forward's two.
constexpr double kFlashBackwardRatio = 2.5;

// One GEMM on this GPU: `count` products of [m,k]x[k,n].
struct Gemm {
  double m, k, n, count;
  double flops() const { return 2 * m * k * n * count; }
};

// The efficiency curve describes a fixed per-kernel cost, which is time, not FLOPs: at a dtype with
// a higher peak the same cost hides more FLOPs, so F is rescaled to the 16-bit peak first.
double PeakFlops(const ClusterSpec& c, Dtype dt, double flops, double* eff) {
  const double peak16 = c.gpu.peak(Dtype::kBf16) > 0 ? c.gpu.peak(Dtype::kBf16) : c.gpu.peak(dt);
  *eff = GemmEfficiency(c.efficiency, flops * peak16 / c.gpu.peak(dt));
  if (dt == Dtype::kFp8) *eff *= c.efficiency.fp8_gemm_fraction;
  return c.gpu.peak(dt) * kFlopsPerTflop;
}

// Roofline of one GEMM kernel: `batched` products run as one kernel (bmm, attention), otherwise
// as `count` kernels.
double GemmSeconds(const ClusterSpec& c, Dtype dt, const Gemm& g, bool batched = false) {
  const double per_kernel = batched ? g.flops() : 2 * g.m * g.k * g.n;
  double eff = 0;
  const double peak = PeakFlops(c, dt, per_kernel, &eff);
  const double compute = per_kernel / (peak * eff);
  const double in_bytes = dt == Dtype::kFp8 ? 1 : kActivationBytes;
  const double bytes = in_bytes * (g.m * g.k + g.k * g.n) + kActivationBytes * g.m * g.n;
  const double memory = HbmSeconds(c, bytes * (batched ? g.count : 1));
  return (batched ? 1 : g.count) * std::max(compute, memory);
}

struct LayerGemms {
  std::vector<Gemm> linear;  // projections and MLP, in forward order
  Gemm core_scores, core_context;
  // MLA's up-projections from the latents, as indices into `linear` (-1: none): what a stack that
  // recomputes them (StackMemoryChoices::recompute_up_projections) runs again in backward.
  int q_up = -1, kv_up = -1;
  // Where the MoE MLP's GEMMs (router, experts, shared experts) start in `linear`; they run to its
  // end. -1: no MoE. What a stack that checkpoints the MoE MLP runs again (recompute_moe).
  int moe_begin = -1;
  // The attention core's share of the layers (a hybrid model's attention layers); the batched
  // kernels above are one attention layer's, so that their efficiency is the real kernel's.
  double core_share = 1;
  // A hybrid model's Mamba-2 scan (SSD's chunked products, flops.cc): n_ssd batched kernels of
  // one Mamba layer, counted at ssd_share of the layers.
  Gemm ssd[4] = {};
  int n_ssd = 0;
  double ssd_share = 0;
};

// Appends a Mamba-2 mixer's projections to `linear` and its scan's products to g->ssd, counted
// at `share` of the layers (see MambaSpec; in_proj column-, out_proj row-parallel).
void AddMambaGemms(const ModelSpec& m, const ParallelConfig& p, double tokens, double share,
                   LayerGemms* g) {
  const MambaSpec& mb = m.mamba;
  const double t = p.tp, d = m.d_model, heads = mb.n_heads / t, groups = mb.n_groups / t;
  g->linear.push_back({tokens, d, mb.in_proj_width() / t, share});
  g->linear.push_back({tokens, mb.d_inner() / t, d, share});
  const double q = std::min<double>(mb.chunk_size, static_cast<double>(m.seq_len) / p.cp);
  const double chunks = tokens / q, n = mb.state_size, hd = mb.head_dim;
  g->ssd[0] = {q, n, q, chunks * std::max(groups, 1.0)};
  g->ssd[1] = {q, q, hd, chunks * heads};
  g->ssd[2] = {n, q, hd, chunks * heads};
  g->ssd[3] = {q, n, hd, chunks * heads};
  g->n_ssd = 4;
  g->ssd_share = share;
}

// The per-GPU GEMMs of one layer for one micro-batch: column-parallel projections split their
// output by tp, row-parallel ones their input; CP splits the queries; EP spreads experts.
LayerGemms BuildLayerGemms(const ModelSpec& m, const ParallelConfig& p, bool causal_half) {
  const double t = p.tp, tokens = static_cast<double>(m.seq_len) / p.cp * p.micro_batch;
  const double d = m.d_model, q = m.q_dim(), kv = std::max<double>(m.kv_dim() / t, m.head_dim);
  const double ff = m.d_ff, h = m.n_heads, v_dim = m.v_head_dim();
  LayerGemms g;
  if (m.is_mla()) {
    // MLA (Megatron-Core): the down-projections to the latents are replicated across TP, the
    // up-projections column-parallel, the output row-parallel.
    const double ql = m.mla.q_lora_rank, kvl = m.mla.kv_lora_rank, rope = m.mla.qk_rope_head_dim;
    if (ql > 0) {
      g.linear = {{tokens, d, ql, 1}, {tokens, ql, q / t, 1}};
    } else {
      g.linear = {{tokens, d, q / t, 1}};
    }
    g.linear.push_back({tokens, d, kvl + rope, 1});
    g.linear.push_back({tokens, kvl, h * (m.head_dim - rope + v_dim) / t, 1});
    g.q_up = ql > 0 ? 1 : 0;
    g.kv_up = static_cast<int>(g.linear.size()) - 1;
    g.linear.push_back({tokens, h * v_dim / t, d, 1});
  } else {
    const double a = m.attention_share();
    g.linear = {
        {tokens, d, q / t, a}, {tokens, d, kv, a}, {tokens, d, kv, a}, {tokens, q / t, d, a}};
  }
  if (m.n_mamba_layers() > 0) AddMambaGemms(m, p, tokens, m.mamba_share(), &g);
  const double mats = m.gated_mlp() ? 2 : 1;
  // Every layer is costed alike, so a model mixing dense and MoE layers (DeepSeek's first dense
  // layers, Llama 4's interleaving) or, in a hybrid model, attention, Mamba and MLP layers gets
  // the average layer: each sublayer's GEMMs count its share.
  const double moe_share = m.moe_share();
  const double dense_share = m.dense_mlp_share();
  if (dense_share > 0) {
    g.linear.push_back({tokens, d, ff / t, mats * dense_share});
    g.linear.push_back({tokens, ff / t, d, dense_share});
  }
  if (m.is_moe()) {
    const double local_experts = static_cast<double>(m.moe.n_experts) / p.ep;
    const double ffe = m.d_ff_expert(), shared = m.moe.n_shared_experts * m.d_ff_shared();
    // Balanced routing: each local expert sees tokens*top_k*ep/n_experts tokens on average; the
    // busiest rank load_imbalance times that (and it paces the layer).
    // With expert TP etp != tp (MoE parallel folding) an expert's etp ranks share its width and
    // see etp/tp times the tokens: the stage's tp*cp*dp ranks hold dp*cp sequence shards.
    const double etp = static_cast<double>(p.expert_tp());
    const double expert_tokens =
        tokens * m.moe.top_k / local_experts * m.moe.load_imbalance * etp / t;
    // LatentMoE: the routed experts' input and output width, with the replicated down and up
    // projections around them.
    const double w = static_cast<double>(m.routed_width());
    g.moe_begin = static_cast<int>(g.linear.size());
    g.linear.push_back({tokens, d, static_cast<double>(m.moe.n_experts), moe_share});
    if (m.moe.latent_size > 0) g.linear.push_back({tokens, d, w, moe_share});
    g.linear.push_back({expert_tokens, w, ffe / etp, mats * local_experts * moe_share});
    g.linear.push_back({expert_tokens, ffe / etp, w, local_experts * moe_share});
    if (m.moe.latent_size > 0) g.linear.push_back({tokens, w, d, moe_share});
    if (shared > 0) {  // shared experts run on every token, as one TP-split MLP
      g.linear.push_back({tokens, d, shared / t, mats * moe_share});
      g.linear.push_back({tokens, shared / t, d, moe_share});
    }
  }
  const double heads = m.n_heads / t, s_q = static_cast<double>(m.seq_len) / p.cp;
  const double s_kv = static_cast<double>(m.seq_len) * (causal_half ? 0.5 : 1.0);
  g.core_scores = {s_q, static_cast<double>(m.head_dim), s_kv, heads * p.micro_batch};
  g.core_context = {s_q, s_kv, v_dim, heads * p.micro_batch};
  g.core_share = m.attention_share();
  return g;
}

// Element counts of one layer's activations on one GPU for one micro-batch.
struct LayerElements {
  double rep = 0;     // hidden states outside the TP region (split by tp only with SP)
  double q = 0, kv = 0, ff = 0;
  double scores = 0;  // the s x s attention matrix, when it is materialised
  // Routed token copies x hidden width on this GPU (the routed experts' inputs; averaged over
  // dense and MoE layers), and whether they are sorted by local expert after the all-to-all.
  double routed = 0;
  bool routed_sorted = false;
  // A hybrid model's Mamba layers, at their share: tokens x conv1d channels, x d_inner, and the
  // SSD's fp32 chunk states (H x P x N per chunk).
  double conv = 0, inner = 0, ssd_states = 0;
  double moe_ff = 0;  // the MoE layers' part of ff
};

LayerElements CountElements(const ModelSpec& m, const ParallelConfig& p, bool flash) {
  const double t = p.tp, n = static_cast<double>(m.seq_len) / p.cp * p.micro_batch;
  LayerElements e;
  const double a = m.attention_share();
  e.rep = n * m.d_model / (p.sp ? t : 1);
  e.q = a * n * m.q_dim() / t;
  e.kv = a * n * std::max<double>(m.kv_dim() / t, m.head_dim);
  // The MLP's hidden width a token carries, averaged over the layers.
  const double moe_share = m.moe_share();
  e.ff = n / t * m.mlp_width_per_token();
  if (!flash) e.scores = a * m.n_heads / t * n * m.seq_len;
  if (m.n_mamba_layers() > 0) {
    const MambaSpec& mb = m.mamba;
    const double share = m.mamba_share() * n / t;
    e.conv = share * mb.conv_channels();
    e.inner = share * mb.d_inner();
    const double q = std::min<double>(mb.chunk_size, static_cast<double>(m.seq_len) / p.cp);
    e.ssd_states = share * static_cast<double>(mb.n_heads) * mb.head_dim * mb.state_size / q;
  }
  if (m.is_moe()) {
    e.routed = moe_share * RoutedCopiesPerGpu(m, p) * static_cast<double>(m.routed_width());
    e.routed_sorted = p.ep > 1 && m.moe.n_experts / p.ep > 1;
    e.moe_ff = n / t * moe_share *
               (m.moe.top_k * static_cast<double>(m.d_ff_expert()) +
                m.moe.n_shared_experts * static_cast<double>(m.d_ff_shared()));
  }
  return e;
}

// HBM bytes of one layer's element-wise kernels for one micro-batch. Bytes per element are what
// the kernels read and write (2-byte activations, 1-byte dropout masks, fp32 upcasts in eager
// PyTorch); see docs/validation.md for the kernel-by-kernel tally behind each number.
struct ElementwiseBytes {
  double fwd = 0, bwd = 0;
  double scores_fwd = 0;  // softmax and dropout on the scores: what selective recompute repeats
  // The norms' and the MLP activation's forward: what a stack that recomputes them repeats
  // (StackMemoryChoices::recompute_norms, recompute_mlp_activation); the MoE MLP's element-wise
  // forward (token shuffles, its activation), what recompute_moe repeats.
  double norms_fwd = 0, mlp_activation_fwd = 0, moe_fwd = 0, moe_activation_fwd = 0;
};

ElementwiseBytes LayerElementwise(const ModelSpec& m, const ParallelConfig& p,
                                  const MemoryOptions& o) {
  const LayerElements e = CountElements(m, p, o.flash_attention);
  const Kernels k = o.kernels;
  const bool eager = k == Kernels::kEager, compiled = k == Kernels::kCompiled;
  ElementwiseBytes b;
  auto add = [&](double elements, double fwd, double bwd) {
    b.fwd += elements * fwd;
    b.bwd += elements * bwd;
  };
  // Norms: one kernel each way (LayerNorm is a native kernel even in eager PyTorch); eager RMSNorm
  // is upcast, square, mean, rsqrt, scale, downcast, weight: ~36 bytes forward, ~60 backward.
  const bool composite_norm = eager && m.norm == NormKind::kRmsNorm;
  add(e.rep * m.norms_per_layer, composite_norm ? 36 : 4, composite_norm ? 60 : 6);
  b.norms_fwd = e.rep * m.norms_per_layer * (composite_norm ? 36 : 4);
  // Residual adds: read both, write the sum; dropout adds its mask and, unfused, a pass of its
  // own; backward sums the two gradient streams. torch.compile folds the add into the norm.
  const double residual_fwd = o.dropout ? (eager ? 11 : 7) : (compiled ? 2 : 6);
  const double residual_bwd = o.dropout ? 11 : (compiled ? 2 : 6);
  add(m.sublayers_per_layer() * e.rep, residual_fwd, residual_bwd);  // one add per sublayer
  if (m.position == Position::kRope) add(e.q + e.kv, eager ? 16 : 4, eager ? 20 : 4);
  // PyTorch model code (torchtitan) expands grouped K and V to every head for SDPA; fused
  // attention kernels read the groups directly.
  if (k != Kernels::kFused && e.kv < e.q) add(e.kv + e.q, 4, 4);
  // Attention output back to [tokens, heads*hd]: Megatron's unfused path and SDPA copy it.
  if (!o.flash_attention || k != Kernels::kFused) add(e.q, 4, 4);
  if (e.scores > 0) {
    // Megatron's fused scale-mask-softmax: 2 + 2 forward, 2 + 2 + 2 backward; dropout: 2 + 2 + 1
    // mask each way.
    const double fwd = 4 + (o.dropout ? 5 : 0), bwd = 6 + (o.dropout ? 5 : 0);
    add(e.scores, fwd, bwd);
    b.scores_fwd = e.scores * fwd;
  }
  if (e.routed > 0) {
    // Token shuffles around the routed experts (Megatron-Core's all-to-all dispatcher): permute
    // the copies into expert order (read, write: 4 bytes per element), with ep > 1 and several
    // local experts sort the received chunks by expert and back after the GEMMs (4 + 4), and
    // unpermute into the tokens (read 2, the token writes 2 per top_k copies); backward mirrors
    // each pass.
    const double bytes = 4 + (e.routed_sorted ? 8 : 0) + 2 + 2.0 / m.moe.top_k;
    add(e.routed, bytes, bytes);
    b.moe_fwd = e.routed * bytes;
  }
  // Mamba-2 outside its GEMMs: the conv1d and its SiLU over x, B, C (read, write), the gated
  // RMSNorm y * silu(z) (read y and z, write), the SSD's fp32 chunk states (written, read back);
  // backward about twice.
  add(e.conv, 4, 8);
  add(e.inner, 6, 12);
  add(e.ssd_states, 8, 16);
  const double activation_fwd = m.gated_mlp() ? (eager ? 10 : 6) : 4;
  if (m.gated_mlp()) {
    add(e.ff, activation_fwd, eager ? 18 : 10);  // silu(gate) * up: unfused it is three kernels
  } else {
    add(e.ff, activation_fwd, 6);  // (bias-)GeLU: read, write; backward reads input and gradient
  }
  b.mlp_activation_fwd = e.ff * activation_fwd;
  b.moe_activation_fwd = e.moe_ff * activation_fwd;
  b.moe_fwd += b.moe_activation_fwd;
  return b;
}

// fp8 GEMMs: the casts of each linear's input and output gradient (per micro-batch), and of its
// weight. Delayed scaling fuses cast and transpose (read 2, write 1 + 1) and caches the weight's
// cast over the micro-batches of a step; dynamic scaling reads each tensor for its amax first,
// casts it, and casts again transposed for backward (5 + 3 bytes), weights every micro-batch.
struct Fp8Casts {
  double fwd_s = 0, bwd_s = 0, weight_s = 0;  // weight_s: per micro-batch (dynamic) or per step
};

Fp8Casts Fp8CastSeconds(const ClusterSpec& c, const std::vector<Gemm>& linear, Fp8Scaling s) {
  double inputs = 0, outputs = 0, weights = 0;
  for (const Gemm& g : linear) {
    inputs += g.m * g.k * g.count;
    outputs += g.m * g.n * g.count;
    weights += g.k * g.n * g.count;
  }
  Fp8Casts f;
  if (s == Fp8Scaling::kDelayed) {
    f.fwd_s = HbmSeconds(c, 4 * inputs);
    f.bwd_s = HbmSeconds(c, 4 * outputs);
    f.weight_s = HbmSeconds(c, 4 * weights);
  } else {
    f.fwd_s = HbmSeconds(c, 5 * inputs);
    f.bwd_s = HbmSeconds(c, 3 * inputs + 8 * outputs);
    f.weight_s = HbmSeconds(c, 8 * weights);
  }
  return f;
}

// Bytes per logit the cross-entropy moves, forward + backward: Megatron's fused vocab-parallel
// loss upcasts once; eager PyTorch upcasts, runs a two-pass log-softmax and its backward in fp32;
// a compiled loss reads the 16-bit logits twice and writes the gradient once.
double LossBytesPerLogit(Kernels k) {
  switch (k) {
    case Kernels::kFused: return 28;
    case Kernels::kEager: return 40;
    case Kernels::kCompiled: return 8;
  }
  return 28;
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
  if (p.cp > 1) {
    // Ring attention: cp-1 steps passing the K and V chunk forward; K, V and their gradients back.
    const double kv_bytes = 2 * tokens * std::max<double>(m.kv_dim() / p.tp, m.head_dim) * kActivationBytes;
    const double step = RingHopSeconds(c, p.cp, st.cp, kv_bytes);
    // In the attention layers only.
    t->cp_comm = layers * m.attention_share() * 3 * (p.cp - 1) * step;
    const double hide = o.overlap_cp ? layers * 3 * core_fwd : 0;
    t->cp_exposed = std::max(0.0, t->cp_comm - hide);
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

// Forward seconds of each matmul of the layer, in forward order (a gated MLP's gate and up
// projections are two), for recompute policies that pick matmuls by position.
std::vector<double> MatmulSeconds(const ClusterSpec& c, Dtype dt, const ModelSpec& m,
                                  const std::vector<Gemm>& linear) {
  std::vector<double> out;
  for (const Gemm& g : linear) {
    const double seconds = GemmSeconds(c, dt, g);
    const int split = !m.is_moe() && g.count == 2 ? 2 : 1;
    for (int i = 0; i < split; ++i) out.push_back(seconds / split);
  }
  return out;
}

// Forward work repeated in backward under the layout's recompute mode.
double RecomputeSeconds(const ParallelConfig& p, const MemoryOptions& o, const LayerCost& lc,
                        const std::vector<double>& matmuls, double scores_fwd_s) {
  switch (p.recompute) {
    case Recompute::kNone: return 0;
    case Recompute::kFull: return lc.fwd_s();
    case Recompute::kSelective: break;
  }
  if (o.selective == SelectivePolicy::kAttentionCore) return lc.core_fwd_s + scores_fwd_s;
  double even = 0;  // torchtitan SAC recomputes the 2nd, 4th, ... matmul and all element-wise
  for (size_t i = 1; i < matmuls.size(); i += 2) even += matmuls[i];
  return even + lc.elementwise_fwd_s;
}

// What the stack recomputes beside the recompute mode, whose outputs the memory model then does
// not store (LayerActivations): norms, MLA's up-projections, the MLP activation (DeepSeek-V3 sec.
// 3.2.3; Megatron-Core's recompute_modules layernorm, mla_up_proj, moe_act). Full recompute runs
// the whole forward again already.
double StackRecomputeSeconds(const ClusterSpec& c, const ParallelConfig& p, const MemoryOptions& o,
                             const LayerGemms& g, const ElementwiseBytes& eb) {
  if (p.recompute == Recompute::kFull) return 0;
  double seconds = 0;
  if (o.recompute_norms) seconds += HbmSeconds(c, eb.norms_fwd);
  const bool moe = o.recompute_moe && g.moe_begin >= 0;
  if (o.recompute_mlp_activation) {  // the MoE layers' with their whole MLP when that is repeated
    seconds += HbmSeconds(c, eb.mlp_activation_fwd - (moe ? eb.moe_activation_fwd : 0));
  }
  for (const int i : {g.q_up, g.kv_up}) {
    if (o.recompute_up_projections && i >= 0) seconds += GemmSeconds(c, p.dtype, g.linear[i]);
  }
  if (moe) {  // its all-to-alls are repeated in AddCommunication
    seconds += HbmSeconds(c, eb.moe_fwd);
    for (size_t i = static_cast<size_t>(g.moe_begin); i < g.linear.size(); ++i)
      seconds += GemmSeconds(c, p.dtype, g.linear[i]);
  }
  return seconds;
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

// One layer's forward, backward and recompute for one micro-batch.
double LayerComputeSeconds(const LayerCost& lc) { return lc.fwd_s() + lc.bwd_s() + lc.recompute_s; }

Pace PaceOf(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p,
            const StepTimeOptions& o, const LayerCost& lc) {
  const StageLayout s = StageLayers(m.n_layers, p);
  if (!s.ok) return {p.pp - 1, static_cast<double>(m.n_layers) / p.pp, true};
  if (s.even()) return {p.pp - 1, static_cast<double>(s.last), true};
  MicrobatchTime one;
  one.forward = LayerComputeSeconds(lc);
  AddCommunication(m, c, p, o, 1.0, lc, &one);
  const double layer_s = one.forward + one.tp_comm + one.cp_exposed + one.ep_exposed;
  const double last_extra_s =
      lc.last_fwd_s() + lc.last_bwd_input_s() + lc.last_bwd_weight_s() + lc.mtp_layers * layer_s;
  const PacedStage paced = SlowestStage(s, layer_s, 0, last_extra_s);
  return {paced.stage, static_cast<double>(paced.layers), paced.last};
}

// See LayerCost::mtp_layers. A hybrid model's MTP layer (Nemotron 3 Super's attention + MoE) is
// the model's layer without the pattern: its compute over the average block's.
double MtpLayers(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p,
                 const StepTimeOptions& o, const LayerCost& lc) {
  const double modules = static_cast<double>(m.mtp_modules);
  if (!m.is_hybrid() || modules <= 0) return modules;
  ModelSpec standard = m;
  standard.hybrid_pattern.clear();
  standard.norms_per_layer = 2;
  standard.mtp_modules = 0;
  const double block_s = LayerComputeSeconds(lc);
  return block_s > 0 ? modules * LayerComputeSeconds(ComputeLayerCost(standard, c, p, o)) / block_s
                     : modules;
}

}  // namespace

double GemmEfficiency(const EfficiencySpec& e, double flops) {
  return e.gemm_max * flops / (flops + e.gemm_half_flops);
}

LayerCost ComputeLayerCost(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p,
                           const StepTimeOptions& o) {
  const MemoryOptions& mo = o.memory;
  const LayerGemms g = BuildLayerGemms(m, p, mo.flash_attention);
  LayerCost lc;
  const std::vector<double> matmuls = MatmulSeconds(c, p.dtype, m, g.linear);
  for (double s : matmuls) lc.linear_fwd_s += s;
  // Attention runs in 16-bit even under fp8 (Transformer Engine keeps it in bf16), as one kernel
  // (FlashAttention) or two batched GEMMs that write and read the s x s scores (Megatron 2022).
  const Dtype core_dtype = p.dtype == Dtype::kFp8 ? Dtype::kBf16 : p.dtype;
  // The Mamba scan's products, 16-bit batched kernels, backward twice their forward like a linear.
  for (int i = 0; i < g.n_ssd; ++i)
    lc.linear_fwd_s += g.ssd_share * GemmSeconds(c, core_dtype, g.ssd[i], true);
  if (g.core_share <= 0) {
    // No attention layer (a hybrid model of Mamba and MLP layers only).
  } else if (mo.flash_attention) {
    const double flops = g.core_scores.flops() + g.core_context.flops();
    double eff = 0;
    lc.core_fwd_s = g.core_share * flops /
                    (PeakFlops(c, core_dtype, flops, &eff) * eff * o.attention_efficiency *
                     c.efficiency.attention_fraction);
    lc.core_bwd_s = kFlashBackwardRatio * lc.core_fwd_s;
  } else {
    lc.core_fwd_s = g.core_share * (GemmSeconds(c, core_dtype, g.core_scores, true) +
                                    GemmSeconds(c, core_dtype, g.core_context, true));
    lc.core_bwd_s = 2 * lc.core_fwd_s;
  }
  const ElementwiseBytes eb = LayerElementwise(m, p, mo);
  lc.elementwise_fwd_s = HbmSeconds(c, eb.fwd);
  lc.elementwise_bwd_s = HbmSeconds(c, eb.bwd);
  if (p.dtype == Dtype::kFp8) {
    const Fp8Casts f = Fp8CastSeconds(c, g.linear, o.fp8_scaling);
    lc.elementwise_fwd_s += f.fwd_s;
    lc.elementwise_bwd_s += f.bwd_s;
    if (o.fp8_scaling == Fp8Scaling::kDynamic) {
      lc.elementwise_fwd_s += f.weight_s * 5 / 8;
      lc.elementwise_bwd_s += f.weight_s * 3 / 8;
    } else {
      lc.per_step_s += f.weight_s;
    }
  }
  lc.elementwise_s = lc.elementwise_fwd_s + lc.elementwise_bwd_s;
  lc.recompute_s = RecomputeSeconds(p, mo, lc, matmuls, HbmSeconds(c, eb.scores_fwd)) +
                   StackRecomputeSeconds(c, p, mo, g, eb);
  ParallelConfig stored = p;
  stored.recompute = Recompute::kNone;
  lc.act_bytes_no_recompute = LayerActivationBytes(m, stored, mo);
  lc.act_bytes = p.recompute == Recompute::kNone ? lc.act_bytes_no_recompute
                                                 : LayerActivationBytes(m, p, mo);
  if (m.lm_head) {  // [tokens, e] x [e, V/tp] on the last stage, then the loss
    const double tokens = static_cast<double>(m.seq_len) / p.cp * p.micro_batch;
    const double vocab = static_cast<double>(m.vocab_size) / p.tp;
    lc.head_fwd_s = GemmSeconds(c, p.dtype, {tokens, static_cast<double>(m.embed_dim()), vocab, 1});
    // Training-metric cross-entropies after the backward: each the eager loss's forward (upcast
    // read 2 + write 4, log_softmax read 4 + write 4).
    const double bytes = LossBytesPerLogit(mo.loss_kernels) + 14.0 * mo.train_metric_losses;
    lc.loss_s = HbmSeconds(c, bytes * tokens * vocab);
    lc.mtp_modules = static_cast<double>(m.mtp_modules);
    lc.mtp_layers = MtpLayers(m, c, p, o, lc);
    const double d = static_cast<double>(m.d_model);
    if (m.mtp_modules > 0)
      lc.mtp_projection_fwd_s = GemmSeconds(c, p.dtype, {tokens, 2 * d, d / p.tp, 1});
  }
  return lc;
}

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
  // DualPipe: a micro-batch's forward and backward (t.total()) and its weight-gradient GEMMs
  // (one forward's worth of the linear layers and head).
  r.bubble_s = p.schedule == Schedule::kDualPipe
                   ? DualPipeBubbleSeconds(p.pp, t.total(),
                                           layers * lc.linear_fwd_s + head * lc.last_bwd_weight_s())
                   : (p.pp - 1.0) * ChunkShare(p) * t.total();
  r.dp_comm_s = dp.per_step;
  r.dp_exposed_s = dp.exposed;
  r.optimizer_s = HbmSeconds(c, OptimizerParams(p, sp) * kOptimizerBytesPerParam);
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
  return microbatches * layers * LayerComputeSeconds(lc);
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
