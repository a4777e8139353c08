// The per-layer half of step_time.h: what one layer costs for one micro-batch on one GPU
// (ComputeLayerCost): its GEMMs at the efficiency curve (projections, MLPs and experts, a hybrid
// model's Mamba mixers, each sublayer at its share of the layers), the attention core, the
// memory-bound element-wise passes, fp8 casts, and what the recompute mode and the stack repeat.
// step_time.cc assembles layers, communication and the pipeline into a step.
#include <algorithm>
#include <vector>

#include "planner/core/flops.h"
#include "planner/core/memory.h"
#include "planner/core/moe_cost.h"
#include "planner/core/sparse_attention.h"
#include "planner/core/step_time.h"
#include "planner/core/units.h"

namespace planner {
namespace {

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
  if (dt == Dtype::kFp4) *eff *= c.efficiency.fp4_gemm_fraction;
  return c.gpu.peak(dt) * kFlopsPerTflop;
}

// Roofline of one GEMM kernel: `batched` products run as one kernel (bmm, attention), otherwise
// as `count` kernels.
double GemmSeconds(const ClusterSpec& c, Dtype dt, const Gemm& g, bool batched = false) {
  const double per_kernel = batched ? g.flops() : 2 * g.m * g.k * g.n;
  double eff = 0;
  const double peak = PeakFlops(c, dt, per_kernel, &eff);
  const double compute = per_kernel / (peak * eff);
  const double in_bytes = GemmOperandBytes(dt);
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
  // The routed experts' two GEMMs (up, down) in `linear`, from this index; -1: no MoE.
  int experts_begin = -1;
  // The attention core's share of the layers (a hybrid model's attention layers); the batched
  // kernels above are one attention layer's, so that their efficiency is the real kernel's.
  double core_share = 1;
  // A hybrid model's Mamba-2 scan (SSD's chunked products, flops.cc): n_ssd batched kernels of
  // one Mamba layer, counted at ssd_share of the layers.
  Gemm ssd[4] = {};
  int n_ssd = 0;
  double ssd_share = 0;
  // DeepSeek-V4's indexer scoring (one batched kernel of an indexed layer) at its share.
  Gemm index_scores = {};
  double index_share = 0;
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

// DeepSeek-V4's hybrid attention (see CsaSpec) as Megatron-Core runs it: the q latent, the shared
// key/value head, the compressors and the indexer replicated across TP (like MLA's
// down-projections), the q up-projection and the grouped output split by TP; the compressors and
// the indexer at the share of the layers that have them; the core over the mean keys per query.
void AddCsaGemms(const ModelSpec& m, const ParallelConfig& p, double tokens, LayerGemms* g) {
  const CsaSpec& a = m.csa;
  const double t = p.tp, d = m.d_model, q = m.q_dim(), D = m.head_dim, ql = a.q_lora_rank;
  const double layers = static_cast<double>(m.n_layers);
  const CsaLayerCounts n = CountCsaLayers(m, 0, m.n_layers);
  const double indexed = n.indexed / layers, compressed = n.compressed / layers;
  g->linear = {{tokens, d, ql, 1}, {tokens, ql, q / t, 1}, {tokens, d, D, 1}};
  g->q_up = 1;
  const double ih = a.index_n_heads, idim = a.index_head_dim;
  if (indexed > 0) {
    g->linear.push_back({tokens, d, 2 * D, 2 * indexed});     // keys and gate, 2 x head_dim
    g->linear.push_back({tokens, ql, ih * idim, indexed});    // indexer queries
    g->linear.push_back({tokens, d, ih, indexed});            // indexer head weights
    g->linear.push_back({tokens, d, 2 * idim, 2 * indexed});  // indexer compressor
    const double s = static_cast<double>(m.seq_len), keys = s / a.indexed_ratio();
    g->index_scores = {s / p.cp, idim, keys / 2, ih * p.micro_batch};  // causal: half the keys
    g->index_share = indexed;
  }
  if (compressed > 0) g->linear.push_back({tokens, d, D, 2 * compressed});
  g->linear.push_back({tokens, q / a.o_groups, static_cast<double>(a.o_lora_rank), a.o_groups / t});
  g->linear.push_back({tokens, a.o_groups * a.o_lora_rank / t, d, 1});
  const double keys = CsaMeanKeysPerQuery(m, static_cast<double>(m.seq_len), 0, m.n_layers);
  const double heads = m.n_heads / t, s_q = static_cast<double>(m.seq_len) / p.cp;
  g->core_scores = {s_q, D, keys, heads * p.micro_batch};
  g->core_context = {s_q, keys, D, heads * p.micro_batch};
}

// Keys a query attends to in the attention core, averaged over the attention layers: the whole
// sequence when the kernel computes every score (Megatron's unfused softmax); with a fused
// causal kernel, which skips masked blocks, half of it in a global layer and its window in a
// local one (Mistral's and gpt-oss's sliding windows, Llama 4's chunks).
double MeanKeysPerQuery(const ModelSpec& m, bool causal_fused) {
  const double T = static_cast<double>(m.seq_len);
  if (!causal_fused) return T;
  if (m.window.size == 0 || m.n_local_layers() == 0) return 0.5 * T;
  const double local = static_cast<double>(m.n_local_layers()) / m.n_layers;
  const auto pairs = [&](bool is_local) {
    return static_cast<double>(AttentionPairs(m.seq_len, m.window, is_local, true)) / T;
  };
  return local * pairs(true) + (1 - local) * pairs(false);
}

// The per-GPU GEMMs of one layer for one micro-batch: column-parallel projections split their
// output by tp, row-parallel ones their input; CP splits the queries; EP spreads experts.
LayerGemms BuildLayerGemms(const ModelSpec& m, const ParallelConfig& p, bool causal_half) {
  const double t = p.tp, tokens = static_cast<double>(m.seq_len) / p.cp * p.micro_batch;
  const double d = m.d_model, q = m.q_dim(), kv = std::max<double>(m.kv_dim() / t, m.head_dim);
  const double ff = m.d_ff, h = m.n_heads, v_dim = m.v_head_dim();
  LayerGemms g;
  if (m.is_csa()) {
    AddCsaGemms(m, p, tokens, &g);
  } else if (m.is_mla()) {
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
    g.experts_begin = static_cast<int>(g.linear.size());
    g.linear.push_back({expert_tokens, w, ffe / etp, mats * local_experts * moe_share});
    g.linear.push_back({expert_tokens, ffe / etp, w, local_experts * moe_share});
    if (m.moe.latent_size > 0) g.linear.push_back({tokens, w, d, moe_share});
    if (shared > 0) {  // shared experts run on every token, as one TP-split MLP
      g.linear.push_back({tokens, d, shared / t, mats * moe_share});
      g.linear.push_back({tokens, shared / t, d, moe_share});
    }
  }
  g.core_share = m.attention_share();
  if (m.is_csa()) return g;  // AddCsaGemms set the core
  const double heads = m.n_heads / t, s_q = static_cast<double>(m.seq_len) / p.cp;
  const double s_kv = MeanKeysPerQuery(m, causal_half);
  g.core_scores = {s_q, static_cast<double>(m.head_dim), s_kv, heads * p.micro_batch};
  g.core_context = {s_q, s_kv, v_dim, heads * p.micro_batch};
  return g;
}

// Element counts of one layer's activations on one GPU for one micro-batch.
struct LayerElements {
  double rep = 0;  // hidden states outside the TP region (split by tp only with SP)
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
  if (m.hyper_connections > 1) {
    // mHC around each sublayer: the map and the pre-mix read the n streams and write the
    // sublayer's input, the post-mix reads the streams and the sublayer's output and writes the
    // n streams: about (4n + 2) d elements of 2 bytes forward, twice that backward.
    const double n = static_cast<double>(m.hyper_connections);
    add(m.sublayers_per_layer() * e.rep, 2 * (4 * n + 2), 4 * (4 * n + 2));
  }
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

// fp8/fp4 GEMMs: the casts of each linear's input and output gradient (per micro-batch), and of
// its weight, q bytes per element written (GemmOperandBytes). Delayed scaling fuses cast and
// transpose (read 2, write q + q) and caches the weight's cast over the micro-batches of a step;
// dynamic scaling reads each tensor for its amax first, casts it (read 2, write q), and casts
// again transposed for backward (read 2, write q), weights every micro-batch. fp4 (NVFP4) runs
// through the same casts as the stack's fp8 recipe (Transformer Engine caches a weight's quantized
// copy over the micro-batches of a step for every recipe; the Hadamard transform of the weight-
// gradient operands is fused into the cast); what NVFP4 adds beyond is in fp4_gemm_fraction.
struct LowPrecisionCasts {
  double fwd_s = 0, bwd_s = 0, weight_s = 0;  // weight_s: per micro-batch (dynamic) or per step
};

LowPrecisionCasts CastSeconds(const ClusterSpec& c, const std::vector<Gemm>& linear, Fp8Scaling s,
                              double q) {
  double inputs = 0, outputs = 0, weights = 0;
  for (const Gemm& g : linear) {
    inputs += g.m * g.k * g.count;
    outputs += g.m * g.n * g.count;
    weights += g.k * g.n * g.count;
  }
  LowPrecisionCasts f;
  if (s == Fp8Scaling::kDelayed) {
    f.fwd_s = HbmSeconds(c, (2 + 2 * q) * inputs);
    f.bwd_s = HbmSeconds(c, (2 + 2 * q) * outputs);
    f.weight_s = HbmSeconds(c, (2 + 2 * q) * weights);
  } else {
    f.fwd_s = HbmSeconds(c, (4 + q) * inputs);
    f.bwd_s = HbmSeconds(c, (2 + q) * inputs + (6 + 2 * q) * outputs);
    f.weight_s = HbmSeconds(c, (6 + 2 * q) * weights);
  }
  return f;
}

// Bytes per logit the cross-entropy moves, forward + backward: Megatron's fused vocab-parallel
// loss upcasts once; eager PyTorch upcasts, runs a two-pass log-softmax and its backward in fp32;
// a compiled loss reads the 16-bit logits twice and writes the gradient once.
double LossBytesPerLogit(Kernels k) {
  switch (k) {
    case Kernels::kFused:
      return 28;
    case Kernels::kEager:
      return 40;
    case Kernels::kCompiled:
      return 8;
  }
  return 28;
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
    case Recompute::kNone:
      return 0;
    case Recompute::kFull:
      return lc.fwd_s();
    case Recompute::kSelective:
      break;
  }
  if (o.selective == SelectivePolicy::kAttentionCore) return lc.core_fwd_s + scores_fwd_s;
  double even = 0;  // torchtitan SAC recomputes the 2nd, 4th, ... matmul and all element-wise
  for (size_t i = 1; i < matmuls.size(); i += 2) even += matmuls[i];
  return even + lc.elementwise_fwd_s;
}

// What the stack recomputes beside the recompute mode, whose outputs the memory model then does
// not store (LayerActivations): norms, MLA's up-projections, the MLP activation, the whole MoE MLP
// (DeepSeek-V3 sec. 3.2.3; Megatron-Core's recompute_modules layernorm, mla_up_proj, moe_act,
// moe). Full recompute runs the whole forward again already.
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

// See LayerCost::mtp_layers. A hybrid model's MTP layer (Nemotron 3 Super's attention + MoE) is
// the model's layer without the pattern: its compute over the average block's.
double MtpLayers(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p,
                 const StepTimeOptions& o, const LayerCost& lc) {
  const double modules = static_cast<double>(m.mtp_run());
  if (!m.is_hybrid() || modules <= 0) return modules;
  ModelSpec standard = m;
  standard.hybrid_pattern.clear();
  standard.norms_per_layer = 2;
  standard.mtp_modules = 0;
  const double block_s = lc.compute_s();
  return block_s > 0 ? modules * ComputeLayerCost(standard, c, p, o).compute_s() / block_s
                     : modules;
}

// Muon orthogonalises each weight matrix X, [k, n] as this GPU holds it, with five Newton-Schulz
// iterations in 16 bit (Jordan et al. 2024; Megatron-Core's emerging optimizers): with
// a = min(k, n) and b = max(k, n), A = X X^T ([a,b]x[b,a]), B = c1 A + c2 A A ([a,a]x[a,a]),
// X = c0 X + B X ([a,a]x[a,b]): 5 (4 a^2 b + 2 a^3) FLOPs.
constexpr double kNewtonSchulzSteps = 5;

double NewtonSchulzSeconds(const ClusterSpec& c, const Gemm& w) {
  const double a = std::min(w.k, w.n), b = std::max(w.k, w.n);
  const double one = GemmSeconds(c, Dtype::kBf16, {a, b, a, 1}) +
                     GemmSeconds(c, Dtype::kBf16, {a, a, a, 1}) +
                     GemmSeconds(c, Dtype::kBf16, {a, a, b, 1});
  return kNewtonSchulzSteps * w.count * one;
}

void AddMuonSeconds(const ClusterSpec& c, const LayerGemms& g, LayerCost* lc) {
  for (int i = 0; i < static_cast<int>(g.linear.size()); ++i) {
    const bool expert = g.experts_begin >= 0 && (i == g.experts_begin || i == g.experts_begin + 1);
    (expert ? lc->muon_expert_s : lc->muon_dense_s) += NewtonSchulzSeconds(c, g.linear[i]);
  }
}

}  // namespace

double OffloadCopySeconds(const ClusterSpec& c, const LayerCost& lc) {
  return c.gpu.host_link_GBps > 0 ? lc.act_bytes / (c.gpu.host_link_GBps * kBytesPerGB) : 0;
}

void AddOffloadStalls(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p,
                      LayerCost* lc) {
  lc->offload_fwd_s = lc->offload_bwd_s = 0;
  if (p.offload_layers <= 0 || c.gpu.host_link_GBps <= 0) return;
  const double copy_s = OffloadCopySeconds(c, *lc);
  const double share = static_cast<double>(p.offload_layers) / m.n_layers;
  lc->offload_fwd_s = share * std::max(0.0, copy_s - lc->fwd_s());
  lc->offload_bwd_s = share * std::max(0.0, copy_s - lc->bwd_s());
}

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
  if (o.muon) AddMuonSeconds(c, g, &lc);
  // Attention runs in 16-bit even under fp8/fp4 (Transformer Engine keeps it in bf16), as one
  // kernel (FlashAttention) or two batched GEMMs that write and read the s x s scores (2022).
  const Dtype core_dtype = IsLowPrecision(p.dtype) ? Dtype::kBf16 : p.dtype;
  // The Mamba scan's products, 16-bit batched kernels, backward twice their forward like a linear.
  for (int i = 0; i < g.n_ssd; ++i)
    lc.linear_fwd_s += g.ssd_share * GemmSeconds(c, core_dtype, g.ssd[i], true);
  if (g.index_share > 0)
    lc.linear_fwd_s += g.index_share * GemmSeconds(c, core_dtype, g.index_scores, true);
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
  if (IsLowPrecision(p.dtype)) {
    const Fp8Scaling scaling = o.fp8_scaling;
    const double q = GemmOperandBytes(p.dtype);
    const LowPrecisionCasts f = CastSeconds(c, g.linear, scaling, q);
    lc.elementwise_fwd_s += f.fwd_s;
    lc.elementwise_bwd_s += f.bwd_s;
    if (scaling == Fp8Scaling::kDynamic) {  // the forward's cast of the weight, then backward's
      lc.elementwise_fwd_s += f.weight_s * (4 + q) / (6 + 2 * q);
      lc.elementwise_bwd_s += f.weight_s * (2 + q) / (6 + 2 * q);
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
  lc.act_bytes =
      p.recompute == Recompute::kNone ? lc.act_bytes_no_recompute : LayerActivationBytes(m, p, mo);
  AddOffloadStalls(m, c, p, &lc);
  if (m.lm_head) {  // [tokens, e] x [e, V/tp] on the last stage, then the loss
    const double tokens = static_cast<double>(m.seq_len) / p.cp * p.micro_batch;
    const double vocab = static_cast<double>(m.vocab_size) / p.tp;
    lc.head_fwd_s = GemmSeconds(c, p.dtype, {tokens, static_cast<double>(m.embed_dim()), vocab, 1});
    // Training-metric cross-entropies after the backward: each the eager loss's forward (upcast
    // read 2 + write 4, log_softmax read 4 + write 4).
    const double bytes = LossBytesPerLogit(mo.loss_kernels) + 14.0 * mo.train_metric_losses;
    lc.loss_s = HbmSeconds(c, bytes * tokens * vocab);
    lc.mtp_modules = static_cast<double>(m.mtp_run());
    lc.mtp_layers = MtpLayers(m, c, p, o, lc);
    const double d = static_cast<double>(m.d_model);
    if (m.mtp_run() > 0)
      lc.mtp_projection_fwd_s = GemmSeconds(c, p.dtype, {tokens, 2 * d, d / p.tp, 1});
  }
  return lc;
}

}  // namespace planner
