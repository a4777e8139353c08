// The rules by which a run record without training.stack, measured.primary, measured.accounting or
// hardware.power_limit_W gets them (record_defaults.h): each rule's cases, including framework
// texts no shipped record uses.
#include "planner/io/record_defaults.h"

#include <gtest/gtest.h>

namespace planner {
namespace {

TEST(RecordDefaultsTest, DtypeFromPrecisionTextInAnyCase) {
  const std::pair<const char*, Dtype> cases[] = {
      {"fp16 mixed precision (--fp16, loss scale 8192)", Dtype::kFp16},
      {"FP16 mixed precision", Dtype::kFp16},
      {"float16 AMP", Dtype::kFp16},
      {"bfloat16", Dtype::kBf16},  // contains "float16"
      {"BF16 (megatron_amp_O2)", Dtype::kBf16},
      {"MXFP8 (FP8-MX, 32x32 blocks on Blackwell)", Dtype::kFp8},
      {"torchao float8 linears", Dtype::kFp8},
      {"E4M3 forward, E5M2 backward", Dtype::kFp8},
      // NVFP4's block scales are E4M3: fp4 wins over the fp8 words.
      {"NVFP4 (E2M1 with E4M3 scales per 16-element block, Transformer Engine NVFP4BlockScaling)",
       Dtype::kFp4},
      {"fp4 e2m1", Dtype::kFp4},
      {"mixed precision (16-bit)", Dtype::kBf16}};
  for (const auto& [text, dtype] : cases) EXPECT_EQ(DtypeInText(text), dtype) << text;
}

TEST(RecordDefaultsTest, StackFromFrameworkText) {
  const std::pair<const char*, const char*> cases[] = {
      {"torchtitan", "torchtitan"},
      {"Megatron-DeepSpeed (bigscience fork)", "megatron-deepspeed"},
      {"GPT-NeoX (Megatron + DeepSpeed)", "megatron-deepspeed"},
      {"DeepSpeed ZeRO-3", "deepspeed"},
      {"NeMo 24.07 / Megatron-Core", "megatron-core"},
      {"Megatron-Core r0.8.0", "megatron-core"},
      {"Composer + PyTorch FSDP", "llm-foundry"},
      {"PyTorch FSDP2 (HSDP)", "fsdp"},
      {"metaseq (FairScale FSDP + Megatron-LM tensor parallelism)", "fsdp"},
      {"Megatron-LM (2022)", "megatron-lm"},
      {"Megatron-LM (2019)", "megatron-lm-sc21"},
      {"Megatron-LM (2024 main branch)", "megatron-core"},
      {"JAX on TPU", ""},
      // Other spellings a record may use: spaces or underscores for hyphens, the two names of
      // Megatron-DeepSpeed in either order, GPT-NeoX without its hyphen.
      {"Megatron DeepSpeed", "megatron-deepspeed"},
      {"DeepSpeed-Megatron (Microsoft)", "megatron-deepspeed"},
      {"Megatron-LM + DeepSpeed pipeline engine", "megatron-deepspeed"},
      {"GPTNeoX", "megatron-deepspeed"},
      {"Megatron Core 0.9", "megatron-core"},
      {"llm_foundry", "llm-foundry"},
      {"LLM Foundry", "llm-foundry"},
      // NeMo AutoModel is FSDP2 around Hugging Face models, not NeMo's Megatron-Core path.
      {"NeMo AutoModel (PyTorch FSDP2)", "automodel"},
      {"nemo_automodel", "automodel"},
      {"NeMo Automodel 26.04", "automodel"}};
  for (const auto& [framework, stack] : cases) {
    EXPECT_EQ(StackForFramework(framework, ""), stack) << framework;
  }
  // No year in the framework: the source's (Narayanan et al. 2021 ran the SC21 code).
  EXPECT_EQ(StackForFramework("Megatron-LM @6985e58", "Narayanan et al. 2021, SC21"),
            "megatron-lm-sc21");
  EXPECT_EQ(StackForFramework("Megatron-LM", ""), "megatron-lm");
  EXPECT_EQ(StackForFramework("", "a Megatron-LM paper, 2020"), "megatron-lm-sc21");
  // NeMo dates itself by its YY.MM release: 2022's NeMo Megatron ran the Apex port of
  // Megatron-LM; Transformer Engine and Megatron-Core came into NeMo in 2023.
  EXPECT_EQ(StackForFramework("NeMo Megatron 22.08 (NeMo 1.11, before Megatron-Core)", ""),
            "megatron-lm");
  EXPECT_EQ(StackForFramework("NeMo Megatron 23.11", ""), "megatron-core");
  EXPECT_EQ(StackForFramework("NeMo", "NeMo Megatron launcher README, 2022"), "megatron-lm");
  EXPECT_EQ(StackForFramework("NeMo", ""), "megatron-core");
  // DeepSpeed gathered ZeRO-3 parameters one at a time until v0.5.6 (c0eeb69, 2021-10-31).
  EXPECT_EQ(StackForFramework("DeepSpeed ZeRO-3 (2021)", ""), "deepspeed-2021");
  EXPECT_EQ(StackForFramework("DeepSpeed ZeRO-3", "Narayanan et al. 2021, SC21"), "deepspeed-2021");
  EXPECT_EQ(StackForFramework("DeepSpeed 2023 (ZeRO-3)", ""), "deepspeed");
  // A YY.MM release is read only as two digits from 20 and a month.
  EXPECT_EQ(StackForFramework("NeMo (CUDA 12.1, NCCL 2.18)", ""), "megatron-core");
  EXPECT_EQ(StackForFramework("Megatron-LM, NGC PyTorch 21.05", ""), "megatron-lm-sc21");
}

TEST(RecordDefaultsTest, PrimaryIsTheMostDirectMeasurement) {
  EXPECT_EQ(PrimaryMetricKey({"tflops_per_gpu", "iteration_time_s"}), "iteration_time_s");
  EXPECT_EQ(PrimaryMetricKey({"mfu_pct", "tokens_per_sec_per_gpu", "tokens_per_sec"}),
            "tokens_per_sec");
  EXPECT_EQ(PrimaryMetricKey({"mfu_pct", "model_tflops_per_gpu"}), "model_tflops_per_gpu");
  EXPECT_EQ(PrimaryMetricKey({"mfu_pct"}), "mfu_pct");
  // Percent of peak, HFU and aggregate PFLOP/s only where nothing more direct is stated.
  EXPECT_EQ(PrimaryMetricKey({"hfu_pct", "pct_of_peak", "mfu_pct"}), "mfu_pct");
  EXPECT_EQ(PrimaryMetricKey({"aggregate_pflops", "hfu_pct", "pct_of_peak"}), "pct_of_peak");
  EXPECT_EQ(PrimaryMetricKey({"aggregate_pflops", "hfu_pct"}), "hfu_pct");
  EXPECT_EQ(PrimaryMetricKey({"aggregate_pflops"}), "aggregate_pflops");
  EXPECT_EQ(PrimaryMetricKey({"memory_gib_per_gpu"}), "");
}

TEST(RecordDefaultsTest, AccountingFromFormulaText) {
  EXPECT_EQ(AccountingForFormula("Narayanan Eq.3: F = 96*B*s*l*h^2*(...)"), "narayanan");
  EXPECT_EQ(AccountingForFormula("MFU: model FLOPs 72*B*s*l*h^2*(...)"), "korthikanti");
  EXPECT_EQ(AccountingForFormula("Megatron-Core num_floating_point_operations"), "megatron-core");
  EXPECT_EQ(AccountingForFormula("BF16 MFU after Chowdhery et al. (PaLM)"), "palm");
  EXPECT_EQ(AccountingForFormula("MosaicML: MFU = (3*2*N*s + 3*4*L*d*s^2)"), "palm");
  // PaLM's attention term in other letters; Megatron's logged TFLOP/s with the recompute.
  EXPECT_EQ(AccountingForFormula("torchtitan: 6*num_params + 12*l*h*q*t per token"), "palm");
  EXPECT_EQ(AccountingForFormula("NanoGPT/PaLM methodology (6N + 12 * L * d * s per token)"),
            "palm");
  EXPECT_EQ(AccountingForFormula("GPT-NeoX logs Megatron-style TFLOP/s with the recompute forward"),
            "narayanan");
  EXPECT_EQ(AccountingForFormula("Megatron-Core model FLOPs (no recompute, non-causal attention)"),
            "megatron-core");
  EXPECT_EQ(AccountingForFormula("Megatron-style model FLOPs without recompute"), "6nd");
  EXPECT_EQ(AccountingForFormula("MFU: 72*B*s*l*h^2*(1 + s/(6h) + V/(12*l*h))"), "korthikanti");
  EXPECT_EQ(AccountingForFormula("not stated by the paper"), "6nd");
  EXPECT_EQ(AccountingForFormula(""), "6nd");
}

// Every attention text of tests/data/runs.yaml, and the spellings a source uses otherwise.
TEST(RecordDefaultsTest, AttentionTextNamesAFusedKernelOrNot) {
  for (const char* fused : {"flash (attn_impl: flash)", "SDPA (flash)", "SDPA FlashAttention v2",
                            "FlashAttention-2", "cuDNN fused attention"}) {
    EXPECT_TRUE(AttentionTextIsFused(fused)) << fused;
  }
  for (const char* unfused : {"standard (Megatron-LM fused softmax; no FlashAttention)",
                              "torch (attn_impl: torch)", "eager", "math backend"}) {
    EXPECT_FALSE(AttentionTextIsFused(unfused)) << unfused;
  }
}

TEST(RecordDefaultsTest, MoeFromNotes) {
  const std::optional<NotesMoe> qwen =
      MoeInNotes("force-balanced. moe: n_experts=128 top_k=8 d_ff_expert=768 kv_channels=128.");
  ASSERT_TRUE(qwen);
  EXPECT_EQ(qwen->n_experts, 128);
  EXPECT_EQ(qwen->top_k, 8);
  EXPECT_EQ(qwen->d_ff_expert, 768);
  EXPECT_EQ(qwen->shared_experts, 0);
  const std::optional<NotesMoe> v3 = MoeInNotes(
      "moe: n_experts: 256, top_k: 8, d_ff_expert=2048 shared_experts=1 dense_layers=3 "
      "dense_d_ff=18432; MLA q_lora 1536");
  ASSERT_TRUE(v3);
  EXPECT_EQ(v3->n_experts, 256);
  EXPECT_EQ(v3->shared_experts, 1);
  EXPECT_EQ(v3->dense_layers, 3);
  EXPECT_EQ(v3->dense_d_ff, 18432);
  EXPECT_EQ(MoeInNotes("moe: n_experts=8"), std::nullopt);  // no top_k
  EXPECT_EQ(MoeInNotes("a dense model"), std::nullopt);
}

TEST(RecordDefaultsTest, PowerLimitFromGpuText) {
  EXPECT_EQ(PowerLimitInGpuText("H100 96GB HBM2e (Grand Teton, 500W power limit)"), 500);
  EXPECT_EQ(PowerLimitInGpuText("H100 at a 450 W power limit"), 450);
  EXPECT_FALSE(PowerLimitInGpuText("H100-SXM5-80GB (Grand Teton, 700W TDP, HBM3)"));
}

TEST(RecordDefaultsTest, HbmCapacityFromGpuText) {
  EXPECT_EQ(HbmGbInGpuText("H100 96GB HBM2e (Grand Teton, 500W power limit)"), 96);
  EXPECT_EQ(HbmGbInGpuText("H100 SXM 95GB HBM2e, lower TDP"), 95);
  EXPECT_EQ(HbmGbInGpuText("A100-SXM4-40GB (Supermicro AS-4124GO-NART)"), 40);
  EXPECT_EQ(HbmGbInGpuText("A100 80 GB"), 80);
  // A part name, a bandwidth and a bare count are not capacities.
  EXPECT_FALSE(HbmGbInGpuText("GB200 (DGX-GB200, NVL72)"));
  EXPECT_FALSE(HbmGbInGpuText("H100 with 400 GB/s NVLink"));
  EXPECT_FALSE(HbmGbInGpuText("B200 (DGX-B200)"));
}

// Every interconnect text of tests/data/runs.yaml, and the p4d one the presets did not cover.
TEST(RecordDefaultsTest, ScaleOutBandwidthPerGpuFromInterconnectText) {
  const struct {
    const char* text;
    int64_t gpus_per_node;
    std::optional<double> GBps;
  } cases[] = {{"NVLink intra-host; 400 Gb/s per GPU RDMA", 8, 400.0 / 8},
               {"400 Gb/s per GPU RDMA (Mellanox CX-7)", 8, 400.0 / 8},
               {"1600 Gbps RoCE node-node", 8, 1600.0 / 8 / 8},
               {"4x NVLink intra-node; 4x Omni-Path 100 Gbps per node", 8, 4 * 100.0 / 8 / 8},
               {"NVSwitch intra-node; 8x 100 Gb/s InfiniBand per DGX-2H", 16, 8 * 100.0 / 8 / 16},
               {"4x ConnectX-6 HDR InfiniBand per node (GPUDirect RDMA)", 8, 4 * 200.0 / 8 / 8},
               {"400 Gbps EFA per instance", 8, 400.0 / 8 / 8},
               // No scope: between nodes of how many NICs? Not answered.
               {"NVLink intra-node; 400 Gbps RoCE (Arista 7800) between nodes", 8, std::nullopt},
               {"HDR InfiniBand fat tree", 8, std::nullopt},
               {"InfiniBand", 8, std::nullopt}};
  for (const auto& c : cases) {
    const std::optional<double> got = ScaleOutGBpsPerGpu(c.text, c.gpus_per_node);
    EXPECT_EQ(got.has_value(), c.GBps.has_value()) << c.text;
    if (got && c.GBps) {
      EXPECT_DOUBLE_EQ(*got, *c.GBps) << c.text;
    }
  }
}

// The wording rules RecomputeInText states: a leading full/selective/none, then SAC, then a
// negation, then the phrasings of full checkpointing; anything else is not an answer.
TEST(RecomputeInTextTest, MapsCommonWordingAndLeavesTheRestUnstated) {
  const std::pair<const char*, std::optional<Recompute>> cases[] = {
      {"full (every block)", Recompute::kFull},
      {"Full", Recompute::kFull},
      {"selective + sequence parallel", Recompute::kSelective},
      {"op-level SAC", Recompute::kSelective},
      {"none", Recompute::kNone},
      {"no activation checkpointing", Recompute::kNone},
      {"activations_checkpoint_num_layers 0 (no layer checkpointed)", Recompute::kNone},
      {"disabled", Recompute::kNone},
      {"activation checkpointing", Recompute::kFull},
      {"--checkpoint-activations", Recompute::kFull},
      {"yes", Recompute::kFull},
      {"partial (every other layer)", std::nullopt},
      {"block", std::nullopt}};
  for (const auto& [text, setting] : cases) EXPECT_EQ(RecomputeInText(text), setting) << text;
}

TEST(RecordDefaultsTest, TorchtitanCompilesItsLossFrom2025) {
  EXPECT_TRUE(TorchtitanCompilesLoss("torchtitan", "PyTorch blog, 2025-05"));
  EXPECT_FALSE(TorchtitanCompilesLoss("torchtitan", "benchmarks/llama3_h100_202412 (2024-12)"));
  EXPECT_FALSE(TorchtitanCompilesLoss("torchtitan", ""));
}

TEST(RecordDefaultsTest, ShardGroupFromFsdpText) {
  EXPECT_EQ(ShardGroupInFsdpText("FSDP2 (dp_shard 32)", 8), 32);
  EXPECT_EQ(ShardGroupInFsdpText("HYBRID_SHARD (HSDP, shard group = 8 GPUs of a node)", 4), 8);
  EXPECT_EQ(ShardGroupInFsdpText("sharding_strategy hsdp, sharding_group_size: 16", 8), 16);
  // Hybrid without a size: FSDP shards within a node.
  EXPECT_EQ(ShardGroupInFsdpText("HYBRID_SHARD (inferred)", 8), 8);
  EXPECT_EQ(ShardGroupInFsdpText("FULL_SHARD (FSDP2, 1D)", 8), std::nullopt);
  EXPECT_EQ(ShardGroupInFsdpText("", 8), std::nullopt);
}

}  // namespace
}  // namespace planner
