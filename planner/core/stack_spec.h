// StackSpec: what a training framework does with a layout, beside the model and the machine:
// its kernels, which communication it overlaps with compute, how it reduces gradients, and which
// layouts it can run at all. The step-time and memory models read a layout's software facts only
// from here (through StackOptions), so `validate`, `explain`, `plan`, `simulate` and `size` price
// a layout the same way. Presets live in configs/stacks/*.yaml, each field with its source.
// Pure data plus validation; no I/O.
#ifndef PLANNER_CORE_STACK_SPEC_H_
#define PLANNER_CORE_STACK_SPEC_H_

#include <optional>
#include <string>

#include "planner/core/cluster_spec.h"
#include "planner/core/enum_names.h"
#include "planner/core/memory.h"
#include "planner/core/parallel_config.h"
#include "planner/core/step_time.h"

namespace planner {

// The attention kernel. Its speed relative to a GEMM depends on the GPU generation (see
// AttentionEfficiency), its memory only on whether it materialises the s x s scores.
enum class AttentionKernel {
  kUnfused,  // two batched GEMMs and a softmax kernel: the scores are written to HBM (Megatron 2021-22)
  kFlash2,   // FlashAttention-2 (also PyTorch SDPA's flash backend)
  kFlash3,   // FlashAttention-3 / cuDNN fused attention (Transformer Engine on Hopper)
};

// Whether the forward's TP collectives run pipelined with the GEMMs beside them.
enum class TpForwardOverlap {
  kNone,
  kAlways,  // any GPU (torchtitan's async TP on symmetric memory)
  // Hopper and later only: Transformer Engine's userbuffers (--tp-comm-overlap) use CUDA
  // multicast, which needs compute capability 9.0; older parts need UB_SKIPMC=1 for a "less
  // performant implementation based on CUDA IPC handles" (TransformerEngine
  // examples/pytorch/comm_gemm_overlap/README.md, Requirements) that the published recipes do
  // not set, so there the forward collectives stay exposed.
  kHopper,
};

// When the data-parallel gradient reduction runs.
enum class DpOverlap {
  kNone,       // after the last backward, exposed (Megatron "local" DDP)
  kBackward,   // bucketed, during the last micro-batch's backward (torch DDP, Megatron-Core
               // overlap_grad_reduce, DeepSpeed overlap_comm)
};

// How context parallelism moves a layer's attention inputs (Megatron-Core's --cp-comm-type).
enum class CpComm {
  kP2p,       // ring attention: each rank keeps its queries and passes its K/V chunk round the
              // ring, cp-1 hops, beside the attention compute (Megatron-Core p2p, torchtitan)
  kAllToAll,  // DeepSpeed-Ulysses (Jacobs et al. 2023, arXiv:2309.14509): an all-to-all turns
              // sequence shards of Q, K, V into head shards of the whole sequence, attention
              // runs locally, and one more turns the output back; synchronous. Needs the heads
              // per tensor-parallel rank divisible by cp (Megatron-Core cp_comm_type a2a)
};

// What a ZeRO-2/3 (sharded-gradient) stack does with gradient accumulation.
enum class ShardedGradAccum {
  kPerMicrobatch,  // reduce-scatter after every micro-batch (DeepSpeed ZeRO-2/3, FSDP)
  kUnsharded,      // accumulate full gradients locally, reduce once (FSDP no_sync): grads unsharded
};

// What ZeRO-3 (FSDP) does with a pipeline stage's weights between micro-batches.
enum class Zero3WithPp {
  kResharded,  // gather per layer and micro-batch, free after use (DeepSpeed, FSDP default)
  kGathered,   // gather once per step and keep the stage's 16-bit weights and accumulated
               // unsharded gradients until its last backward (torchtitan: reshard_after_forward
               // off with PP, gradient sync only on the last micro-batch)
};

// How many collectives ZeRO-3 issues for a layer, each way.
enum class Zero3Collectives {
  kPerModule,  // one all-gather and one reduce-scatter per layer (FSDP units; DeepSpeed since
               // c0eeb69, v0.5.6, which coalesces a module's parameters into one gather)
  kPerTensor,  // one per parameter tensor (DeepSpeed before it: partition_parameters.py
               // _allgather_param and _reduce_scatter_gradient take one parameter each)
};

// The optimizer. AdamW keeps two moments per parameter. Muon (Jordan et al. 2024; Kimi K2,
// arXiv 2507.20534; Megatron-Core's dist_muon) keeps one momentum for each weight matrix of the
// layers and orthogonalises its update with five Newton-Schulz iterations per step; the
// embedding and LM head stay on AdamW.
enum class Optimizer { kAdamW, kMuon };

// How a bf16 run reduces its data-parallel gradients (ZeRO 0-1; ZeRO-2/3 as grad_reduce_bytes).
enum class Bf16GradReduce {
  kAsFp16,  // as an fp16 run: grad_reduce_bytes, reduce-scatter under ZeRO-1
  // DeepSpeed's BF16_Optimizer (bf16 with ZeRO stage 0, its own ZeRO-1, under the pipeline
  // engine) accumulates gradients into full fp32 buffers and all-reduces those:
  // runtime/pipe/engine.py _bf16_reduce_grads ("from the optimizer's FP32 grads") passes
  // bf16_optimizer.py get_grads_for_reduction (fp32_groups_gradients_flat) to
  // buffered_allreduce_fallback. Each rank then updates its partition and all-gathers bf16.
  kFp32AllReduce,
};

// The memory choices (StackMemoryChoices, memory.h) are its own fields, under their file keys.
struct StackSpec : StackMemoryChoices {
  std::string name;
  std::string description;

  // Kernels and numerics.
  Kernels kernels = Kernels::kFused;
  Kernels loss_kernels = Kernels::kFused;
  AttentionKernel attention = AttentionKernel::kFlash3;
  bool dropout = false;
  Fp8Scaling fp8_scaling = Fp8Scaling::kDelayed;
  SelectivePolicy selective = SelectivePolicy::kAttentionCore;
  double grad_reduce_bytes = 4;  // bytes per gradient element on the wire
  Bf16GradReduce bf16_grad_reduce = Bf16GradReduce::kAsFp16;
  // Bytes per parameter of the sharded weights ZeRO-3 keeps (fp32 master copy in FSDP) and of
  // the optimizer states beside them.
  double sharded_weight_bytes = 2;
  double sharded_optimizer_bytes = 12;
  // Bytes of each Adam moment (m, v): 4 (fp32) by default; 2 keeps them in BF16 (DeepSeek-V3
  // sec. 3.3.3), taking 2 x 2 bytes off the optimizer states (fp32 master copy kept).
  double optimizer_moment_bytes = 4;
  Optimizer optimizer = Optimizer::kAdamW;
  // Bytes of each element of the gradient buffer the backward accumulates into, held for every
  // parameter under ZeRO 0-1 (Megatron-Core's main_grad, FSDP's no-sync accumulation): 4 (fp32)
  // by default; 2 where the stack keeps it in the 16-bit parameter dtype (Megatron-Core's DDP
  // with grad_reduce_in_fp32 False: param_and_grad_buffer's grad_dtype is the param's).
  double grad_buffer_bytes = 4;

  // Overlap of communication with compute.
  bool tp_overlap_backward = true;  // TP collective of backward runs beside the wgrad GEMM
  TpForwardOverlap tp_overlap_forward = TpForwardOverlap::kNone;  // forward AG/RS beside GEMMs
  DpOverlap dp_overlap = DpOverlap::kBackward;
  bool param_gather_overlap = false;  // distributed optimizer: all-gather beside next forward
  bool pp_overlap = false;            // p2p sends and receives beside compute
  bool cp_overlap = true;             // ring attention's K/V exchange beside attention
  CpComm cp_comm = CpComm::kP2p;
  bool zero3_prefetch = true;         // gather the next layer while this one computes
  // ZeRO-3's calls: per layer or per parameter tensor; the host time each call costs per rank of
  // the shard group, where the call takes a list of per-rank tensors (torch.distributed's
  // all_gather and reduce_scatter before _all_gather_base copy each rank's block apart); and
  // whether full recompute's second forward gathers the layer again (hooks on every submodule
  // that release its parameters after each forward: DeepSpeed stage3.py).
  Zero3Collectives zero3_collectives = Zero3Collectives::kPerModule;
  double zero3_host_us_per_rank = 0;
  bool zero3_recompute_regathers = false;
  // The same list-based collectives move the bytes through HBM once more: a gather zero-fills its
  // flat buffer and copies each rank's block out of it, a reduce-scatter copies its inputs into
  // one (ProcessGroupNCCL; DeepSpeed c0eeb69: "implicit memcpy at the end of each ncclAllgather").
  bool zero3_list_copies = false;
  // Expert parallelism: dispatch/combine of one micro-batch beside another's compute (DeepEP,
  // DualPipe), the share of SMs its kernels keep meanwhile, fp8 dispatch under fp8 GEMMs.
  bool a2a_overlap = false;
  double a2a_sm_fraction = 0;
  bool a2a_fp8_dispatch = false;
  bool a2a_node_dedup = false;  // one scale-out copy per target node, forwarded over NVLink

  // What the stack can run.
  int max_zero = 3;
  int max_zero_with_pp = 3;  // DeepSpeed's pipeline engine refuses ZeRO-2/3
  bool zero1 = true;         // optimizer-only sharding; FSDP has none (NO_SHARD, then grads too)
  bool pipeline = true;
  bool interleaved = true;  // virtual pipeline stages
  bool uneven_chunks = false;  // virtual stages of unequal size (a pipeline layout)
  bool context_parallel = true;
  bool expert_parallel = true;
  bool expert_tensor_parallel = false;  // etp != tp (Megatron-Core's MoE parallel folding)
  bool hybrid_shard = false;  // ZeRO over groups of dp_shard ranks, replicated (FSDP HSDP)
  bool cpu_offload =
      false;  // layer-level CPU activation offloading (ParallelConfig::offload_layers)
  bool sequence_parallel = true;
  // Selective recompute (Recompute::kSelective: Korthikanti's attention core, torchtitan's
  // op-level SAC). Stacks that checkpoint only whole layers or modules have none.
  bool selective_recompute = true;
  // Low-precision training: fp8 GEMMs (Transformer Engine, torchao float8) and fp4 (NVFP4,
  // Transformer Engine's NVFP4BlockScaling since TE 2.7, Megatron-Core's --fp4-format).
  bool fp8 = true;
  bool fp4 = false;
  ShardedGradAccum sharded_grad_accum = ShardedGradAccum::kPerMicrobatch;
  Zero3WithPp zero3_with_pp = Zero3WithPp::kResharded;

  // Defaults for layout flags not given.
  int default_zero = 1;
  bool default_sp = true;            // --sp when tp > 1
  bool micro_batch_is_local = false;  // FSDP style: no gradient accumulation by default
  // Virtual stages per rank an interleaved schedule takes when not told (torchtitan: 2); 0: it
  // must be told (Megatron's --num-layers-per-virtual-pipeline-stage has no default).
  int default_virtual_stages = 0;
};

struct StackError {
  std::string key;
  std::string message;
};

std::optional<StackError> Validate(const StackSpec& s);

// FLOP efficiency of the attention kernel relative to a GEMM of the same size on `gpu`.
// FlashAttention-3 and cuDNN fused attention reach GEMM efficiency on Hopper (FA3: 740 TFLOP/s,
// 75% of peak): 1. FlashAttention-2 predates Hopper's asynchronous tensor-core instructions
// (wgmma, TMA); the FA3 paper's H100 SXM5 benchmarks at head dim 128 (Shah et al. 2024, figures
// "Attention forward/backward speed, head dim 128") measure it at 362-370 TFLOP/s forward where
// cuDNN reaches 595-617 (0.59-0.62) and 291-322 backward against 465-518 (0.62-0.63), for 2k to
// 16k tokens: 0.6 on Hopper and later. (Its sec. 1 rounds this to "35% of peak", which against a
// 70%-of-peak GEMM would be 0.5.) On Ampere and Volta it reaches 50-73% of peak (Dao 2023,
// FlashAttention-2, abstract), 0.8 of a GEMM.
double AttentionEfficiency(AttentionKernel k, const GpuSpec& gpu);

// The step-time and memory options a stack gives a layout on a cluster.
StepTimeOptions StackOptions(const StackSpec& s, const ClusterSpec& c);

// The micro-batch a stack uses when none is given, for `p`'s dp, pp and global batch: an FSDP
// stack without pipelining runs the local batch in one pass (no gradient accumulation); with
// pipelining (torchtitan's pipeline_parallel_microbatch_size, default 1) and in every other stack
// (Megatron's and DeepSpeed's examples and benchmark scripts) one sequence.
int64_t DefaultMicroBatch(const StackSpec& s, const ParallelConfig& p);

// Why the stack cannot run the layout of `m` (nullopt: it can). The message names the stack's
// rule.
std::optional<std::string> StackRefuses(const StackSpec& s, const ModelSpec& m,
                                        const ParallelConfig& p);
// Whether the stack trains in `d` (supports.fp8 / supports.fp4; every stack runs 16-bit).
inline bool StackTrains(const StackSpec& s, Dtype d) {
  return (d != Dtype::kFp8 || s.fp8) && (d != Dtype::kFp4 || s.fp4);
}
// The same check without strings, for the search's rejection counts.
std::optional<LayoutIssue> StackIssue(const StackSpec& s, const ModelSpec& m,
                                      const ParallelConfig& p);

// The stack file's names of each field's values (planner/io/stack_io.cc parses with them).
inline constexpr EnumName<AttentionKernel> kAttentionKernelNames[] = {
    {AttentionKernel::kUnfused, "unfused"},
    {AttentionKernel::kFlash2, "flash2"},
    {AttentionKernel::kFlash3, "flash3"}};
inline constexpr EnumName<TpForwardOverlap> kTpForwardOverlapNames[] = {
    {TpForwardOverlap::kNone, "false"},
    {TpForwardOverlap::kAlways, "true"},
    {TpForwardOverlap::kHopper, "hopper"}};
inline constexpr EnumName<DpOverlap> kDpOverlapNames[] = {{DpOverlap::kNone, "none"},
                                                          {DpOverlap::kBackward, "backward"}};
inline constexpr EnumName<CpComm> kCpCommNames[] = {{CpComm::kP2p, "p2p"},
                                                    {CpComm::kAllToAll, "a2a"}};
inline constexpr EnumName<ShardedGradAccum> kShardedGradAccumNames[] = {
    {ShardedGradAccum::kPerMicrobatch, "per-microbatch"},
    {ShardedGradAccum::kUnsharded, "unsharded"}};
inline constexpr EnumName<Zero3WithPp> kZero3WithPpNames[] = {
    {Zero3WithPp::kResharded, "resharded"}, {Zero3WithPp::kGathered, "gathered"}};
inline constexpr EnumName<Zero3Collectives> kZero3CollectivesNames[] = {
    {Zero3Collectives::kPerModule, "per-module"}, {Zero3Collectives::kPerTensor, "per-tensor"}};
inline constexpr EnumName<Optimizer> kOptimizerNames[] = {{Optimizer::kAdamW, "adamw"},
                                                          {Optimizer::kMuon, "muon"}};
inline constexpr EnumName<Bf16GradReduce> kBf16GradReduceNames[] = {
    {Bf16GradReduce::kAsFp16, "as-fp16"}, {Bf16GradReduce::kFp32AllReduce, "fp32-all-reduce"}};
inline constexpr EnumName<Kernels> kKernelsNames[] = {
    {Kernels::kFused, "fused"}, {Kernels::kEager, "eager"}, {Kernels::kCompiled, "compiled"}};
inline constexpr EnumName<SelectivePolicy> kSelectivePolicyNames[] = {
    {SelectivePolicy::kAttentionCore, "attention-core"},
    {SelectivePolicy::kEveryOtherMatmul, "every-other-matmul"}};
inline constexpr EnumName<Fp8Scaling> kFp8ScalingNames[] = {{Fp8Scaling::kDelayed, "delayed"},
                                                            {Fp8Scaling::kDynamic, "dynamic"}};

inline const char* ToString(AttentionKernel k) { return NameIn(kAttentionKernelNames, k); }
inline const char* ToString(TpForwardOverlap t) { return NameIn(kTpForwardOverlapNames, t); }
inline const char* ToString(DpOverlap d) { return NameIn(kDpOverlapNames, d); }
inline const char* ToString(CpComm c) { return NameIn(kCpCommNames, c); }
inline const char* ToString(ShardedGradAccum g) { return NameIn(kShardedGradAccumNames, g); }
inline const char* ToString(Zero3WithPp z) { return NameIn(kZero3WithPpNames, z); }
inline const char* ToString(Zero3Collectives z) { return NameIn(kZero3CollectivesNames, z); }
inline const char* ToString(Bf16GradReduce b) { return NameIn(kBf16GradReduceNames, b); }
inline const char* ToString(Optimizer o) { return NameIn(kOptimizerNames, o); }
inline const char* ToString(Kernels k) { return NameIn(kKernelsNames, k); }
inline const char* ToString(SelectivePolicy p) { return NameIn(kSelectivePolicyNames, p); }
inline const char* ToString(Fp8Scaling f) { return NameIn(kFp8ScalingNames, f); }

}  // namespace planner

#endif  // PLANNER_CORE_STACK_SPEC_H_
