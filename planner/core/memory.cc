#include "planner/core/memory.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "planner/core/params.h"
#include "planner/core/pipeline_stages.h"
#include "planner/core/sparse_attention.h"
#include "planner/core/units.h"

namespace planner {
namespace {

// At least as many tensors as LayerActivations lists, so that it allocates once.
constexpr size_t kMaxLayerTensors = 32;

void AddTensor(std::vector<ActivationTensor>* out, const char* name, double bytes) {
  if (bytes > 0) out->push_back({name, bytes});
}

// Bytes per logit at the loss's peak: the 16-bit logits and what the cross-entropy adds. Megatron's
// vocab-parallel loss keeps an fp32 copy and writes its gradient in place; a compiled loss fuses
// the upcast and keeps only the 16-bit logits and gradient. Eager PyTorch peaks in backward, not
// forward (2 + 4 + 4: logits, fp32 copy, log-softmax): log_softmax saves its fp32 output, and its
// backward holds that, nll_loss's dense fp32 gradient and its own fp32 result at once. On logits
// sharded over the vocabulary (tp > 1) eager PyTorch is DTensor's loss_parallel
// (torch/distributed/tensor/parallel/loss.py, torchtitan's default under TP), which decomposes
// the backward: `(grad_input + torch.exp(x)) * grad_output` with grad_input = zeros_like(x) holds
// the saved fp32 log-softmax, the zeros, the exp and the sum at once: 4 fp32 tensors. Its forward
// (bf16 logits, fp32 copy, shifted, exp: 14 bytes) stays below that.
double LogitBytesPerElement(Kernels k, int tp) {
  switch (k) {
    case Kernels::kFused: return 2 + 4;
    case Kernels::kEager: return tp > 1 ? 4 * 4 : 4 + 4 + 4;
    case Kernels::kCompiled: return 2 + 2;
  }
  return 6;
}

}  // namespace

ParamSplit SplitParams(const ModelSpec& m, const ParamCount& pc) {
  ParamSplit s;
  // Averages over the layers: dense and MoE layers (DeepSeek's first dense layers, Llama 4's
  // interleaving) differ, and a stage holds layers / pp of each on average.
  s.layer_expert = static_cast<double>(pc.routed_experts) / m.n_layers;
  s.layer_dense = static_cast<double>(pc.layers - pc.routed_experts) / m.n_layers;
  s.vocab_table = static_cast<double>(m.vocab_size) * m.embed_dim();
  for (const ParamEntry& e : pc.entries) {
    if (e.per_layer != 0 || e.name == "token_embedding" || e.name == "lm_head") continue;
    const bool at_end = e.name == "lm_head.bias" || e.name == "final_norm" || e.name == "pooler";
    (at_end ? s.last_extra : s.first_extra) += static_cast<double>(e.total);
  }
  s.layer_tensors = static_cast<double>(ParamTensorsPerLayer(m));
  s.n_layers = static_cast<double>(m.n_layers);
  if (m.mtp_run() > 0) {
    s.mtp_expert = static_cast<double>(pc.mtp_routed_experts);
    s.mtp_dense = static_cast<double>(pc.mtp) - s.mtp_expert;
    s.mtp_layers = static_cast<double>(m.mtp_run() * 2 / m.sublayers_per_layer());
  }
  s.head = m.lm_head;
  s.tied = m.tied_embeddings;
  return s;
}

namespace {

// Layers on a stage of a computed split; a layout that does not split (a caller that skipped
// CheckLayout) keeps the even share.
double LayersOf(const StageLayout& s, int64_t n_layers, int64_t stage) {
  return s.ok ? static_cast<double>(s.layers(stage)) : static_cast<double>(n_layers) / s.pp;
}

StageParams ParamsWithLayers(const ParamSplit& split, const ParallelConfig& p, bool first,
                             bool last, double layers) {
  StageParams s;
  s.layer_dense = split.layer_dense / p.tp;
  s.layer_expert = split.layer_expert / (p.expert_tp() * p.ep);
  s.layer_tensors = split.layer_tensors;
  s.dense = layers * s.layer_dense;
  s.expert = layers * s.layer_expert;
  const double vocab = split.vocab_table / p.tp;  // vocab-parallel embedding and head
  if (first) s.dense += vocab + split.first_extra;
  if (last) {
    s.dense += split.last_extra + split.mtp_dense / p.tp;
    s.expert += split.mtp_expert / (p.expert_tp() * p.ep);
  }
  // The last stage runs the head: its own table if untied, else (with pp > 1) Megatron keeps a
  // copy of the tied embedding there.
  if (last && split.head && (!split.tied || !first)) s.dense += vocab;
  return s;
}

// ZeRO-3 gathers one layer's 16-bit weights and prefetches the next; the layer's unsharded
// gradient waits for the reduce-scatter in the gradient dtype. Capped by
// o.zero3_max_live_params (DeepSpeed), which cannot release the largest matrix in use: the MLP's
// up projection (gate and up fused where gated), d_model x d_ff per tp rank.
double Zero3WorkingSetBytes(const ModelSpec& m, const ParallelConfig& p, const MemoryOptions& o,
                            double layer_params) {
  double weights = 2 * layer_params, grads = layer_params;
  if (o.zero3_max_live_params > 0) {
    const double largest = static_cast<double>(m.d_model) * static_cast<double>(m.d_ff) *
                           (m.gated_mlp() ? 2 : 1) / static_cast<double>(p.tp);
    const double live = std::max(o.zero3_max_live_params, largest);
    weights = std::min(weights, live);
    grads = std::min(grads, live);
  }
  return 2 * weights + o.grad_bytes * grads;
}

double InflightOnStage(const ParallelConfig& p, int64_t stage, double layers) {
  const double microbatches = static_cast<double>(p.grad_accum());
  // CPU offloading (pp 1 only): the offloaded layers' activations sit in host memory but for the
  // layer in transit.
  if (p.pp == 1) return layers - std::max<double>(0, static_cast<double>(p.offload_layers) - 1);
  if (p.schedule == Schedule::kGPipe) return layers * microbatches;
  // DualPipe (DeepSeek-V3 Table 2): pp + 1 micro-batches on every rank (`layers`: the mean of
  // its two stages').
  if (p.schedule == Schedule::kDualPipe) return layers * std::min(p.pp + 1.0, microbatches);
  // 1F1B: stage s runs pp - s forwards before its first backward.
  const double ahead = static_cast<double>(p.pp - stage);
  double inflight = std::min(ahead, microbatches);
  // Interleaved 1F1B (Korthikanti sec. 4.2.3): the first stage holds (1 + (p-1)/(p v)) times more;
  // stage s the same factor over its pp - s, which leaves the last stage at one micro-batch.
  if (p.vpp > 1) inflight *= 1 + (ahead - 1) / (ahead * p.vpp);
  return layers * inflight;
}

}  // namespace

// (2 vpp - [first] - [last]) x micro-batches x B + ([first] - [last]) x in-flight x B: see
// memory.h.
double PipelineBufferBytes(const ModelSpec& m, const ParallelConfig& p, const MemoryOptions& o,
                           int64_t stage) {
  if (!o.pp_microbatch_buffers || p.pp <= 1) return 0;
  const double rep = p.sp ? 1.0 / static_cast<double>(p.tp) : 1.0;
  const double boundary = 2.0 * static_cast<double>(m.seq_len) / static_cast<double>(p.cp) *
                          static_cast<double>(p.micro_batch) * static_cast<double>(m.d_model) * rep;
  const double first = stage == 0 ? 1 : 0, last = stage == p.pp - 1 ? 1 : 0;
  const double microbatches = static_cast<double>(p.grad_accum());
  const double buffers = (2.0 * static_cast<double>(p.vpp) - first - last) * microbatches +
                         (first - last) * InflightOnStage(p, stage, 1.0);
  return boundary * buffers;
}

StageParams ParamsOnStage(const ParamSplit& split, const ParallelConfig& p, bool first,
                          bool last) {
  const auto n_layers = static_cast<int64_t>(split.n_layers);
  const double layers = LayersOf(StageLayers(n_layers, p), n_layers,
                                 first ? 0 : last ? p.pp - 1 : 1);
  return ParamsWithLayers(split, p, first, last, layers);
}

// torchtitan's op-level SAC: the layer input (the checkpoint's), the attention output with its
// softmax statistics, and the outputs of the layer's 1st, 3rd, 5th... matmul; all else (norms,
// RoPE, activations, the other matmuls) is recomputed in backward.
std::vector<ActivationTensor> EveryOtherMatmulActivations(const ModelSpec& m,
                                                          const ParallelConfig& p) {
  const double s = static_cast<double>(m.seq_len) / p.cp, b = p.micro_batch, h = m.d_model;
  const double t = p.tp, rep = p.sp ? 1 / t : 1, kv = std::max<double>(m.kv_dim() / t, m.head_dim);
  const double ff = m.mlp_width_per_token() / t;
  std::vector<ActivationTensor> out;
  out.reserve(kMaxLayerTensors);
  AddTensor(&out, "layer_input (checkpoint)", 2 * s * b * h * rep);
  AddTensor(&out, "attention.output", 2 * s * b * m.q_dim() / t);
  AddTensor(&out, "attention.softmax_stats (fp32)", 4 * m.n_heads * s * b / t);
  // Forward order of the matmuls (torchtitan: w1 = gate, then w3 = up, then w2 = down).
  std::vector<std::pair<const char*, double>> mm = {
      {"attention.q", m.q_dim() / t}, {"attention.k", kv}, {"attention.v", kv},
      {"attention.o", h * rep}};
  if (m.gated_mlp()) mm.push_back({"mlp.gate_output", ff});
  mm.push_back({"mlp.up_output", ff});
  mm.push_back({"mlp.down_output", h * rep});
  for (size_t i = 0; i < mm.size(); i += 2) AddTensor(&out, mm[i].first, 2 * s * b * mm[i].second);
  return out;
}

// Extra tensors autograd keeps when PyTorch runs RMSNorm and SwiGLU as composite eager ops: the
// fp32 upcast of the norm input (x.float() feeds pow and mul, which save it) and the SiLU output.
// RoPE as a complex multiply keeps no fp32 copy: autograd saves a mul's `self` only when `other`
// requires grad (generated `should_compute_output` guards), and freqs_cis does not.
void AddEagerExtras(const ModelSpec& m, const ParallelConfig& p,
                    std::vector<ActivationTensor>* out) {
  const double s = static_cast<double>(m.seq_len) / p.cp, b = p.micro_batch, t = p.tp;
  const double rep = p.sp ? 1 / t : 1;
  if (m.norm == NormKind::kRmsNorm) {
    AddTensor(out, "norms.fp32_upcast (eager)", m.norms_per_layer * 4 * s * b * m.d_model * rep);
  }
  if (m.gated_mlp()) {
    AddTensor(out, "mlp.activation_output (eager)", 2 * s * b * m.mlp_width_per_token() / t);
  }
}

// MLA's low-rank latents: the query latent and the key-value latent with the shared RoPE key
// (the q_a and kv_a outputs, inputs of their norms), then the normed latents that feed the
// up-projections unless norms are recomputed.
void AddMlaLatents(const ModelSpec& m, const ParallelConfig& p, const MemoryOptions& o,
                   double gemm_in, std::vector<ActivationTensor>* out) {
  const double s = static_cast<double>(m.seq_len) / p.cp, b = p.micro_batch;
  const double ql = m.mla.q_lora_rank, kvl = m.mla.kv_lora_rank;
  AddTensor(out, "attention.q_latent", 2 * s * b * ql);
  AddTensor(out, "attention.kv_latent_rope_key", 2 * s * b * (kvl + m.mla.qk_rope_head_dim));
  if (o.recompute_norms) return;
  AddTensor(out, "attention.q_latent_normed", gemm_in * s * b * ql);
  AddTensor(out, "attention.kv_latent_normed", gemm_in * s * b * kvl);
}

namespace {

// DeepSeek-V4's hybrid attention (see CsaSpec) beside q, the shared key/value head and the
// context: the query latent (normed too unless norms are recomputed), the grouped output's latent
// and, in the indexed layers (their share), the indexer's queries and its top-k key indices
// (int32). The compressed keys (1/m of the tokens) are left out.
void AddCsaTensors(const ModelSpec& m, const ParallelConfig& p, const MemoryOptions& o,
                   double gemm_in, std::vector<ActivationTensor>* out) {
  const double s = static_cast<double>(m.seq_len) / p.cp, b = p.micro_batch, t = p.tp;
  const CsaSpec& a = m.csa;
  AddTensor(out, "attention.q_latent", 2 * s * b * a.q_lora_rank);
  if (!o.recompute_norms) {
    AddTensor(out, "attention.q_latent_normed", gemm_in * s * b * a.q_lora_rank);
  }
  AddTensor(out, "attention.o_latent", gemm_in * s * b * a.o_groups * a.o_lora_rank / t);
  const double indexed = static_cast<double>(CountCsaLayers(m, 0, m.n_layers).indexed) / m.n_layers;
  AddTensor(out, "attention.indexer_q", indexed * 2 * s * b * a.index_n_heads * a.index_head_dim);
  AddTensor(out, "attention.indexer_topk (int32)", indexed * 4 * s * b * a.index_topk);
}

// A Mamba-2 mixer's saved tensors at the Mamba layers' share (see MambaSpec): its input and the
// in_proj's, in_proj's output (z, x, B, C, dt), the conv1d's activated output (x, B, C), the
// scan's output y and the gated norm's (out_proj's input). The chunk states are recomputed in
// backward (mamba_ssm's MambaChunkScanCombinedFn saves out, x, dt, B, C, z, not the states).
void AddMambaTensors(const ModelSpec& m, const ParallelConfig& p, double norm_out, double gemm_in,
                     std::vector<ActivationTensor>* out) {
  const double s = static_cast<double>(m.seq_len) / p.cp, b = p.micro_batch, t = p.tp;
  const double share = m.mamba_share(), rep = p.sp ? 1 / t : 1;
  const MambaSpec& mb = m.mamba;
  AddTensor(out, "mamba.norm_input", share * 2 * s * b * m.d_model * rep);
  AddTensor(out, "mamba.in_proj_input", share * norm_out);
  AddTensor(out, "mamba.in_proj_output", share * 2 * s * b * mb.in_proj_width() / t);
  AddTensor(out, "mamba.conv_output", share * 2 * s * b * mb.conv_channels() / t);
  AddTensor(out, "mamba.scan_output", share * 2 * s * b * mb.d_inner() / t);
  AddTensor(out, "mamba.out_proj_input", share * gemm_in * s * b * mb.d_inner() / t);
}

}  // namespace

std::vector<ActivationTensor> LayerActivations(const ModelSpec& m, const ParallelConfig& p,
                                               const MemoryOptions& o) {
  const double s = static_cast<double>(m.seq_len) / p.cp, b = p.micro_batch, h = m.d_model;
  const double t = p.tp, a = m.n_heads, sbh = s * b * h;
  const double q = m.q_dim(), kv = std::max<double>(m.kv_dim() / t, m.head_dim) * t;
  // The MLP's hidden width per token: top_k routed and the shared experts in MoE layers.
  const double ff = m.mlp_width_per_token();
  // Tensors outside the TP region are replicated across TP ranks unless SP splits them.
  const double rep = p.sp ? 1 / t : 1;
  std::vector<ActivationTensor> out;
  out.reserve(kMaxLayerTensors);
  if (p.recompute == Recompute::kFull) {
    // The layer's input: with mHC, its n streams.
    AddTensor(&out, "layer_input (full recompute)", 2 * sbh * rep * m.hyper_connections);
    return out;
  }
  if (p.recompute == Recompute::kSelective && o.selective == SelectivePolicy::kEveryOtherMatmul) {
    return EveryOtherMatmulActivations(m, p);
  }
  // Norm outputs are the next GEMM's input; a stack that recomputes norms keeps only their input.
  // Under SP the GEMM's input is the all-gathered norm output: Megatron keeps the shard, DTensor
  // the whole gathered tensor (MemoryOptions::sp_gathered_input_saved).
  const bool gathered = p.sp && p.tp > 1 && o.sp_gathered_input_saved;
  const double gathered_bytes = p.dtype == Dtype::kFp8 && o.sp_all_gather_fp8 ? 1 : 2;
  // Bytes per element of a linear layer's input kept for its weight gradient (its quantized copy
  // where the stack keeps that: fp8 1, NVFP4 0.5625).
  const double gemm_in =
      IsLowPrecision(p.dtype) && o.fp8_saves_gemm_inputs ? GemmOperandBytes(p.dtype) : 2;
  const double norm_out = o.recompute_norms ? 0
                          : gathered        ? gathered_bytes * sbh
                                            : gemm_in * sbh * rep;
  // A hybrid model's average layer: each sublayer's tensors at its share of the layers (`ff`
  // already averages the MLPs).
  const double as = m.attention_share();
  const double ms = m.mlp_share();
  if (m.n_mamba_layers() > 0) AddMambaTensors(m, p, norm_out, gemm_in, &out);
  AddTensor(&out, "attention.norm_input", as * 2 * sbh * rep);
  AddTensor(&out, "attention.qkv_input", as * norm_out);
  if (m.is_mla()) AddMlaLatents(m, p, o, gemm_in, &out);
  if (m.is_csa()) AddCsaTensors(m, p, o, gemm_in, &out);
  if (m.hyper_connections > 1) {  // mHC: each sublayer's n-stream input, n - 1 more than a residual
    AddTensor(&out, "hyper_connections.streams",
              m.sublayers_per_layer() * 2 * sbh * rep * (m.hyper_connections - 1));
  }
  // MLA's values and attention output are H x v_head_dim wide (q and k: H x head_dim).
  const double v_ratio = static_cast<double>(m.v_head_dim()) / m.head_dim;
  const bool up_recomputed = (m.is_mla() || m.is_csa()) && o.recompute_up_projections;
  if (!up_recomputed) AddTensor(&out, "attention.q", as * 2 * s * b * q / t);
  if (m.is_csa()) {  // one key/value head: the key is the value
    AddTensor(&out, "attention.kv", 2 * s * b * m.head_dim);
  } else if (!up_recomputed) {
    AddTensor(&out, "attention.k", as * 2 * s * b * kv / t);
    AddTensor(&out, "attention.v", as * 2 * s * b * kv * v_ratio / t);
  }
  const bool keep_scores = !o.flash_attention && p.recompute == Recompute::kNone;
  if (keep_scores) {
    // Softmax output and, with dropout, its mask (1 byte) and output; the key length is the
    // full sequence even under CP (each rank attends its queries to all keys).
    const double scores = as * a * s * (s * p.cp) * b / t;
    AddTensor(&out, "attention.softmax", 2 * scores);
    if (o.dropout) AddTensor(&out, "attention.dropout_mask", scores);
    if (o.dropout) AddTensor(&out, "attention.dropout_output", 2 * scores);
  } else if (o.flash_attention) {
    AddTensor(&out, "attention.softmax_stats (fp32)", as * 4 * a * s * b / t);
  }
  AddTensor(&out, "attention.context",
            as * std::min(o.attention_output_cache_bytes, gemm_in) * s * b * q * v_ratio / t);
  if (o.dropout) AddTensor(&out, "attention.output_dropout_mask", as * sbh * rep);
  AddTensor(&out, "mlp.norm_input", ms * 2 * sbh * rep);
  AddTensor(&out, "mlp.input", ms * norm_out);
  // A stack that checkpoints the MoE MLP keeps only its input (mlp.input): of the MLP tensors
  // the dense layers' stay.
  const bool moe_kept = m.is_moe() && !o.recompute_moe;
  const double mlp_ff = m.is_moe() && o.recompute_moe ? m.dense_mlp_share() * m.d_ff : ff;
  if (moe_kept) {
    // The dispatched copies of each token, kept for the experts' weight gradient. Like the
    // router's, counted for every layer: the fullest stages are all MoE (in a hybrid model its
    // MoE layers are spread along the pattern: their share).
    const double es = m.is_hybrid() ? m.moe_share() : 1;
    AddTensor(&out, "moe.router_logits (fp32)", es * 4 * s * b * m.moe.n_experts);
    const double w = static_cast<double>(m.routed_width());
    AddTensor(&out, "moe.routed_inputs",
              es * std::min(o.mlp_cache_bytes, gemm_in) * RoutedCopiesPerGpu(m, p) * w);
    // LatentMoE: the combined latent tokens, the up-projection's input.
    if (m.moe.latent_size > 0) AddTensor(&out, "moe.latent_combined", es * 2 * s * b * w);
  }
  AddTensor(&out, "mlp.up_output", o.mlp_cache_bytes * s * b * mlp_ff / t);
  if (m.gated_mlp()) AddTensor(&out, "mlp.gate_output", o.mlp_cache_bytes * s * b * mlp_ff / t);
  if (!o.recompute_mlp_activation) {
    AddTensor(&out, "mlp.down_input", gemm_in * s * b * mlp_ff / t);
  }
  if (o.dropout) AddTensor(&out, "mlp.dropout_mask", ms * sbh * rep);
  if (o.kernels == Kernels::kEager) AddEagerExtras(m, p, &out);
  return out;
}

double LayersOnStage(int64_t n_layers, const ParallelConfig& p, int64_t stage) {
  return LayersOf(StageLayers(n_layers, p), n_layers, stage);
}

double InflightLayerMicrobatches(const ModelSpec& m, const ParallelConfig& p, int64_t stage) {
  return InflightOnStage(p, stage, LayersOnStage(m.n_layers, p, stage));
}

double UsableHbmBytes(const ClusterSpec& c) {
  return GiBToBytes(c.gpu.hbm_GiB) * c.usable_hbm_fraction;
}

bool HostHoldsOffload(const MemoryBreakdown& m, const ClusterSpec& c) {
  return m.host_offload <= GiBToBytes(c.gpu.host_GiB);
}

double RoutedCopiesPerGpu(const ModelSpec& m, const ParallelConfig& p) {
  if (!m.is_moe()) return 0;
  const double tokens = static_cast<double>(m.seq_len) / p.cp * p.micro_batch;
  return tokens * m.moe.top_k * static_cast<double>(p.expert_tp()) / p.tp;
}

double LayerActivationBytes(const ModelSpec& m, const ParallelConfig& p, const MemoryOptions& o) {
  double bytes = 0;
  for (const ActivationTensor& t : LayerActivations(m, p, o)) bytes += t.bytes;
  return bytes;
}

namespace {

// The stages a GPU's peak may sit on: the first holds the most micro-batches in flight and the
// embedding, the last the LM head and logits; with uneven stages the second (the fullest middle
// stage) may hold more.
int CandidateStages(const ParallelConfig& p, const StageLayout& layout, int out[3]) {
  out[0] = 0;
  if (p.pp == 1) return 1;
  out[1] = static_cast<int>(p.pp - 1);
  out[2] = 1;
  return p.pp > 2 && !layout.even() ? 3 : 2;
}

// The layers' parameters whose optimizer states this GPU holds: ZeRO >= 1 shards them as it shards
// the rest (the routed experts over the expert data-parallel group).
double LayerOptimizerParams(const StageParams& sp, const ParallelConfig& p, double layers) {
  return layers * p.OptimizerShare(sp.layer_dense, sp.layer_expert);
}

StageStates StatesOnStage(const ModelSpec& m, const ParamSplit& split, const ParallelConfig& p,
                          const MemoryOptions& o, const StageLayout& layout, int stage) {
  const double shard = static_cast<double>(p.zero_shard());
  const double expert_shard = p.expert_dp();
  const bool first = stage == 0, last = stage == p.pp - 1;
  const double layers = LayersOf(layout, m.n_layers, stage);
  const StageParams sp = ParamsWithLayers(split, p, first, last, layers);
  double params = sp.total();
  double sharded = sp.dense / shard + sp.expert / expert_shard;
  StageStates r;
  r.inflight_layers = layers + (last ? split.mtp_layers : 0);
  r.layer_params = sp.layer_dense + sp.layer_expert;
  double layer_optimizer_params = LayerOptimizerParams(sp, p, layers);
  if (p.schedule == Schedule::kDualPipe && p.pp > 1) {
    // DualPipe: the rank also holds stage pp - 1 - s of the other direction, with its
    // parameters, gradients and optimizer states (DeepSeek-V3 Table 2: parameters 2x).
    const int64_t mirror = p.pp - 1 - stage;
    const bool mirror_last = mirror == p.pp - 1;
    const double mirror_layers = LayersOf(layout, m.n_layers, mirror);
    const StageParams mp = ParamsWithLayers(split, p, mirror == 0, mirror_last, mirror_layers);
    params += mp.total();
    sharded += mp.dense / shard + mp.expert / expert_shard;
    layer_optimizer_params += LayerOptimizerParams(mp, p, mirror_layers);
    r.inflight_layers =
        (r.inflight_layers + mirror_layers + (mirror_last ? split.mtp_layers : 0)) / 2;
  }
  r.weights = p.zero >= 3 ? o.zero3_weight_bytes * sharded : o.weight_bytes * params;
  const bool gathered = p.zero >= 3 && PipelineSyncsOncePerStep(p, o);
  if (gathered) r.weights += o.weight_bytes * params;  // the stage's gathered 16-bit copy
  // Under the same policy ZeRO-2 (FSDP without resharding after forward) also skips gradient
  // sync until the last micro-batch: the stage's gradients are unsharded all step.
  const bool pp_accumulating = p.zero >= 2 && PipelineSyncsOncePerStep(p, o);
  const bool accumulating = p.grad_accum() > 1 && o.sharded_grads_unsharded_when_accumulating;
  r.gradients =
      o.grad_bytes * (p.zero >= 2 && !accumulating && !pp_accumulating ? sharded : params);
  r.optimizer = p.zero >= 3 ? o.zero3_optimizer_bytes * sharded
                            : o.optimizer_bytes * (p.zero >= 1 ? sharded : params);
  r.muon_saving = o.muon_moment_bytes * layer_optimizer_params;
  r.optimizer -= r.muon_saving;
  return r;
}

double OverheadBytes(const ParallelConfig& p, const MemoryOptions& o) {
  return GiBToBytes(o.cuda_context_GiB) + (p.gpus() > 1 ? GiBToBytes(o.comm_buffers_GiB) : 0);
}

}  // namespace

MemoryStates ComputeMemoryStates(const ModelSpec& m, const ParamSplit& split,
                                 const ParallelConfig& p, const MemoryOptions& o) {
  const StageLayout layout = StageLayers(m.n_layers, p);
  MemoryStates r;
  r.count = CandidateStages(p, layout, r.stages);
  double most = 0;
  for (int i = 0; i < r.count; ++i) {
    r.states[i] = StatesOnStage(m, split, p, o, layout, r.stages[i]);
    most = std::max(most, r.states[i].total());
  }
  r.lower_bound_bytes = most + OverheadBytes(p, o);
  return r;
}

MemoryBreakdown AssembleMemory(const ModelSpec& m, const ParamSplit& split, const ParallelConfig& p,
                               const MemoryOptions& o, double layer_bytes,
                               double layer_bytes_no_recompute) {
  return AssembleMemory(m, ComputeMemoryStates(m, split, p, o), p, o, layer_bytes,
                        layer_bytes_no_recompute);
}

MemoryBreakdown AssembleMemory(const ModelSpec& m, const MemoryStates& states,
                               const ParallelConfig& p, const MemoryOptions& o, double layer_bytes,
                               double layer_bytes_no_recompute) {
  MemoryBreakdown best;
  for (int i = 0; i < states.count; ++i) {
    const int stage = states.stages[i];
    const StageStates& st = states.states[i];
    MemoryBreakdown r;
    r.stage = stage;
    r.weights = st.weights;
    r.gradients = st.gradients;
    r.optimizer = st.optimizer;
    r.muon_saving = st.muon_saving;
    r.layer_activation_bytes = layer_bytes;
    r.inflight_layer_microbatches = InflightOnStage(p, stage, st.inflight_layers);
    r.activations = layer_bytes * r.inflight_layer_microbatches;
    // Offloading runs without pipelining: one micro-batch's layers at a time.
    if (p.pp == 1) r.host_offload = layer_bytes * static_cast<double>(p.offload_layers);
    // Backward of a recomputed layer needs that layer's full activations once (what selective
    // recompute left out of the store, for op-level SAC).
    if (p.recompute == Recompute::kFull) r.transient += layer_bytes_no_recompute;
    if (p.recompute == Recompute::kSelective && o.selective == SelectivePolicy::kEveryOtherMatmul) {
      r.transient += std::max(0.0, layer_bytes_no_recompute - layer_bytes);
    }
    const bool gathered = p.zero >= 3 && PipelineSyncsOncePerStep(p, o);
    if (p.zero >= 3 && !gathered) r.transient += Zero3WorkingSetBytes(m, p, o, st.layer_params);
    if (stage == p.pp - 1 && m.lm_head) {
      const double tokens = static_cast<double>(m.seq_len) / p.cp * p.micro_batch;
      const double logits = tokens * m.vocab_size / p.tp;
      r.logits = LogitBytesPerElement(o.loss_kernels, p.tp) * logits;
      if (o.train_metric_losses > 0) {
        // After the backward (activations and working sets freed): the 16-bit logits, an fp32
        // copy and log_softmax's fp32 output of a training-metric cross-entropy.
        const double metric_peak = (2 + 4 + 4) * logits;
        r.logits = std::max(r.logits, metric_peak - r.activations - r.transient);
      }
      // The 16-bit logits of the other micro-batches, and of the current one where the loss peak
      // counts them freed before its backward (eager: a loop over micro-batches frees them).
      if (p.pp > 1 && o.pp_last_stage_keeps_outputs) {
        const int64_t kept = p.grad_accum() - (o.loss_kernels == Kernels::kEager ? 0 : 1);
        r.logits += 2.0 * static_cast<double>(kept) * logits;
      }
    }
    r.pipeline_buffers = PipelineBufferBytes(m, p, o, stage);
    r.cuda_context = GiBToBytes(o.cuda_context_GiB);
    r.comm_buffers = p.gpus() > 1 ? GiBToBytes(o.comm_buffers_GiB) : 0;
    r.fragmentation = o.fragmentation_fraction * (r.activations + r.transient + r.logits);
    r.total = r.weights + r.gradients + r.optimizer + r.activations + r.transient + r.logits +
              r.pipeline_buffers + r.cuda_context + r.comm_buffers + r.fragmentation;
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
