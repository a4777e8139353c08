#include "planner/core/stack_spec.h"

#include <string>
#include <utility>

#include "planner/core/units.h"

namespace planner {
namespace {

std::string StageText(int64_t v) { return std::to_string(v); }

// Hopper and later: the bf16 dense peak is above 700 TFLOP/s (H100 989, B200 2250); Ampere and
// Volta are at or below 312.
bool HopperOrLater(const GpuSpec& gpu) { return gpu.peak(Dtype::kBf16) > 500; }

}  // namespace

std::optional<StackError> Validate(const StackSpec& s) {
  if (s.name.empty()) return StackError{"name", "a stack needs a name"};
  if (s.grad_reduce_bytes != 2 && s.grad_reduce_bytes != 4) {
    return StackError{"grad_reduce_bytes", "grad_reduce_bytes must be 2 (16-bit) or 4 (fp32)"};
  }
  if (s.sharded_weight_bytes != 2 && s.sharded_weight_bytes != 4) {
    return StackError{"sharded_weight_bytes", "sharded_weight_bytes must be 2 or 4"};
  }
  if (!(s.sharded_optimizer_bytes >= 0 && s.sharded_optimizer_bytes <= 16)) {
    return StackError{"sharded_optimizer_bytes", "sharded_optimizer_bytes must lie in [0, 16]"};
  }
  if (!(s.zero3_max_live_params >= 0 && s.zero3_max_live_params <= 1e15)) {
    return StackError{"zero3_max_live_params",
                      "zero3_max_live_params must lie in [0, 1e15] (0: whole layers, as FSDP)"};
  }
  if (s.train_metric_losses < 0 || s.train_metric_losses > 4) {
    return StackError{"train_metric_losses", "train_metric_losses must lie in [0, 4]"};
  }
  if (!(s.zero3_host_us_per_rank >= 0 && s.zero3_host_us_per_rank <= 1000)) {
    return StackError{"zero3_host_us_per_rank", "zero3_host_us_per_rank must lie in [0, 1000]"};
  }
  if (s.optimizer_moment_bytes != 2 && s.optimizer_moment_bytes != 4) {
    return StackError{"optimizer_moment_bytes", "optimizer_moment_bytes must be 2 or 4"};
  }
  if (s.grad_buffer_bytes != 2 && s.grad_buffer_bytes != 4) {
    return StackError{"grad_buffer_bytes", "grad_buffer_bytes must be 2 or 4"};
  }
  if (s.sharded_optimizer_bytes < 2 * (4 - s.optimizer_moment_bytes)) {
    return StackError{"optimizer_moment_bytes",
                      "optimizer_moment_bytes 2 needs sharded_optimizer_bytes of at least 4"};
  }
  if (!(s.mlp_cache_bytes >= 1 && s.mlp_cache_bytes <= 2)) {
    return StackError{"mlp_cache_bytes", "mlp_cache_bytes must lie in [1, 2]"};
  }
  if (!(s.attention_output_cache_bytes >= 1 && s.attention_output_cache_bytes <= 2)) {
    return StackError{"attention_output_cache_bytes",
                      "attention_output_cache_bytes must lie in [1, 2]"};
  }
  if (!(s.a2a_sm_fraction >= 0 && s.a2a_sm_fraction < 1)) {
    return StackError{"a2a_sm_fraction", "a2a_sm_fraction must lie in [0, 1)"};
  }
  if (s.max_zero < 0 || s.max_zero > 3) return StackError{"max_zero", "max_zero must be 0-3"};
  if (s.max_zero_with_pp < 0 || s.max_zero_with_pp > s.max_zero) {
    return StackError{"max_zero_with_pp", "max_zero_with_pp must lie in [0, max_zero]"};
  }
  if (s.default_zero < 0 || s.default_zero > s.max_zero) {
    return StackError{"default_zero", "default_zero must lie in [0, max_zero]"};
  }
  if (s.default_virtual_stages != 0 &&
      (s.default_virtual_stages < 2 || s.default_virtual_stages > 16 || !s.interleaved)) {
    return StackError{"defaults.virtual_stages",
                      "defaults.virtual_stages must be 0 (none) or 2-16, with supports.interleaved "
                      "true"};
  }
  if (s.default_zero == 1 && !s.zero1) {
    return StackError{"default_zero",
                      "default_zero is 1 but the stack has no ZeRO-1 (zero1: false)"};
  }
  return std::nullopt;
}

double AttentionEfficiency(AttentionKernel k, const GpuSpec& gpu) {
  const bool hopper_or_later = HopperOrLater(gpu);
  switch (k) {
    case AttentionKernel::kUnfused: return 1;  // priced as two batched GEMMs, not by this factor
    // FlashAttention-2 reaches 50-73% of A100 peak (Dao 2023, abstract) where cuBLAS GEMMs
    // reach about 75-80%: 0.8 of a GEMM on Ampere and Volta. On H100 it runs at 0.59-0.63 of
    // cuDNN's fused attention (stack_spec.h): 0.6.
    case AttentionKernel::kFlash2:
      return hopper_or_later ? 0.6 : 0.8;
    // FlashAttention-3 and cuDNN's fused attention need Hopper; before it, Transformer Engine
    // falls back to FlashAttention-2.
    case AttentionKernel::kFlash3: return hopper_or_later ? 1 : 0.8;
  }
  return 1;
}

StepTimeOptions StackOptions(const StackSpec& s, const ClusterSpec& c) {
  StepTimeOptions o;
  static_cast<StackMemoryChoices&>(o.memory) = s;
  o.memory.kernels = s.kernels;
  o.memory.loss_kernels = s.loss_kernels;
  o.memory.flash_attention = s.attention != AttentionKernel::kUnfused;
  o.memory.dropout = s.dropout;
  o.memory.selective = s.selective;
  o.memory.zero3_weight_bytes = s.sharded_weight_bytes;
  o.memory.zero3_optimizer_bytes = s.sharded_optimizer_bytes;
  // Both optimizer byte counts hold two fp32 moments by default; narrower moments save the rest.
  const double moment_saving = 2 * (4 - s.optimizer_moment_bytes);
  o.memory.optimizer_bytes -= moment_saving;
  o.memory.zero3_optimizer_bytes -= moment_saving;
  o.memory.grad_bytes = s.grad_buffer_bytes;
  if (s.optimizer == Optimizer::kMuon) {
    o.memory.muon_moment_bytes = s.optimizer_moment_bytes;
    o.muon = true;
  }
  o.memory.sharded_grads_unsharded_when_accumulating =
      s.sharded_grad_accum == ShardedGradAccum::kUnsharded;
  o.attention_efficiency = AttentionEfficiency(s.attention, c.gpu);
  o.fp8_scaling = s.fp8_scaling;
  o.grad_comm_bytes = s.grad_reduce_bytes;
  o.bf16_fp32_all_reduce = s.bf16_grad_reduce == Bf16GradReduce::kFp32AllReduce;
  o.overlap_tp_backward = s.tp_overlap_backward;
  o.overlap_tp_forward =
      s.tp_overlap_forward == TpForwardOverlap::kAlways ||
      (s.tp_overlap_forward == TpForwardOverlap::kHopper && HopperOrLater(c.gpu));
  o.overlap_dp = s.dp_overlap == DpOverlap::kBackward;
  o.overlap_param_gather = s.param_gather_overlap;
  o.overlap_pp = s.pp_overlap;
  o.overlap_cp = s.cp_overlap;
  o.cp_all_to_all = s.cp_comm == CpComm::kAllToAll;
  o.zero3_prefetch = s.zero3_prefetch;
  o.zero3_per_tensor = s.zero3_collectives == Zero3Collectives::kPerTensor;
  o.zero3_host_s_per_rank = s.zero3_host_us_per_rank * kSecondsPerUs;
  o.zero3_recompute_regathers = s.zero3_recompute_regathers;
  o.zero3_list_copies = s.zero3_list_copies;
  o.overlap_a2a = s.a2a_overlap;
  o.a2a_sm_fraction = s.a2a_sm_fraction;
  o.a2a_fp8_dispatch = s.a2a_fp8_dispatch;
  o.a2a_node_dedup = s.a2a_node_dedup;
  o.zero2_reduce_per_microbatch = s.sharded_grad_accum == ShardedGradAccum::kPerMicrobatch;
  o.memory.zero3_pp_gathered = s.zero3_with_pp == Zero3WithPp::kGathered;
  return o;
}

namespace {

// Ulysses gives each rank of the cp group whole heads: heads / tp must split cp ways.
bool CpHeadsSplit(const StackSpec& s, const ModelSpec& m, const ParallelConfig& p) {
  return p.cp <= 1 || s.cp_comm != CpComm::kAllToAll || (m.n_heads / p.tp) % p.cp == 0;
}

}  // namespace

std::optional<LayoutIssue> StackIssue(const StackSpec& s, const ModelSpec& m,
                                      const ParallelConfig& p) {
  if (p.zero > s.max_zero || (p.zero == 1 && !s.zero1)) return LayoutIssue::kStackZero;
  if (p.pp > 1 && p.zero > s.max_zero_with_pp) return LayoutIssue::kStackZeroWithPp;
  if ((p.pp > 1 && !s.pipeline) || (p.vpp > 1 && !s.interleaved) ||
      (p.cp > 1 && !s.context_parallel) || (p.ep > 1 && !s.expert_parallel) ||
      (p.expert_tp() != p.tp && !s.expert_tensor_parallel) || (p.sp && !s.sequence_parallel) ||
      (p.dp_replicas() > 1 && !s.hybrid_shard) || (p.offload_layers > 0 && !s.cpu_offload) ||
      (p.uneven_chunks && p.vpp > 1 && !s.uneven_chunks) ||
      (p.recompute == Recompute::kSelective && !s.selective_recompute) ||
      !StackTrains(s, p.dtype)) {
    return LayoutIssue::kStackFeature;
  }
  if (!CpHeadsSplit(s, m, p)) return LayoutIssue::kStackCpHeads;
  return std::nullopt;
}

int64_t DefaultMicroBatch(const StackSpec& s, const ParallelConfig& p) {
  if (s.micro_batch_is_local && p.pp == 1 && p.dp > 0 && p.global_batch % p.dp == 0) {
    return p.global_batch / p.dp;
  }
  return 1;
}

// The message for StackIssue's answer, naming the rule (and, for a missing feature, which one).
std::optional<std::string> StackRefuses(const StackSpec& s, const ModelSpec& m,
                                        const ParallelConfig& p) {
  const std::optional<LayoutIssue> issue = StackIssue(s, m, p);
  if (!issue) return std::nullopt;
  const std::string who = s.name + " ";
  if (*issue == LayoutIssue::kStackZero && p.zero == 1 && !s.zero1) {
    return who +
           "has no optimizer-only sharding (ZeRO-1): it shards gradients too (ZeRO-2) or "
           "weights as well (ZeRO-3)";
  }
  if (*issue == LayoutIssue::kStackZero) {
    return who + "runs ZeRO up to stage " + StageText(s.max_zero);
  }
  if (*issue == LayoutIssue::kStackCpHeads) {
    return who +
           "runs context parallelism as all-to-alls (cp_comm a2a, Ulysses), which give each " +
           "of the " + std::to_string(p.cp) +
           " cp ranks whole heads: " + std::to_string(m.n_heads / p.tp) +
           " heads per tensor-parallel rank do not split " + std::to_string(p.cp) + " ways";
  }
  if (*issue == LayoutIssue::kStackZeroWithPp && s.pipeline) {
    return who + "runs ZeRO up to stage " + StageText(s.max_zero_with_pp) +
           " with pipeline parallelism";
  }
  const std::pair<bool, const char*> missing[] = {
      {p.pp > 1 && !s.pipeline, "pipeline parallelism"},
      {p.vpp > 1 && !s.interleaved, "interleaved (virtual) pipeline stages"},
      {p.cp > 1 && !s.context_parallel, "context parallelism"},
      {p.ep > 1 && !s.expert_parallel, "expert parallelism"},
      {p.expert_tp() != p.tp && !s.expert_tensor_parallel,
       "expert tensor parallelism other than tp (MoE parallel folding)"},
      {p.sp && !s.sequence_parallel, "sequence parallelism"},
      {p.dp_replicas() > 1 && !s.hybrid_shard, "hybrid sharding (HSDP, dp_shard < dp)"},
      {p.offload_layers > 0 && !s.cpu_offload, "CPU activation offloading"},
      {p.uneven_chunks && p.vpp > 1 && !s.uneven_chunks,
       "virtual pipeline stages of unequal size (a pipeline layout)"},
      {p.recompute == Recompute::kSelective && !s.selective_recompute,
       "selective recompute: it checkpoints whole layers (--recompute full)"},
      {!StackTrains(s, p.dtype), p.dtype == Dtype::kFp4 ? "fp4 (NVFP4) training" : "fp8 training"}};
  for (const auto& [lacks, what] : missing) {
    if (lacks) return who + "has no " + what;
  }
  return who + "cannot run this layout";
}

}  // namespace planner
