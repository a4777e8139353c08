// Per-GPU memory model for one layout: weights, gradients and optimizer states by dtype and ZeRO
// stage; activations per saved tensor (Korthikanti et al. 2022, generalised to GQA, gated MLPs,
// MoE and CP) with TP, SP, recompute and flash attention; pipeline in-flight micro-batches;
// embedding and logits on the first and last stage; named runtime overheads.
#ifndef PLANNER_CORE_MEMORY_H_
#define PLANNER_CORE_MEMORY_H_

#include <string>
#include <string_view>
#include <vector>

#include "planner/core/cluster_spec.h"
#include "planner/core/model_spec.h"
#include "planner/core/parallel_config.h"
#include "planner/core/params.h"

namespace planner {

// How the framework runs the element-wise work between GEMMs. It sets both the HBM traffic of
// that work and what autograd keeps for backward.
enum class Kernels {
  kFused,     // hand-fused kernels: Megatron (fused bias-GeLU, bias-dropout-add, scale-mask-
              // softmax, apex LayerNorm), Transformer Engine, or single native ops (LayerNorm)
  kEager,     // PyTorch eager composite ops: RMSNorm, RoPE, SwiGLU as several kernels each
  kCompiled,  // torch.compile: one generated kernel per fusion region
};

// What `Recompute::kSelective` recomputes.
enum class SelectivePolicy {
  kAttentionCore,    // Korthikanti 2022: QK^T, softmax, dropout, AV (Megatron)
  kEveryOtherMatmul,  // torchtitan op-level SAC: saves attention and every other matmul output,
                      // recomputes all else (norms, activations, RoPE, the other matmuls)
};

// What a software stack chooses to keep in memory: its stack file states these under the same
// names (StackSpec derives from this) and the memory model reads them (MemoryOptions does), so
// StackOptions copies them as one.
struct StackMemoryChoices {
  // ZeRO-3's gathered working set: 0, a layer and the prefetched next one (FSDP wraps layers);
  // else at most this many parameters (and at least the largest matrix in use) stay gathered,
  // as DeepSpeed gathers per module and releases beyond stage3_max_live_parameters.
  double zero3_max_live_params = 0;
  // Memory-saving choices a stack states (DeepSeek-V3 report sec. 3.2.3, 3.3.3; Megatron-Core's
  // recompute_modules layernorm, mla_up_proj, moe_act). Defaults keep what Megatron-style
  // training stores. What they recompute is priced beside the recompute mode's (layer_cost.cc).
  bool recompute_norms = false;           // RMSNorm/LayerNorm outputs recomputed from their inputs
  bool recompute_up_projections = false;  // MLA's q/k/v recomputed from the stored latents
  bool recompute_mlp_activation = false;  // SwiGLU/GeLU output recomputed from its inputs
  // The whole MoE MLP checkpointed (Megatron-Core's recompute_modules 'moe'): only its input kept,
  // its forward (router, dispatch, experts, shared experts, combine) run again in backward.
  bool recompute_moe = false;
  double mlp_cache_bytes = 2;             // per element of cached MLP GEMM inputs (fp8: 1)
  double attention_output_cache_bytes = 2;  // the output projection's input (E5M6: 1.5)
  // Sequence parallelism all-gathers the norm outputs before the QKV and MLP-up GEMMs. Megatron
  // keeps its sequence shard and gathers it again in backward (Korthikanti et al. 2022 sec.
  // 4.2.2); DTensor TP (torchtitan) redistributes the module input to Replicate and autograd
  // keeps that whole gathered tensor.
  bool sp_gathered_input_saved = false;
  // Cross-entropies the trainer runs again, without grad, on each micro-batch's logits after its
  // backward to update training metrics: Composer (llm-foundry) updates LanguageCrossEntropy and
  // LanguagePerplexity in _train_microbatch after loss.backward(), each an eager fp32
  // cross_entropy. Each costs the eager loss's forward (14 bytes per logit); the last peaks at
  // the bf16 logits, an fp32 copy and log_softmax's output (10 bytes per logit) once the
  // activations are freed.
  int train_metric_losses = 0;
  // Under fp8, that all-gather runs on the fp8 cast of the input (torchao's Float8ColwiseParallel
  // with tensorwise scaling): half the bytes on the wire, and 1 byte per element where it is kept.
  bool sp_all_gather_fp8 = false;
  // Under fp8, each linear layer keeps for its weight gradient the fp8 cast of its input, not the
  // 16-bit input: 1 byte per element of the QKV, output-projection, MLP up and down inputs (and
  // MLA/CSA's up-projection, Mamba's out_proj, the routed experts'). Transformer Engine's
  // Linear/LayerNormLinear/GroupedLinear save the quantized `inputmat` (columnwise usage only;
  // transformer_engine/pytorch/module/linear.py at d0067d0da, lines 598-621), so Megatron-Core
  // stores them so; torchao's Float8Linear keeps the 16-bit input (matmul_with_hp_or_float8_args
  // saves input_hp: torchtitan, false).
  bool fp8_saves_gemm_inputs = false;
  // With pipelining the last stage keeps every micro-batch's output, its 16-bit logits, until
  // the step ends: torch.distributed.pipelining's stage appends each forward's output to
  // output_chunks for the schedule to merge (torchtitan), where a loop over micro-batches frees
  // them before backward.
  bool pp_last_stage_keeps_outputs = false;
  // With pipelining a stage holds a receive buffer per micro-batch for its input (not on the
  // first stage) and for its output's gradient (not on the last), allocated when the schedule
  // starts, and each in-flight micro-batch's output until its backward: torch.distributed.
  // pipelining's _prepare_forward_infra / _prepare_backward_infra and fwd_cache (torchtitan).
  bool pp_microbatch_buffers = false;
};

struct MemoryOptions : StackMemoryChoices {
  bool flash_attention = true;  // no s^2 score matrix is stored (only the softmax statistics)
  bool dropout = false;         // Korthikanti's GPT runs used dropout; most LLMs today do not
  Kernels kernels = Kernels::kFused;
  Kernels loss_kernels = Kernels::kFused;  // the cross-entropy (torchtitan compiles only blocks)
  SelectivePolicy selective = SelectivePolicy::kAttentionCore;
  // Mixed-precision Adam: 16-bit weights, fp32 gradient accumulation (Megatron's main_grad,
  // FSDP's reduce dtype), fp32 master weights + Adam m and v: 2 + 4 + 12 bytes per parameter.
  double weight_bytes = 2;
  double grad_bytes = 4;
  double optimizer_bytes = 12;
  // Under ZeRO-3 the sharded weights and the optimizer states beside them: FSDP keeps fp32
  // shards (the master copy) and gathers 16-bit weights: 4 + 8 (Adam m, v); DeepSpeed 2 + 12.
  double zero3_weight_bytes = 2;
  double zero3_optimizer_bytes = 12;
  // Muon (StackSpec::optimizer): the bytes per parameter of the second moment the layers'
  // matrices do not keep (their one momentum in its place); 0 with AdamW.
  double muon_moment_bytes = 0;
  // FSDP's no_sync accumulation keeps full (unsharded) gradients between micro-batches.
  bool sharded_grads_unsharded_when_accumulating = false;
  // ZeRO-3 with pipelining keeps the stage's 16-bit weights gathered and accumulates unsharded
  // gradients (in grad_bytes) until the last micro-batch (torchtitan; stack field zero3_with_pp).
  bool zero3_pp_gathered = false;
  double cuda_context_GiB = 0.75;           // CUDA context, cuBLAS/cuDNN workspaces
  double comm_buffers_GiB = 0.5;       // NCCL channel buffers when any collective runs
  double fragmentation_fraction = 0.10;  // caching-allocator overhead on dynamic memory
};

// Whether a pipelined stage syncs its gradients once per step, at the last micro-batch, under
// the stack's zero3_with_pp: gathered policy (torch.distributed.pipelining): ZeRO-3 then keeps
// the stage's weights gathered, and ZeRO-2/3 accumulate unsharded gradients all step.
inline bool PipelineSyncsOncePerStep(const ParallelConfig& p, const MemoryOptions& o) {
  return p.pp > 1 && o.zero3_pp_gathered;
}

struct ActivationTensor {
  // A static name, e.g. "attention.q", "mlp.up_output": LayerActivations runs for every layer
  // cost the search prices, where building strings was a tenth of its time.
  std::string_view name;
  double bytes = 0;  // one layer, one micro-batch, this GPU
};

struct MemoryBreakdown {
  // Bytes on the most loaded GPU (the worse of the first and last pipeline stage).
  double weights = 0;
  double gradients = 0;
  double optimizer = 0;
  double activations = 0;         // stored for backward: in-flight micro-batches x layers
  double transient = 0;           // working set of the layer being recomputed / gathered
  double logits = 0;              // last stage: 16-bit logits + fp32 copy for the loss
  double pipeline_buffers =
      0;  // stage-boundary tensors held per micro-batch (pp_microbatch_buffers)
  double cuda_context = 0;
  double comm_buffers = 0;
  double fragmentation = 0;
  double total = 0;
  // CPU offloading: the offloaded layers' activations, in host memory (not in `total`).
  double host_offload = 0;
  // Muon: what its single momentum saves of `optimizer` against AdamW's two moments.
  double muon_saving = 0;

  // Explanation: per-layer tensors for one micro-batch, and how many layer-micro-batches are held.
  std::vector<ActivationTensor> layer_tensors;
  double layer_activation_bytes = 0;
  double inflight_layer_microbatches = 0;
  int stage = 0;  // 0 = first stage, pp-1 = last
};

// Parameters held by one GPU of a pipeline stage, split by how ZeRO shards them.
struct StageParams {
  double dense = 0;         // sharded over the dp*cp group
  double expert = 0;        // MoE experts: sharded over dp*cp/ep
  double layer_dense = 0;   // one layer's share of `dense` (what ZeRO-3 gathers per layer)
  double layer_expert = 0;
  double layer_tensors = 0;  // parameter tensors of a layer (ParamTensorsPerLayer)
  double total() const { return dense + expert; }
};
// The parameter count split the way pipeline stages and TP/EP shard it; computed once per model.
struct ParamSplit {
  double layer_dense = 0;   // one layer without its experts
  double layer_expert = 0;  // one layer's experts (all of them)
  double layer_tensors = 0;  // parameter tensors of a layer (ParamTensorsPerLayer)
  double vocab_table = 0;   // V x embed_dim: the token embedding, and the LM head
  double first_extra = 0;   // position/type tables, embedding norm and projection
  double last_extra = 0;    // final norm, LM-head bias, pooler
  double n_layers = 0;
  // The MTP modules, which run beside the LM head on the last stage (ModelSpec::mtp_run()):
  // their parameters without and with the routed experts, and their layers in activations (a
  // hybrid model's MTP layer, attention + MoE, as two of its one-block layers).
  double mtp_dense = 0;
  double mtp_expert = 0;
  double mtp_layers = 0;
  bool head = false;  // the model has an LM head
  bool tied = false;  // ... tied to the token embedding
};
ParamSplit SplitParams(const ModelSpec& m, const ParamCount& pc);

StageParams ParamsOnStage(const ParamSplit& s, const ParallelConfig& p, bool first, bool last);

// Activation bytes per layer for one micro-batch on one GPU, tensor by tensor.
std::vector<ActivationTensor> LayerActivations(const ModelSpec& m, const ParallelConfig& p,
                                               const MemoryOptions& o);

// Layers on pipeline stage `stage` (0 .. pp-1) as pipeline_stages.h splits them.
double LayersOnStage(int64_t n_layers, const ParallelConfig& p, int64_t stage);

// Layer-micro-batches of activations a stage (by default the first) holds at its peak.
double InflightLayerMicrobatches(const ModelSpec& m, const ParallelConfig& p, int64_t stage = 0);

// The stage-boundary tensors torch.distributed.pipelining holds on `stage` (0 .. pp-1) when
// o.pp_microbatch_buffers: B bytes each, the hidden state of one micro-batch (sequence-sharded
// under SP). Of the vpp chunks a rank runs, all but the pipeline's first hold an input buffer per
// micro-batch and all but its last a gradient buffer per micro-batch. An in-flight micro-batch's
// input is the first layer's saved input (counted with the activations) and its output is kept
// until backward, so the two cancel on middle stages; the first stage keeps outputs only, the
// last inputs only: (2 vpp - [first] - [last]) x micro-batches x B + ([first] - [last]) x
// in-flight x B. 0 without pipelining.
double PipelineBufferBytes(const ModelSpec& m, const ParallelConfig& p, const MemoryOptions& o,
                           int64_t stage);

// Sum of LayerActivations' bytes.
double LayerActivationBytes(const ModelSpec& m, const ParallelConfig& p, const MemoryOptions& o);

// Routed token copies one GPU holds in a MoE layer for one micro-batch, the routed experts' GEMM
// input (balanced routing: as many arrive as leave). An expert's etp ranks each hold all its
// tokens (its first GEMM is column-parallel), and the stage's tp*cp*dp ranks hold the tokens of
// dp*cp sequence shards: s*b*top_k*etp/tp per GPU. 0 for a dense model.
double RoutedCopiesPerGpu(const ModelSpec& m, const ParallelConfig& p);

// The breakdown from per-layer activation bytes (stored under p.recompute, and without
// recompute for the working set of full recompute); CostModel caches those per layer shape.
MemoryBreakdown AssembleMemory(const ModelSpec& m, const ParamSplit& split, const ParallelConfig& p,
                               const MemoryOptions& o, double layer_bytes,
                               double layer_bytes_no_recompute);
// Weights, gradients and optimizer states of one stage's GPU, with what the rest needs of it.
struct StageStates {
  double weights = 0, gradients = 0, optimizer = 0;
  double muon_saving = 0;      // of `optimizer`: Muon's single moment for the layers' matrices
  double inflight_layers = 0;  // layers whose activations the stage keeps per micro-batch
  double layer_params = 0;     // one layer's parameters (ZeRO-3 gathers it)
  double total() const { return weights + gradients + optimizer; }
};

// What AssembleMemory needs that does not depend on recompute, dtype or sp: the stages the peak
// may sit on (first, last, the fullest middle one) and their states. lower_bound_bytes (the
// fullest stage's states plus the fixed overheads) is at most the total: the search rejects a
// whole (layout, micro-batch) group as out of memory by it, and computes the states once for it.
struct MemoryStates {
  int count = 0;
  int stages[3] = {0, 0, 0};
  StageStates states[3];
  double lower_bound_bytes = 0;
};
MemoryStates ComputeMemoryStates(const ModelSpec& m, const ParamSplit& split,
                                 const ParallelConfig& p, const MemoryOptions& o);
MemoryBreakdown AssembleMemory(const ModelSpec& m, const MemoryStates& states,
                               const ParallelConfig& p, const MemoryOptions& o, double layer_bytes,
                               double layer_bytes_no_recompute);

// One-off estimate with the tensor-by-tensor explanation filled in.
MemoryBreakdown EstimateMemory(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p,
                               const MemoryOptions& o = {});

// Bytes the allocator can use on one GPU.
double UsableHbmBytes(const ClusterSpec& c);
// Whether the host memory holds what the layout offloads to it (gpu.host_GiB per GPU).
bool HostHoldsOffload(const MemoryBreakdown& m, const ClusterSpec& c);

}  // namespace planner

#endif  // PLANNER_CORE_MEMORY_H_
