// The stack presets (configs/stacks) and --stack-set overrides: every preset loads and carries
// the rules its sources state; the runnable-layout rules refuse what the frameworks refuse.
#include "planner/io/stack_io.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "planner/core/memory.h"
#include "planner/core/stack_spec.h"
#include "planner/io/cluster_io.h"
#include "planner/io/input_error.h"
#include "planner/io/model_io.h"
#include "planner/io/presets.h"

namespace planner {
namespace {

TEST(StackIoTest, DeepSpeedOf2021GathersPerTensorWithoutPrefetch) {
  // deepspeed-2021.yaml: the ZeRO-3 of DeepSpeed before v0.5.6 (c0eeb69's message and
  // partition_parameters.py at v0.3.13), priced through StackOptions.
  const StackSpec s = LoadStack("deepspeed-2021");
  EXPECT_EQ(s.zero3_collectives, Zero3Collectives::kPerTensor);
  EXPECT_TRUE(s.zero3_recompute_regathers);
  EXPECT_FALSE(s.zero3_prefetch);
  const StepTimeOptions o = StackOptions(s, ClusterSpec{});
  EXPECT_TRUE(o.zero3_per_tensor);
  EXPECT_TRUE(o.zero3_list_copies);
  EXPECT_DOUBLE_EQ(o.zero3_host_s_per_rank, s.zero3_host_us_per_rank * 1e-6);
  EXPECT_FALSE(StackOptions(LoadStack("fsdp"), ClusterSpec{}).zero3_per_tensor);
}

TEST(StackIoTest, EveryPresetLoadsAndValidates) {
  const std::vector<std::string> names = PresetNames("stacks");
  for (const std::string want :
       {"megatron-lm-sc21", "megatron-lm", "megatron-core", "nemo", "deepspeed", "deepspeed-2021",
        "megatron-deepspeed", "fsdp", "torchtitan", "llm-foundry", "automodel"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  }
  for (const std::string& n : names) {
    const StackSpec s = LoadStack(n);
    EXPECT_EQ(s.name, n);
    EXPECT_FALSE(Validate(s).has_value()) << n;
  }
}

TEST(StackIoTest, PresetsStateTheirFrameworksRules) {
  // DeepSpeed's PipelineEngine asserts ZeRO stage < 2 (deepspeed/runtime/pipe/engine.py).
  ModelSpec m;
  m.n_heads = 4;
  ParallelConfig p;
  p.pp = 4;
  p.zero = 2;
  EXPECT_TRUE(StackRefuses(LoadStack("deepspeed"), m, p).has_value());
  EXPECT_EQ(StackIssue(LoadStack("deepspeed"), m, p), LayoutIssue::kStackZeroWithPp);
  p.zero = 1;
  EXPECT_FALSE(StackRefuses(LoadStack("deepspeed"), m, p).has_value());
  // Megatron's distributed optimizer is ZeRO-1: no ZeRO-3 in megatron-core.
  p.pp = 1;
  p.zero = 3;
  EXPECT_EQ(StackIssue(LoadStack("megatron-core"), m, p), LayoutIssue::kStackZero);
  // FSDP has no tensor-parallel SP, no pipeline of its own.
  p.zero = 3;
  p.pp = 2;
  EXPECT_EQ(StackIssue(LoadStack("fsdp"), m, p), LayoutIssue::kStackFeature);
  // SC21 code: no distributed optimizer, fp16 gradient all-reduce, unfused attention.
  const StackSpec sc21 = LoadStack("megatron-lm-sc21");
  EXPECT_EQ(sc21.max_zero, 0);
  EXPECT_EQ(sc21.grad_reduce_bytes, 2);
  EXPECT_EQ(sc21.attention, AttentionKernel::kUnfused);
  EXPECT_FALSE(sc21.tp_overlap_backward);
  // Selective recompute came with Korthikanti 2022 (Megatron-LM's --recompute-granularity
  // selective, torchtitan's op-level SAC); the SC21 code, DeepSpeed's and FSDP's checkpointing
  // wrap whole layers or modules.
  ParallelConfig rc;
  rc.recompute = Recompute::kSelective;
  for (const char* whole :
       {"megatron-lm-sc21", "deepspeed", "deepspeed-2021", "fsdp", "llm-foundry", "automodel"}) {
    EXPECT_EQ(StackIssue(LoadStack(whole), m, rc), LayoutIssue::kStackFeature) << whole;
  }
  for (const char* op : {"megatron-lm", "megatron-core", "nemo", "torchtitan"}) {
    EXPECT_FALSE(StackIssue(LoadStack(op), m, rc).has_value()) << op;
  }
  rc.recompute = Recompute::kFull;
  EXPECT_FALSE(StackIssue(LoadStack("fsdp"), m, rc).has_value());
}

// automodel.yaml, from NVIDIA-NeMo/Automodel at 2013a4dd6: FSDP2Config's default
// (components/distributed/config.py) reduces in bf16; its benchmark configs reduce-scatter every
// micro-batch under gradient accumulation (defer_fsdp_grad_sync False); FSDP2 has no
// optimizer-only sharding; with PP, apply_fsdp2_sharding_recursively keeps every layer's weights
// gathered (reshard_after_forward=False); CP is torch's ring.
TEST(StackIoTest, AutoModelCarriesFsdp2ConfigDefaults) {
  const StackSpec s = LoadStack("automodel");
  EXPECT_EQ(s.grad_reduce_bytes, 2);
  EXPECT_EQ(s.sharded_grad_accum, ShardedGradAccum::kPerMicrobatch);
  EXPECT_EQ(s.zero3_with_pp, Zero3WithPp::kGathered);
  EXPECT_EQ(s.cp_comm, CpComm::kP2p);
  EXPECT_EQ(s.default_zero, 3);
  EXPECT_FALSE(s.default_sp);
  ModelSpec m;
  m.n_heads = 8;
  ParallelConfig p;
  p.dp = 8;
  p.zero = 1;
  EXPECT_EQ(StackIssue(s, m, p), LayoutIssue::kStackZero);
  p.zero = 3;
  p.pp = 2;
  EXPECT_FALSE(StackRefuses(s, m, p).has_value());
}

// DeepSpeed's context parallelism is Ulysses (deepspeed/sequence/layer.py DistributedAttention:
// all-to-alls from sequence to head shards and back), which hands each cp rank whole heads; the
// ring stacks split the sequence and run any head count.
TEST(StackIoTest, UlyssesContextParallelismNeedsTheHeadsToSplit) {
  const StackSpec ds = LoadStack("deepspeed");
  EXPECT_TRUE(ds.context_parallel);
  EXPECT_EQ(ds.cp_comm, CpComm::kAllToAll);
  EXPECT_EQ(LoadStack("megatron-deepspeed").cp_comm, CpComm::kAllToAll);
  EXPECT_EQ(LoadStack("megatron-core").cp_comm, CpComm::kP2p);
  ModelSpec m;
  m.n_heads = 4;
  ParallelConfig p;
  p.cp = 4;
  EXPECT_FALSE(StackIssue(ds, m, p));
  p.cp = 8;
  EXPECT_EQ(StackIssue(ds, m, p), LayoutIssue::kStackCpHeads);
  const std::optional<std::string> why = StackRefuses(ds, m, p);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("4 heads per tensor-parallel rank do not split 8 ways"), std::string::npos)
      << *why;
  EXPECT_FALSE(StackIssue(LoadStack("megatron-core"), m, p));  // a ring: any head count
  p.tp = 2;                                                    // 2 heads per rank
  p.cp = 2;
  EXPECT_FALSE(StackIssue(ds, m, p));
  p.cp = 4;
  EXPECT_EQ(StackIssue(ds, m, p), LayoutIssue::kStackCpHeads);
}

TEST(StackIoTest, OnlyMegatronDeepSpeedReducesBf16GradientsInFp32) {
  // BLOOM's Megatron-DeepSpeed ran bf16 on DeepSpeed's BF16_Optimizer (fp32 gradient
  // all-reduce); Megatron-Core reduces bf16 gradients (grad_reduce_in_fp32 defaults to False).
  ClusterSpec c;
  EXPECT_EQ(LoadStack("megatron-deepspeed").bf16_grad_reduce, Bf16GradReduce::kFp32AllReduce);
  EXPECT_TRUE(StackOptions(LoadStack("megatron-deepspeed"), c).bf16_fp32_all_reduce);
  EXPECT_FALSE(StackOptions(LoadStack("megatron-core"), c).bf16_fp32_all_reduce);
  StackSpec s = LoadStack("megatron-core");
  ApplyStackOverrides({"bf16_grad_reduce=fp32-all-reduce"}, "--stack-set", &s);
  EXPECT_EQ(s.bf16_grad_reduce, Bf16GradReduce::kFp32AllReduce);
  EXPECT_THROW(ApplyStackOverrides({"bf16_grad_reduce=fp32"}, "--stack-set", &s), InputError);
}

TEST(StackIoTest, GradBufferBytesSetTheAccumulatedGradients) {
  // Megatron-Core's DDP allocates main_grad in fp32 only with grad_reduce_in_fp32; Megatron-
  // Bridge's perf scripts turn it off, leaving a bf16 buffer: under ZeRO-1 every rank holds the
  // buffer for all its parameters, so 2 bytes each, the same as the bf16 weights.
  const ModelSpec m = LoadModel("llama3-70b");
  const ClusterSpec c = LoadCluster("dgx-h100");
  ParallelConfig p;
  p.tp = 8;
  p.pp = 1;
  p.dp = 4;
  p.zero = 1;
  p.sp = true;
  p.micro_batch = 1;
  p.global_batch = 4;
  StackSpec s = LoadStack("megatron-core");
  EXPECT_EQ(s.grad_buffer_bytes, 4);  // Megatron-LM's bf16 default: fp32 accumulation
  const MemoryBreakdown fp32 = EstimateMemory(m, c, p, StackOptions(s, c).memory);
  EXPECT_DOUBLE_EQ(fp32.gradients, 2 * fp32.weights);
  ApplyStackOverrides({"grad_buffer_bytes=2"}, "--stack-set", &s);
  const MemoryBreakdown bf16 = EstimateMemory(m, c, p, StackOptions(s, c).memory);
  EXPECT_DOUBLE_EQ(bf16.gradients, bf16.weights);
  EXPECT_DOUBLE_EQ(bf16.optimizer, fp32.optimizer);
  EXPECT_THROW(ApplyStackOverrides({"grad_buffer_bytes=3"}, "--stack-set", &s), InputError);
}

TEST(StackIoTest, DefaultMicroBatchIsTheStacks) {
  ParallelConfig p;
  p.dp = 8;
  p.global_batch = 16;
  // FSDP without pipelining: the local batch in one pass, 16 / 8.
  EXPECT_EQ(DefaultMicroBatch(LoadStack("torchtitan"), p), 2);
  // torchtitan with a pipeline: pipeline_parallel_microbatch_size, default 1.
  p.pp = 8;
  EXPECT_EQ(DefaultMicroBatch(LoadStack("torchtitan"), p), 1);
  // Megatron: one sequence whatever the layout.
  p.pp = 1;
  EXPECT_EQ(DefaultMicroBatch(LoadStack("megatron-core"), p), 1);
}

TEST(StackIoTest, OverridesUseTheFileKeys) {
  StackSpec s = LoadStack("torchtitan");
  ApplyStackOverrides({"kernels=compiled", "overlap.tp_forward=true", "overlap.dp=none"},
                      "--stack-set", &s);
  EXPECT_EQ(s.kernels, Kernels::kCompiled);
  EXPECT_EQ(s.tp_overlap_forward, TpForwardOverlap::kAlways);
  EXPECT_EQ(s.dp_overlap, DpOverlap::kNone);
  EXPECT_THROW(ApplyStackOverrides({"overlap.dpp=none"}, "--stack-set", &s), InputError);
  EXPECT_THROW(ApplyStackOverrides({"kernels"}, "--stack-set", &s), InputError);
  EXPECT_THROW(ApplyStackOverrides({"max_zero=4"}, "--stack-set", &s), InputError);
}

// The reader parses exactly the names ToString prints: one table per enum (enum_names.h). Each
// value set through --stack-set by its printed name must come back as that value.
template <class E, std::size_t N>
void ExpectEveryNameParses(const std::string& key, const EnumName<E> (&names)[N],
                           E StackSpec::*field) {
  for (const EnumName<E>& n : names) {
    StackSpec s = LoadStack("megatron-core");
    ApplyStackOverrides({key + "=" + ToString(n.value)}, "--stack-set", &s);
    EXPECT_EQ(s.*field, n.value) << key << "=" << n.name;
  }
}

TEST(StackIoTest, EveryPrintedNameParsesBack) {
  ExpectEveryNameParses("attention", kAttentionKernelNames, &StackSpec::attention);
  ExpectEveryNameParses("overlap.tp_forward", kTpForwardOverlapNames,
                        &StackSpec::tp_overlap_forward);
  ExpectEveryNameParses("overlap.dp", kDpOverlapNames, &StackSpec::dp_overlap);
  ExpectEveryNameParses("supports.sharded_grad_accum", kShardedGradAccumNames,
                        &StackSpec::sharded_grad_accum);
  ExpectEveryNameParses("supports.zero3_with_pp", kZero3WithPpNames, &StackSpec::zero3_with_pp);
  ExpectEveryNameParses("bf16_grad_reduce", kBf16GradReduceNames, &StackSpec::bf16_grad_reduce);
  ExpectEveryNameParses("kernels", kKernelsNames, &StackSpec::kernels);
  ExpectEveryNameParses("loss_kernels", kKernelsNames, &StackSpec::loss_kernels);
  ExpectEveryNameParses("selective_recompute", kSelectivePolicyNames, &StackSpec::selective);
  ExpectEveryNameParses("fp8_scaling", kFp8ScalingNames, &StackSpec::fp8_scaling);
}

TEST(StackIoTest, StackOptionsCarryTheAttentionKernelByGeneration) {
  // FlashAttention-2 on H100 SXM5, head dim 128, 2k-16k tokens (FA3 paper benchmark figures):
  // 362-370 TFLOP/s forward against cuDNN's 595-617, 291-322 backward against 465-518: 0.6.
  GpuSpec h100;
  h100.peak_tflops[static_cast<int>(Dtype::kBf16)] = 989;
  GpuSpec a100;
  a100.peak_tflops[static_cast<int>(Dtype::kBf16)] = 312;
  EXPECT_DOUBLE_EQ(AttentionEfficiency(AttentionKernel::kFlash2, h100), 0.6);
  EXPECT_DOUBLE_EQ(AttentionEfficiency(AttentionKernel::kFlash3, h100), 1.0);
  EXPECT_DOUBLE_EQ(AttentionEfficiency(AttentionKernel::kFlash3, a100),
                   AttentionEfficiency(AttentionKernel::kFlash2, a100));
  ClusterSpec c;
  c.gpu = h100;
  const StepTimeOptions o = StackOptions(LoadStack("megatron-lm-sc21"), c);
  EXPECT_FALSE(o.memory.flash_attention);
  EXPECT_TRUE(o.memory.dropout);
  EXPECT_EQ(o.grad_comm_bytes, 2);
}

TEST(StackIoTest, UserbuffersTpOverlapOnlyFromHopper) {
  // Transformer Engine's userbuffers need CUDA multicast (compute capability 9.0); the A100 path
  // needs UB_SKIPMC=1, which the recipes do not set. torchtitan's async TP is not tied to it.
  ClusterSpec h100;
  h100.gpu.peak_tflops[static_cast<int>(Dtype::kBf16)] = 989;
  ClusterSpec a100;
  a100.gpu.peak_tflops[static_cast<int>(Dtype::kBf16)] = 312;
  const StackSpec mcore = LoadStack("megatron-core");
  EXPECT_EQ(mcore.tp_overlap_forward, TpForwardOverlap::kHopper);
  EXPECT_TRUE(StackOptions(mcore, h100).overlap_tp_forward);
  EXPECT_FALSE(StackOptions(mcore, a100).overlap_tp_forward);
  StackSpec titan = LoadStack("torchtitan");
  ApplyStackOverrides({"overlap.tp_forward=true"}, "--stack-set", &titan);
  EXPECT_TRUE(StackOptions(titan, a100).overlap_tp_forward);
  EXPECT_THROW(ApplyStackOverrides({"overlap.tp_forward=ampere"}, "--stack-set", &titan),
               InputError);
}

}  // namespace
}  // namespace planner
