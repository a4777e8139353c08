// The frontier presets (issue 17) against their published counts: exact where a checkpoint's
// count is public (HF Hub safetensors metadata, a printed sum(p.numel()), a checkpoint inventory),
// else to the precision of the stated figure. Sources are named in each configs/models/*.yaml.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "planner/core/flops.h"
#include "planner/core/params.h"
#include "planner/io/model_io.h"

namespace planner {
namespace {

// n in units of `unit`, rounded half up, as a model card's "30.5B" rounds.
int64_t Rounded(Count n, double unit) {
  return std::llround(static_cast<double>(n) / unit);
}

ParamCount Preset(const std::string& name) { return CountParams(LoadModel(name)); }

TEST(FrontierPresetsTest, DeepSeekV3) {
  const ParamCount p = Preset("deepseek-v3");
  EXPECT_EQ(p.total, 671026419200);  // main model; MTP apart (issue 17, README_WEIGHTS "671B")
  // README_WEIGHTS: "Activation parameters: 36.6B (including 0.9B for the output Head)".
  EXPECT_EQ(Rounded(p.active_without_input_embedding, 1e8), 366);
  EXPECT_EQ(Rounded(p.active, 1e9), 38);  // with the input lookup; the paper's "37B" excludes it
  // README_WEIGHTS: MTP "11.5B unique parameters" = its transformer layer; the module adds
  // eh_proj (2 * 7168 * 7168) and three RMSNorms (3 * 7168).
  EXPECT_EQ(Rounded(p.mtp - 2 * Count{7168} * 7168 - 3 * 7168, 1e8), 115);
}

TEST(FrontierPresetsTest, KimiK2) {
  // DeepSeek-V3's layer with 64 heads, 384 routed experts, one dense layer, V = 163,840, no MTP
  // (HF config.json). Attention and norms per layer: q_a d*1536 + 1536, q_b 1536*64*192,
  // kv_a d*576 + 512, kv_b 512*64*256, o 64*128*d, 2d; an expert 3*d*2048; router d*384 + 384.
  const Count d = 7168, v = 163840;
  const Count attention = d * 1536 + 1536 + 1536 * 64 * 192 + d * 576 + 512 + 512 * 64 * 256 +
                          64 * 128 * d + 2 * d;
  const Count expert = 3 * d * 2048, router = d * 384 + 384;
  const Count dense_layer = attention + 3 * d * 18432;
  const Count moe_layer = attention + 385 * expert + router;  // 384 routed + 1 shared
  const ParamCount p = Preset("kimi-k2");
  EXPECT_EQ(p.total, v * d + dense_layer + 60 * moe_layer + d + v * d);
  EXPECT_EQ(p.mtp, 0);
  // Model card: "1T total parameters, 32B activated" (8 routed + 1 shared expert per token, the
  // head counted, the input lookup not).
  EXPECT_EQ(Rounded(p.total, 1e12), 1);
  EXPECT_EQ(p.active_without_input_embedding,
            61 * attention + 3 * d * 18432 + 60 * (9 * expert + router) + d + v * d);
  EXPECT_EQ(Rounded(p.active_without_input_embedding, 1e9), 32);
}

TEST(FrontierPresetsTest, NemotronThreeNano) {
  // Megatron-Bridge's recipe (recipes/nemotronh/h100/nemotron_3_nano.py:78-126) and Megatron-Core's
  // MambaMixer: 23 Mamba-2 layers (in_proj d -> 2*4096 + 2*8*128 + 64, conv1d of 4 taps with bias
  // over 4096 + 2*8*128 channels, dt_bias/A_log/D of 64, gated norm 4096, out_proj 4096 -> d), 6
  // attention layers (32 heads / 2 kv of 128), 23 MoE layers (128 squared-ReLU experts of 1856 and
  // one shared of 3712, router d*128 and its expert bias, a tensor of the checkpoint), one norm per
  // layer, untied.
  const Count d = 2688, v = 131072;
  const Count mamba = d * 10304 + 6144 * 5 + 3 * 64 + 4096 + 4096 * d;
  const Count attention = 2 * d * 4096 + 2 * d * 256;
  const Count expert = 2 * d * 1856, moe = 128 * expert + 2 * d * 3712 + d * 128 + 128;
  const ParamCount p = Preset("nemotron-3-nano");
  EXPECT_EQ(p.total, 2 * v * d + 23 * mamba + 6 * attention + 23 * moe + 52 * d + d);
  // NVIDIA's announcement: "a 3.2B active (3.6B with embeddings), 31.6B total parameter model".
  EXPECT_EQ(Rounded(p.total, 1e8), 316);
  EXPECT_EQ(Rounded(p.active, 1e8), 36);
  EXPECT_EQ(Rounded(p.active_without_input_embedding, 1e8), 32);
  EXPECT_EQ(p.active, p.total - 23 * 122 * expert);  // 6 of 128 experts run per token
}

// Megatron-Core's accounting per token of a preset at its training sequence length.
double MegatronCoreFlopsPerToken(const std::string& preset) {
  const ModelSpec m = LoadModel(preset);
  const FlopsOptions o{m.seq_len, 1, false, Recompute::kNone};
  return AccountFlops(m, o, Accounting::kMegatronCore).step_flops / static_cast<double>(m.seq_len);
}

// Megatron-Core's hybrid FLOPs per token (training.py hybrid_flops), which Megatron-Bridge's
// performance tables report: their Nemotron 3 Nano rows give model TFLOP/s and tokens/s whose
// ratio is the FLOPs per token, e.g. 26.02.01's GB300 row 839 TFLOP/s at 37,664 tokens/s/GPU
// and GB200 row 756 at 33,934 (to the rounding of the 3-digit TFLOP/s, 0.06%).
TEST(FrontierPresetsTest, NemotronThreeNanoMegatronCoreFlopsAreTheTablesRatio) {
  const double per_token = MegatronCoreFlopsPerToken("nemotron-3-nano");
  EXPECT_NEAR(per_token / (839e12 / 37664), 1, 6e-4);
  EXPECT_NEAR(per_token / (756e12 / 33934), 1, 7e-4);
}

TEST(FrontierPresetsTest, NemotronThreeSuper) {
  // Megatron-LM's Super release config and Megatron-Bridge's unit tests: 40 Mamba-2 layers (in_proj
  // d -> 2*8192 + 2*8*128 + 128, conv1d over 8192 + 2048 channels, dt_bias/A_log/D of 128, gated
  // norm 8192, out_proj 8192 -> d), 8 attention layers (32 heads / 2 kv of 128), 40 LatentMoE
  // layers (512 squared-ReLU experts 1024 -> 2688 -> 1024, one shared of 5376 at d, the down and up
  // latent projections d x 1024 each, router d*512 and its bias), one norm per layer, untied. MTP:
  // one block (the 2d -> d projection, 3 norms, an attention and a LatentMoE layer of 2 norms)
  // at two depths with shared weights.
  const Count d = 4096, v = 131072;
  const Count mamba = d * 18560 + 10240 * 5 + 3 * 128 + 8192 + 8192 * d;
  const Count attention = 2 * d * 4096 + 2 * d * 256;
  const Count expert = 2 * 1024 * 2688;
  const Count moe = 512 * expert + 2 * d * 5376 + 2 * d * 1024 + d * 512 + 512;
  const ParamCount p = Preset("nemotron-3-super");
  EXPECT_EQ(p.total, 2 * v * d + 40 * mamba + 8 * attention + 40 * moe + 88 * d + d);
  EXPECT_EQ(p.mtp, 2 * d * d + 3 * d + attention + moe + 2 * d);
  // The HF checkpoint's element count, MTP block included (the helper study's sum over its
  // tensors).
  EXPECT_EQ(p.total + p.mtp, 123611033088);
  // NVIDIA: "a 12B active 120B total parameter" model; the report, as quoted: 120.6B, 12.7B active.
  EXPECT_EQ(p.total / 100000000, 1206);
  EXPECT_EQ(p.active / 100000000, 127);
  EXPECT_EQ(Rounded(p.active_without_input_embedding, 1e9), 12);
}

// Megatron-Core's hybrid FLOPs with LatentMoE and two MTP depths (training.py moe_layer_flops'
// latent branch; hybrid_flops counts each depth's attention and MoE layer and the logits with
// them): the tables' Nemotron 3 Super rows, e.g. 26.04's GB300 row 783 TFLOP/s at 9,243
// tokens/s/GPU (their ratios lie between 84.3 and 85.2 GFLOP: 3-digit TFLOP/s).
TEST(FrontierPresetsTest, NemotronThreeSuperMegatronCoreFlopsAreTheTablesRatio) {
  EXPECT_NEAR(MegatronCoreFlopsPerToken("nemotron-3-super") / (783e12 / 9243), 1, 1e-3);
}

TEST(FrontierPresetsTest, NemotronThreeUltra) {
  // Megatron-LM's ModelOpt conf: 48 Mamba-2 layers (256 heads of 64: in_proj d -> 2*16384 +
  // 2*8*128 + 256, conv1d over 16384 + 2048 channels, dt_bias/A_log/D of 256, gated norm 16384,
  // out_proj 16384 -> d), 12 attention layers (64 heads / 2 kv of 128), 48 LatentMoE layers (512
  // squared-ReLU experts 2048 -> 5120 -> 2048, one shared of 10240 at d, latent projections d x
  // 2048 each, router d*512 and its bias), one norm per layer, untied; vocabulary 131,072 and
  // the MTP block (attention + LatentMoE, shared at two depths) taken as Super's.
  const Count d = 8192, v = 131072;
  const Count mamba = d * 35072 + 18432 * 5 + 3 * 256 + 16384 + 16384 * d;
  const Count attention = 2 * d * 8192 + 2 * d * 256;
  const Count expert = 2 * 2048 * 5120;
  const Count moe = 512 * expert + 2 * d * 10240 + 2 * d * 2048 + d * 512 + 512;
  const ParamCount p = Preset("nemotron-3-ultra");
  EXPECT_EQ(p.total, 2 * v * d + 48 * mamba + 12 * attention + 48 * moe + 108 * d + d);
  EXPECT_EQ(p.mtp, 2 * d * d + 3 * d + attention + moe + 2 * d);
  // NVIDIA: "550B total / A55B active"; the Hub lists the BF16 checkpoint (MTP in) as 561B.
  EXPECT_EQ(Rounded(p.total, 1e10), 55);
  EXPECT_EQ(Rounded(p.active_without_input_embedding, 1e9), 55);
  EXPECT_EQ(Rounded(p.total + p.mtp, 1e9), 561);
}

TEST(FrontierPresetsTest, NemotronThreeFiveLightningIsNanoWithMtp) {
  const ParamCount nano = Preset("nemotron-3-nano"), p = Preset("nemotron-3.5-lightning");
  EXPECT_EQ(p.total, nano.total);
  // The MTP block: the 2d -> d projection, 3 norms, an attention layer (32 heads / 2 kv of 128)
  // and an MoE layer (128 experts of 1856, one shared of 3712, router and bias) of 2 norms.
  const Count d = 2688;
  const Count moe = 128 * 2 * d * 1856 + 2 * d * 3712 + d * 128 + 128;
  EXPECT_EQ(p.mtp, 2 * d * d + 3 * d + (2 * d * 4096 + 2 * d * 256) + moe + 2 * d);
  // Megatron-Bridge's model verification card: "all 6,513 tensors and 32,913,266,240 parameters
  // match" (examples/model_verification_cards/nemotron-3.5-lightning/card.yaml:62).
  EXPECT_EQ(p.total + p.mtp, 32913266240);
  // Megatron-Core's accounting with its two MTP depths: the 26.08 GB200 row, 807 TFLOP/s at
  // 28,672 tokens/s/GPU (3-digit TFLOP/s: 0.06%).
  EXPECT_NEAR(MegatronCoreFlopsPerToken("nemotron-3.5-lightning") / (807e12 / 28672), 1, 1e-3);
}

TEST(FrontierPresetsTest, DeepSeekV4Flash) {
  const ParamCount p = Preset("deepseek-v4-flash");
  // HF config.json: d 4096, 64 heads of 512, q_lora 1024, o_lora 1024 in 8 groups, 256 experts
  // of 2048 + 1 shared, V 129280, hc_mult 4; compress ratios 0 x 2, (4, 128) x 20, 4.
  const Count d = 4096, v = 129280, q = 64 * 512, n = 4, maps = n * n + 2 * n;
  const Count attention = d * 1024 + 1024 + 1024 * q + d * 512 + 512 + q * 1024 + 8 * 1024 * d + 64;
  const Count csa = 2 * d * 1024 + 4 * 1024 + 512 +                          // ratio-4 compressor
                    1024 * 64 * 128 + d * 64 + 2 * d * 256 + 4 * 256 + 128;  // indexer
  const Count hca = 2 * d * 512 + 128 * 512 + 512;                           // ratio-128 compressor
  const Count layer =
      attention + 2 * (n * d * maps + maps + 3) + 2 * d + 257 * 3 * d * 2048 + d * 256 + 256;
  const Count head = n * n * d + n + 1;  // hyper-connections' output map
  EXPECT_EQ(p.total, 43 * layer + 21 * csa + 20 * hca + 2 * v * d + d + head);
  EXPECT_EQ(Rounded(p.total, 1e9), 284);                          // model card: 284B total
  EXPECT_EQ(Rounded(p.active_without_input_embedding, 1e9), 13);  // "13B activated"
  EXPECT_EQ(p.mtp, layer + 2 * d * d + 3 * d + head);  // the MTP layer compresses nothing
  // Megatron-Core's accounting (dsv4 branch of flop_utils.py): the 26.08 GB200 row, 706 TFLOP/s
  // at 7,776 tokens/s/GPU (3-digit TFLOP/s: 0.07%).
  EXPECT_NEAR(MegatronCoreFlopsPerToken("deepseek-v4-flash") / (706e12 / 7776), 1, 1e-3);
}

TEST(FrontierPresetsTest, DeepSeekV2Lite) {
  const ParamCount p = Preset("deepseek-v2-lite");
  EXPECT_EQ(p.total, 15706484224);  // printed by a client loading the HF model
  // Paper: "2.4B activated", DeepSeek's convention (no input lookup), truncated to 0.1B.
  EXPECT_EQ(p.active_without_input_embedding / 100000000, 24);
}

TEST(FrontierPresetsTest, Qwen3) {
  const ParamCount a = Preset("qwen3-30b-a3b");
  EXPECT_EQ(a.total, 30532122624);  // HF safetensors total; GGUF general.parameter_count
  EXPECT_EQ(a.active / 100000000, 33);  // card "3.3B activated": 3,353,032,704 truncated to 0.1B
  EXPECT_EQ(Rounded(a.non_embedding, 1e8), 299);  // card: 29.9B non-embedding
  const ParamCount b = Preset("qwen3-235b-a22b");
  EXPECT_EQ(b.total, 235093634560);  // HF safetensors total; index total_size 470,187,269,120 B / 2
  EXPECT_EQ(Rounded(b.active, 1e9), 22);
  EXPECT_EQ(Rounded(b.non_embedding, 1e9), 234);  // card: 234B non-embedding
}

TEST(FrontierPresetsTest, GptOss120b) {
  // The count derived in configs/models/gpt-oss-120b.yaml from config.json, against the model
  // card (arXiv:2508.10925): "116.8B total parameters (5.1B active)"; MLP 114.71B, attention
  // 0.96B, embedding + unembedding 1.16B.
  const Count d = 2880, v = 201088, h = 64, kv = 8, hd = 64, f = 2880, e = 128;
  const Count attention = d * h * hd + h * hd + 2 * (d * kv * hd + kv * hd) + h * hd * d + d + h;
  const Count expert = d * 2 * f + 2 * f + f * d + d, router = d * e + e;
  const Count layer = attention + e * expert + router + 2 * d;
  const ParamCount p = Preset("gpt-oss-120b");
  EXPECT_EQ(p.total, 36 * layer + d + 2 * v * d);
  EXPECT_EQ(p.total, 116829156672);
  EXPECT_EQ(Rounded(p.total, 1e8), 1168);
  EXPECT_EQ(Rounded(p.active_without_input_embedding, 1e8), 51);
  EXPECT_EQ(Rounded(36 * (e * expert + router), 1e7), 11471);  // MLP 114.71B
  EXPECT_EQ(Rounded(36 * attention, 1e7), 96);                 // attention 0.96B
  EXPECT_EQ(Rounded(p.embedding, 1e7), 116);                   // embedding + unembedding 1.16B
}

TEST(FrontierPresetsTest, MixtralAndDbrx) {
  const ParamCount m = Preset("mixtral-8x22b");
  EXPECT_EQ(m.total, 140630071296);
  EXPECT_EQ(Rounded(m.active, 1e9), 39);  // Mistral AI: 39B active
  const ParamCount d = Preset("dbrx");
  EXPECT_EQ(Rounded(d.total, 1e9), 132);  // Databricks: 132B total, 36B active
  EXPECT_EQ(Rounded(d.active, 1e9), 36);
}

TEST(FrontierPresetsTest, Llama4TextModelsPlusTheVisionTowerAreTheHubTotals) {
  // Vision encoder and projector of both models: 34 layers of 23,807,872, embeddings and norms
  // 1,647,360, pixel-shuffle MLP 39,845,888, projector 20,971,520.
  const Count vision = 34 * Count{23807872} + 1647360 + 39845888 + 20971520;
  EXPECT_EQ(vision, 871932416);
  const ParamCount scout = Preset("llama4-scout");
  const ParamCount maverick = Preset("llama4-maverick");
  EXPECT_EQ(scout.total + vision, 108641793536);
  EXPECT_EQ(maverick.total + vision, 401583781376);
  EXPECT_EQ(Rounded(scout.active, 1e9), 17);  // Meta: 17B active
  EXPECT_EQ(Rounded(maverick.active, 1e9), 17);
}

TEST(FrontierPresetsTest, DenseModels) {
  EXPECT_EQ(Preset("gemma2-27b").total, 27227128320);  // KerasHub gemma2_27b_en "params"
  EXPECT_EQ(Preset("olmo2-7b").total, 7298617344);     // HF safetensors total
  EXPECT_EQ(Preset("olmo2-13b").total, 13716198400);   // HF safetensors total
}

TEST(FrontierPresetsTest, Grok1IsItsCheckpoint) {
  EXPECT_EQ(Preset("grok-1").total, 315684820992);  // elements in the released checkpoint
}

TEST(FrontierPresetsTest, RelativePositionsBringChinchillaAndGopherToTheirNominalSizes) {
  EXPECT_EQ(Rounded(Preset("chinchilla-70b").total, 1e9), 70);  // Hoffmann et al. Table 4
  EXPECT_EQ(Rounded(Preset("gopher-280b").total, 1e9), 280);    // Rae et al. Table 1
}

}  // namespace
}  // namespace planner
