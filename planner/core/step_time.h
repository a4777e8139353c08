// Analytic step time of one layout: roofline compute per matmul with a GEMM-efficiency curve,
// memory-bound element-wise work, TP/SP, CP, EP and PP communication, the pipeline bubble
// (p-1)/(m v), and DP/ZeRO communication overlapped with backward. step = compute + exposed
// communication + bubble + optimizer.
#ifndef PLANNER_CORE_STEP_TIME_H_
#define PLANNER_CORE_STEP_TIME_H_

#include <string>

#include "planner/core/cluster_spec.h"
#include "planner/core/memory.h"
#include "planner/core/model_spec.h"
#include "planner/core/parallel_config.h"

namespace planner {

// How fp8 GEMM inputs get their scale (dtype kFp8). Transformer Engine's delayed scaling takes it
// from an amax history and fuses the cast with the transpose backward needs; torchao's dynamic
// scaling first reads each tensor for its amax, then casts it, and transposes separately.
enum class Fp8Scaling { kDelayed, kDynamic };

struct StepTimeOptions {
  bool overlap_dp = true;   // bucketed gradient reduction overlaps the last backward
  bool overlap_cp = true;   // ring K/V exchange overlaps attention compute
  bool cp_all_to_all = false;  // CP by all-to-alls around attention (Ulysses), not a ring
  bool overlap_pp = false;  // p2p sends overlap compute (Megatron's 1F1B waits on them)
  // Megatron-LM since late 2021 (and Transformer Engine) runs the backward TP collective of a
  // column-parallel linear (all-reduce, or reduce-scatter with SP) while the weight-gradient GEMM
  // runs; Megatron 2021 (SC21) waited for it.
  bool overlap_tp_backward = true;
  // Transformer Engine's userbuffers (Megatron-Core --tp-comm-overlap, NeMo's recipes) split the
  // forward all-gather / reduce-scatter of SP into tp chunks pipelined with the GEMM beside it.
  bool overlap_tp_forward = false;
  // The distributed optimizer's parameter all-gather after the step runs beside the next
  // step's first forward (Megatron-Core --overlap-param-gather); otherwise it is exposed.
  bool overlap_param_gather = false;
  bool zero3_prefetch = true;  // ZeRO-3/FSDP gathers the next layer while this one computes
  // ZeRO-3's calls per layer and pass: one, or one per parameter tensor; host seconds each call
  // costs per rank of the shard group; a third gather of each layer for full recompute's forward
  // (stack_spec.h, Zero3Collectives and the fields beside it).
  bool zero3_per_tensor = false;
  double zero3_host_s_per_rank = 0;
  bool zero3_recompute_regathers = false;
  bool zero3_list_copies = false;  // list-based collectives copy the bytes once more in HBM
  // ZeRO-2 with gradient accumulation reduce-scatters after every micro-batch (DeepSpeed, FSDP
  // SHARD_GRAD_OP) instead of once per step.
  bool zero2_reduce_per_microbatch = true;
  double grad_comm_bytes = 4;  // fp32 gradients on the wire (Megatron main_grad, FSDP fp32 reduce)
  // A bf16 layout under ZeRO 0-1 all-reduces fp32 gradients (DeepSpeed's BF16_Optimizer,
  // stack_spec.h Bf16GradReduce) instead of the above.
  bool bf16_fp32_all_reduce = false;
  Fp8Scaling fp8_scaling = Fp8Scaling::kDelayed;
  // Muon (StackSpec::optimizer): the optimizer step runs Newton-Schulz on the layers' matrices.
  bool muon = false;
  // The fused attention kernel's efficiency relative to a GEMM of the same FLOPs
  // (AttentionEfficiency, stack_spec.h): FlashAttention-2 on Hopper runs at 0.6 of cuDNN's fused
  // attention (FlashAttention-3 paper benchmarks); cuDNN and FlashAttention-3 at 1.
  double attention_efficiency = 1;
  // Expert parallelism (moe_cost.h). DeepEP / DualPipe run one micro-batch's dispatch and combine
  // while another micro-batch computes, on communication kernels that keep a share of the SMs;
  // the dispatch may send fp8 activations when the expert GEMMs run in fp8 (DeepSeek-V3).
  bool overlap_a2a = false;
  double a2a_sm_fraction = 0;
  bool a2a_fp8_dispatch = false;
  // The dispatch sends a token once per target node and forwards it inside the node (DeepEP's
  // internode kernels), so node-limited routing bounds the scale-out bytes (moe_cost.h).
  bool a2a_node_dedup = false;
  MemoryOptions memory;
};

// Per micro-batch on one GPU of the slowest pipeline stage (seconds).
struct MicrobatchTime {
  int64_t stage = 0;  // the slowest stage (a middle one reported as 1), pipeline_stages.h
  double layers = 0;  // its layers
  double forward = 0, backward = 0, recompute = 0;
  double tp_comm = 0;     // exposed: Megatron's TP collectives are synchronous
  double cp_comm = 0, cp_exposed = 0;
  double ep_comm = 0, ep_exposed = 0;
  double pp_comm = 0, pp_exposed = 0;
  double zero3_comm = 0, zero3_exposed = 0;
  double total() const {
    return forward + backward + recompute + tp_comm + cp_exposed + ep_exposed + pp_exposed +
           zero3_exposed;
  }
};

struct StepTime {
  double step_time_s = 0;
  int64_t microbatches = 0;
  MicrobatchTime microbatch;  // slowest stage, per micro-batch
  // Whole step, seconds on the critical path.
  double compute_s = 0;        // forward + backward + recompute over all micro-batches
  double forward_s = 0, backward_s = 0, recompute_s = 0;
  double tp_comm_s = 0, cp_comm_s = 0, cp_exposed_s = 0, ep_comm_s = 0, ep_exposed_s = 0;
  double pp_comm_s = 0, pp_exposed_s = 0;
  double zero3_comm_s = 0, zero3_exposed_s = 0;
  double zero3_calls = 0, zero3_host_s = 0;  // ZeRO-3 calls and their host work (in zero3_comm_s)
  // CPU activation offloading: copies over the host link, and their stalls (in forward_s and
  // backward_s).
  double offload_copy_s = 0, offload_exposed_s = 0;
  double dp_comm_s = 0, dp_exposed_s = 0;
  double bubble_s = 0;
  double optimizer_s = 0;
  // Throughput.
  double model_flops = 0;     // per step, whole cluster: forward + backward (MFU numerator)
  double hardware_flops = 0;  // + recompute (HFU numerator)
  double mfu = 0, hfu = 0;
  double tokens_per_s = 0, tokens_per_s_per_gpu = 0, model_tflops_per_gpu = 0;
  // The largest term: "compute", "tp communication", "pipeline bubble", ... A static string, so
  // that the search prices a layout without string work.
  const char* bound = "";
};

inline constexpr double kActivationBytes = 2;  // 16-bit activations on the wire and in HBM

// Sets lc's CPU-offloading stalls (LayerCost::offload_fwd_s, offload_bwd_s) for p.offload_layers
// from its compute and stored activations: ComputeLayerCost calls it, and the search on a cached
// cost of the same layer shape.
struct LayerCost;
void AddOffloadStalls(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p,
                      LayerCost* lc);
// One layer's stored activations (one micro-batch) over the host link, one way; 0 without one.
double OffloadCopySeconds(const ClusterSpec& c, const LayerCost& lc);

// GEMM efficiency (fraction of dense peak) for a matmul of `flops` FLOPs.
double GemmEfficiency(const EfficiencySpec& e, double flops);

// What one layer costs for one micro-batch on one GPU. It depends only on the layer's shape on
// the GPU (tp, cp, micro-batch, sp, recompute, dtype), so CostModel caches it across layouts.
struct LayerCost {
  double linear_fwd_s = 0;   // projections and MLP GEMMs, forward
  double core_fwd_s = 0;     // QK^T and AV, forward
  double core_bwd_s = 0;     // attention core backward (2x forward; 2.5x for flash, which
                             // recomputes the scores)
  double elementwise_s = 0;  // memory-bound work, forward + backward
  double elementwise_fwd_s = 0, elementwise_bwd_s = 0;  // its two parts
  double recompute_s = 0;    // forward work the layout's recompute mode repeats in backward
  double head_fwd_s = 0;     // the LM head GEMM (last stage), forward
  double loss_s = 0;         // the loss's element-wise work (last stage), forward + backward
  // Multi-token prediction (DeepSeek-V3 sec. 2.2; Megatron-Core puts it on the last stage): each
  // module runs one more transformer layer (priced as one of the model's), a [tokens, 2d] x
  // [2d, d] projection of the normed hidden state and the next token's embedding, and the shared
  // LM head and loss again.
  double mtp_modules = 0;
  double mtp_projection_fwd_s = 0;
  // The MTP modules' layers in layers of this cost: mtp_modules, but in a hybrid model, whose
  // layer is one block, an MTP layer (attention + MLP) is priced at its compute in such blocks.
  double mtp_layers = 0;
  double per_step_s = 0;     // once per step, not per micro-batch (cached fp8 weight casts)
  double act_bytes = 0;      // stored activations under the layout's recompute mode
  double act_bytes_no_recompute = 0;
  // CPU activation offloading (ParallelConfig::offload_layers), averaged over the layers: an
  // offloaded layer's activations leave over the host link during the next layer's forward and
  // return during the backward of the layer after it; what the copy takes beyond that layer's
  // compute stalls the stream.
  double offload_fwd_s = 0, offload_bwd_s = 0;
  // Muon: five Newton-Schulz iterations on this GPU's shard of the layer's weight matrices, its
  // dense ones and its routed experts' (once per step, before the data-parallel split).
  double muon_dense_s = 0, muon_expert_s = 0;
  double fwd_s() const { return linear_fwd_s + core_fwd_s + elementwise_fwd_s + offload_fwd_s; }
  double bwd_s() const { return 2 * linear_fwd_s + core_bwd_s + elementwise_bwd_s + offload_bwd_s; }
  double compute_s() const { return fwd_s() + bwd_s() + recompute_s; }  // one micro-batch's
  // The last stage's work beyond its layers' (the MTP modules' layers are counted as layers): the
  // head and loss once per prediction depth, and the MTP projections. Forward; backward's input
  // gradient (the same GEMMs and the loss's other half); backward's weight gradient.
  double heads() const { return 1 + mtp_modules; }
  double last_fwd_s() const {
    return heads() * (head_fwd_s + loss_s / 2) + mtp_modules * mtp_projection_fwd_s;
  }
  double last_bwd_input_s() const { return last_fwd_s(); }
  double last_bwd_weight_s() const {
    return heads() * head_fwd_s + mtp_modules * mtp_projection_fwd_s;
  }
};

// Implemented in layer_cost.cc.
LayerCost ComputeLayerCost(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p,
                           const StepTimeOptions& o);

// Model and hardware FLOPs of one sequence (forward + backward, and with recompute).
struct SequenceFlops {
  double model = 0;
  double hardware = 0;
};

SequenceFlops FlopsPerSequence(const ModelSpec& m, Recompute r);

StepTime AssembleStepTime(const ModelSpec& m, const ClusterSpec& c, const ParamSplit& split,
                          const ParallelConfig& p, const StepTimeOptions& o, const LayerCost& lc,
                          const SequenceFlops& flops);

// One-off estimate; CostModel (cost_model.h) is the cached path for many layouts.
// A lower bound of AssembleStepTime(...).step_time_s for an evenly split pipeline (0 otherwise):
// every micro-batch's forward, backward and recompute on a stage of n_layers / pp layers, and
// as many more as the pipeline bubble holds (not for DualPipe), to which the step only adds
// (head, communication, gradient sync, optimizer). The search
// skips pricing a layout whose bound already ranks below every plan it keeps.
double ComputeFloorSeconds(const ModelSpec& m, const ParallelConfig& p, const LayerCost& lc);

// Seconds to move `bytes` through this GPU's HBM at its achieved bandwidth (hbm_fraction).
double HbmSeconds(const ClusterSpec& c, double bytes);

StepTime EstimateStepTime(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p,
                          const StepTimeOptions& o = {});

}  // namespace planner

#endif  // PLANNER_CORE_STEP_TIME_H_
