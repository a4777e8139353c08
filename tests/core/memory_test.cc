// The memory model against Korthikanti et al. 2022, Table 2, derived by hand in each test: bytes of
// activations per transformer layer for a GPT layer (GeLU, d_ff = 4h, MHA) with dropout and the
// s x s attention matrix materialised (no FlashAttention), as the paper assumes:
//   no parallelism                      s b h (34 + 5 a s / h)
//   tensor parallel (TP)                s b h (10 + 24 / t + 5 a s / (h t))
//   TP + sequence parallel (SP)         s b h / t (34 + 5 a s / h)
//   TP + selective recompute            s b h (10 + 24 / t)
//   TP + SP + selective recompute       s b h / t * 34
//   full recompute                      2 s b h (and 2 s b h / t with SP)
// plus the pipeline's in-flight micro-batches and torchtitan's op-level SAC.
#include "planner/core/memory.h"

#include <gtest/gtest.h>

#include "model_fixtures.h"
#include "planner/core/params.h"
#include "planner/core/stack_spec.h"

namespace planner {
namespace {

// Korthikanti Table 3 shapes: 22B (h 6144, 64 heads, 48 layers) and 175B (h 12288, 96 heads,
// 96 layers), sequence 2048, vocabulary 51,200.
ModelSpec Gpt22B() { return testing::GptShape(48, 6144, 64, 51200, 2048); }
ModelSpec Gpt175B() { return testing::GptShape(96, 12288, 96, 51200, 2048); }

// Llama 3.1 8B as torchtitan trains it: 32 layers, h 4096, 32 heads, 8 KV heads, SwiGLU f
// 14336, RMSNorm, RoPE, vocabulary 128,256, sequence 8,192.
ModelSpec Llama31_8B() {
  ModelSpec m = testing::Seed002Model();
  m.n_layers = 32;
  m.d_model = 4096;
  m.n_heads = 32;
  m.n_kv_heads = 8;
  m.head_dim = 128;
  m.d_ff = 14336;
  m.vocab_size = 128256;
  m.seq_len = 8192;
  m.position = Position::kRope;
  return m;
}

MemoryOptions Korthikanti() {
  MemoryOptions o;
  o.flash_attention = false;
  o.dropout = true;
  return o;
}

ParallelConfig Layout(int64_t tp, int64_t mb, bool sp, Recompute rc) {
  ParallelConfig p;
  p.tp = tp;
  p.micro_batch = mb;
  p.global_batch = mb;
  p.sp = sp;
  p.recompute = rc;
  return p;
}

struct Table2Shape {
  double s, b, h, a, t;
};

void ExpectTable2(const ModelSpec& m, int64_t tp, int64_t mb) {
  const Table2Shape x{static_cast<double>(m.seq_len), static_cast<double>(mb),
                static_cast<double>(m.d_model), static_cast<double>(m.n_heads),
                static_cast<double>(tp)};
  const double sbh = x.s * x.b * x.h, score = 5 * x.a * x.s / x.h;
  const MemoryOptions o = Korthikanti();
  auto bytes = [&](int64_t t, bool sp, Recompute rc) {
    return LayerActivationBytes(m, Layout(t, mb, sp, rc), o);
  };
  EXPECT_DOUBLE_EQ(bytes(1, false, Recompute::kNone), sbh * (34 + score));
  EXPECT_DOUBLE_EQ(bytes(tp, false, Recompute::kNone), sbh * (10 + 24 / x.t + score / x.t));
  EXPECT_DOUBLE_EQ(bytes(tp, true, Recompute::kNone), sbh / x.t * (34 + score));
  EXPECT_DOUBLE_EQ(bytes(tp, false, Recompute::kSelective), sbh * (10 + 24 / x.t));
  EXPECT_DOUBLE_EQ(bytes(tp, true, Recompute::kSelective), sbh / x.t * 34);
  EXPECT_DOUBLE_EQ(bytes(tp, false, Recompute::kFull), 2 * sbh);
  EXPECT_DOUBLE_EQ(bytes(tp, true, Recompute::kFull), 2 * sbh / x.t);
}

TEST(MemoryTest, KorthikantiTable2For22B) { ExpectTable2(Gpt22B(), 8, 4); }
TEST(MemoryTest, KorthikantiTable2For175B) { ExpectTable2(Gpt175B(), 8, 1); }
TEST(MemoryTest, KorthikantiTable2ForOtherDegrees) { ExpectTable2(Gpt22B(), 4, 2); }

TEST(MemoryTest, KorthikantiNumbersFor175BAtTp8) {
  // Per layer, b = 1, t = 8 (Korthikanti sec. 4.3's example): 5as/h = 5*96*2048/12288 = 80, so
  // TP alone stores sbh (10 + 3 + 10) = 23 sbh and TP+SP+selective 34/8 = 4.25 sbh: 5.4x less.
  const ModelSpec m = Gpt175B();
  const double sbh = 2048.0 * 12288;
  const MemoryOptions o = Korthikanti();
  EXPECT_DOUBLE_EQ(LayerActivationBytes(m, Layout(8, 1, false, Recompute::kNone), o), 23 * sbh);
  EXPECT_DOUBLE_EQ(LayerActivationBytes(m, Layout(8, 1, true, Recompute::kSelective), o),
                   4.25 * sbh);
}

TEST(MemoryTest, HyperConnectionsKeepEachSublayersStreams) {
  // mHC (DeepSeek-V4): the residual is n streams of h; each of a layer's two sublayers keeps its
  // n-stream input for the mixing's backward, n - 1 streams of 2 s b h bytes beyond Korthikanti's
  // residual; full recompute checkpoints the layer's n-stream input.
  const ModelSpec plain = Gpt22B();
  ModelSpec mhc = plain;
  mhc.hyper_connections = 4;
  const double sbh = 2048.0 * 4 * 6144;
  const MemoryOptions o = Korthikanti();
  for (const bool sp : {false, true}) {
    const ParallelConfig p = Layout(8, 4, sp, Recompute::kNone);
    const double rep = sp ? 1.0 / 8 : 1.0;
    EXPECT_DOUBLE_EQ(LayerActivationBytes(mhc, p, o) - LayerActivationBytes(plain, p, o),
                     2 * 2 * sbh * rep * 3);
  }
  EXPECT_DOUBLE_EQ(LayerActivationBytes(mhc, Layout(8, 4, true, Recompute::kFull), o),
                   4 * 2 * sbh / 8);
}

TEST(MemoryTest, CpuOffloadingKeepsTheOtherLayersAndOneInTransit) {
  // Without pipelining one micro-batch is in flight: all 48 layers' activations; offloading 12
  // leaves 36 and the one being copied.
  const ModelSpec m = Gpt22B();
  ClusterSpec c = testing::H100Nodes(1);
  c.gpu.host_link_GBps = 32;
  ParallelConfig p = Layout(8, 1, true, Recompute::kNone);
  EXPECT_DOUBLE_EQ(EstimateMemory(m, c, p).inflight_layer_microbatches, 48);
  p.offload_layers = 12;
  const MemoryBreakdown mem = EstimateMemory(m, c, p);
  EXPECT_DOUBLE_EQ(mem.inflight_layer_microbatches, 48 - 12 + 1);
  // The host holds the 12 offloaded layers' activations (beside the GPU's total, not in it).
  EXPECT_DOUBLE_EQ(mem.host_offload, 12 * mem.layer_activation_bytes);
  c.gpu.host_GiB = 12 * mem.layer_activation_bytes / (1 << 30);
  EXPECT_TRUE(HostHoldsOffload(mem, c));
  c.gpu.host_GiB *= 0.99;
  EXPECT_FALSE(HostHoldsOffload(mem, c));
}

TEST(MemoryTest, FlashAttentionActsLikeSelectiveForTheScores) {
  // No s x s matrix is stored, only fp32 softmax statistics (4 a s b / t bytes).
  const ModelSpec m = Gpt22B();
  MemoryOptions o = Korthikanti();
  o.flash_attention = true;
  const ParallelConfig p = Layout(8, 4, true, Recompute::kNone);
  const double sbh = 2048.0 * 4 * 6144;
  EXPECT_DOUBLE_EQ(LayerActivationBytes(m, p, o), sbh / 8 * 34 + 4.0 * 64 * 2048 * 4 / 8);
}

TEST(MemoryTest, WithoutDropoutTheMasksGo) {
  // Three 1-byte masks per layer: attention probabilities (a s^2 b), and two of s b h.
  const ModelSpec m = Gpt22B();
  MemoryOptions o = Korthikanti();
  o.dropout = false;
  const double s = 2048, b = 1, h = 6144, a = 64;
  EXPECT_DOUBLE_EQ(LayerActivationBytes(m, Layout(1, 1, false, Recompute::kNone), o),
                   s * b * h * 32 + 2 * a * s * s * b);
}

TEST(MemoryTest, OpLevelSelectiveCheckpointingSavesEveryOtherMatmul) {
  // torchtitan: Llama 3.1 8B, 2 x 8192 tokens. Saved per layer: the layer input, the attention
  // output and its fp32 logsumexp, and matmuls 1, 3, 5, 7 of q, k, v, o, gate, up, down.
  const ModelSpec m = Llama31_8B();
  MemoryOptions o;
  o.selective = SelectivePolicy::kEveryOtherMatmul;
  ParallelConfig p = Layout(1, 2, false, Recompute::kSelective);
  const double n = 2 * 8192.0;
  const double expected = 2 * n * 4096     // layer input
                          + 2 * n * 4096   // attention output
                          + 4 * 32 * n     // logsumexp
                          + 2 * n * 4096   // q (1st)
                          + 2 * n * 1024   // v (3rd)
                          + 2 * n * 14336  // gate (5th)
                          + 2 * n * 4096;  // down (7th)
  EXPECT_DOUBLE_EQ(LayerActivationBytes(m, p, o), expected);
}

TEST(MemoryTest, EagerLlamaLayerKeepsWhatAutogradSaves) {
  // torchtitan's eager Llama layer without checkpointing (models/llama/model.py), per token, in
  // bytes, for Llama 3.1 8B (h 4096, GQA kv 1024, f 14336) in bf16, 2 x 8192 tokens:
  //   each RMSNorm (x.float() * rsqrt(...)).type_as(x) * weight: the fp32 input (pow and mul save
  //     it) 4h, the normalised bf16 output (saved by * weight) 2h, the weighted output that the
  //     next linear saves 2h: 8h, twice;
  //   RoPE, xq_ * freqs_cis in complex fp32: nothing (autograd saves a mul's self only when its
  //     other requires grad, and freqs_cis does not);
  //   SDPA (flash): q 2h, k and v 2 kv each, the output 2h (also wo's input), fp32 logsumexp
  //     4 per head;
  //   w2(silu(w1 x) * w3 x): w1's output (silu saves it), silu's output and w3's output (the
  //     product saves both), the product (w2 saves it): 2f each.
  const ModelSpec m = Llama31_8B();
  MemoryOptions o;
  o.kernels = Kernels::kEager;
  const double n = 2 * 8192.0, h = 4096, kv = 1024, f = 14336;
  const double per_token = 2 * 8 * h + (2 * h + 2 * 2 * kv + 2 * h + 4 * 32) + 4 * 2 * f;
  EXPECT_DOUBLE_EQ(LayerActivationBytes(m, Layout(1, 2, false, Recompute::kNone), o),
                   n * per_token);
}

TEST(MemoryTest, PipelineKeepsPpMicrobatchesInFlightOnTheFirstStage) {
  const ModelSpec m = Gpt175B();
  ParallelConfig p = Layout(8, 1, true, Recompute::kSelective);
  p.pp = 8;
  p.global_batch = 64;
  EXPECT_DOUBLE_EQ(InflightLayerMicrobatches(m, p), 96.0 / 8 * 8);
  // Interleaved (Korthikanti sec. 4.2.3): (1 + (p - 1) / (p v)) times more.
  p.vpp = 3;
  EXPECT_DOUBLE_EQ(InflightLayerMicrobatches(m, p), 96.0 / 8 * 8 * (1 + 7.0 / 24));
  // Fewer micro-batches than stages: only those.
  p.vpp = 1;
  p.global_batch = 4;
  EXPECT_DOUBLE_EQ(InflightLayerMicrobatches(m, p), 96.0 / 8 * 4);
}

TEST(MemoryTest, ZeroStagesShardStatesOverDataParallelRanks) {
  const ModelSpec m = Gpt22B();
  ParallelConfig p = Layout(8, 1, true, Recompute::kSelective);
  p.dp = 4;
  p.global_batch = 4;
  const MemoryOptions o;
  const double per_gpu = static_cast<double>(CountParams(m).total) / 8;  // tp shards (approx.)
  for (int zero : {0, 1, 2, 3}) {
    p.zero = zero;
    const MemoryBreakdown r = EstimateMemory(m, ClusterSpec{}, p, o);
    const double params = r.weights / (zero >= 3 ? 2.0 / 4 : 2.0);
    EXPECT_NEAR(params / per_gpu, 1.0, 0.02) << "zero " << zero;
    EXPECT_DOUBLE_EQ(r.gradients, 4 * params / (zero >= 2 ? 4 : 1));
    EXPECT_DOUBLE_EQ(r.optimizer, 12 * params / (zero >= 1 ? 4 : 1));
  }
}

// TP 8 with SP, full recompute, 2 pipeline stages, 4 data-parallel shards at ZeRO `zero`, 4
// micro-batches per data-parallel rank: the layout of the gathered-policy tests below.
ParallelConfig TwoStagesFourShards(int zero) {
  ParallelConfig p = Layout(8, 1, true, Recompute::kFull);
  p.pp = 2;
  p.dp = 4;
  p.zero = zero;
  p.global_batch = 16;
  return p;
}

TEST(MemoryTest, Zero3KeptGatheredWithPipeliningHoldsTheStagesWeightsAndGradients) {
  // torchtitan with PP (zero3_with_pp: gathered): FSDP2 keeps the stage's 16-bit weights
  // gathered (reshard_after_forward off) and accumulates unsharded gradients until the last
  // micro-batch, beside the fp32 master shards and the sharded Adam states. Per GPU, with P the
  // stage's parameters on one TP rank and dp = 4 shards:
  //   resharded: weights 4 P / 4, gradients 4 P / 4, optimizer 8 P / 4
  //   gathered:  weights 4 P / 4 + 2 P, gradients 4 P, optimizer 8 P / 4 (unchanged)
  const ModelSpec m = Gpt22B();
  ParallelConfig p = TwoStagesFourShards(3);
  MemoryOptions o;
  o.zero3_weight_bytes = 4;
  o.zero3_optimizer_bytes = 8;
  const MemoryBreakdown resharded = EstimateMemory(m, ClusterSpec{}, p, o);
  o.zero3_pp_gathered = true;
  const MemoryBreakdown gathered = EstimateMemory(m, ClusterSpec{}, p, o);
  ASSERT_EQ(resharded.stage, gathered.stage);
  const double params = resharded.weights / (4.0 / 4);
  EXPECT_DOUBLE_EQ(gathered.weights, 4 * params / 4 + 2 * params);
  EXPECT_DOUBLE_EQ(resharded.gradients, 4 * params / 4);
  EXPECT_DOUBLE_EQ(gathered.gradients, 4 * params);
  EXPECT_DOUBLE_EQ(gathered.optimizer, resharded.optimizer);
  // Nothing is gathered per layer any more: the ZeRO-3 working set leaves the transient.
  EXPECT_LT(gathered.transient, resharded.transient);
}

TEST(MemoryTest, Zero2UnderTheGatheredPolicyKeepsUnshardedGradients) {
  // The same policy with ZeRO-2 (FSDP2 that does not reshard after forward): the weights are
  // whole 16-bit copies as ZeRO-2's always are, and the gradients stay unsharded until the last
  // micro-batch: grad_bytes x P instead of grad_bytes x P / 4.
  const ModelSpec m = Gpt22B();
  ParallelConfig p = TwoStagesFourShards(2);
  MemoryOptions o;
  const MemoryBreakdown sharded = EstimateMemory(m, ClusterSpec{}, p, o);
  o.zero3_pp_gathered = true;
  const MemoryBreakdown kept = EstimateMemory(m, ClusterSpec{}, p, o);
  ASSERT_EQ(sharded.stage, kept.stage);
  EXPECT_DOUBLE_EQ(kept.weights, sharded.weights);
  EXPECT_DOUBLE_EQ(kept.gradients, 4 * sharded.gradients);
  EXPECT_DOUBLE_EQ(kept.optimizer, sharded.optimizer);
  // Without pipelining the policy does not apply.
  p.pp = 1;
  p.dp = 8;
  o.zero3_pp_gathered = false;
  const double alone = EstimateMemory(m, ClusterSpec{}, p, o).gradients;
  o.zero3_pp_gathered = true;
  EXPECT_DOUBLE_EQ(EstimateMemory(m, ClusterSpec{}, p, o).gradients, alone);
}

TEST(MemoryTest, DeepSpeedZero3KeepsAtMostItsLiveParametersGathered) {
  // FSDP wraps layers: one layer's 16-bit weights gathered, the next prefetched, and the layer's
  // unsharded gradient (grad_bytes) before its reduce-scatter: (2 x 2 + 4) L, L the layer's
  // parameters per GPU. DeepSpeed gathers per module and releases what exceeds
  // stage3_max_live_parameters (1e9 by default), but never the matrix in use: with the cap C
  // and M the largest matrix (the MLP's up projection, 4 h^2 here), (2 + 4) max(C, M).
  const ModelSpec m = Gpt22B();  // h = 6144: L = 12 h^2 = 453M, M = 4 h^2 = 151M
  ParallelConfig p = Layout(1, 1, false, Recompute::kFull);
  p.dp = 8;
  p.global_batch = 8;
  p.zero = 3;
  MemoryOptions o;
  const MemoryBreakdown fsdp = EstimateMemory(m, ClusterSpec{}, p, o);
  o.zero3_max_live_params = 1e8;  // below M: the up projection stays whole
  const MemoryBreakdown capped = EstimateMemory(m, ClusterSpec{}, p, o);
  const double h = 6144, layer = 12 * h * h + 13 * h, largest = 4 * h * h;
  EXPECT_NEAR(fsdp.transient - capped.transient, (2 * 2 + 4) * layer - (2 + 4) * largest,
              1e-6 * fsdp.transient);
  o.zero3_max_live_params = 1e12;  // above two layers: no cap
  EXPECT_DOUBLE_EQ(EstimateMemory(m, ClusterSpec{}, p, o).transient, fsdp.transient);
}

TEST(MemoryTest, LogitsAtTheLossPeakDependOnTheLossKernels) {
  // The last stage holds one micro-batch's logits, s b / cp tokens by V / t vocabulary columns,
  // at the cross-entropy's peak. Bytes per logit, derived from what each loss keeps alive:
  //   fused (Megatron vocab-parallel CE): 16-bit logits + fp32 softmax, gradient in place    6
  //   eager PyTorch, in backward: log_softmax's saved fp32 output, nll_loss's dense fp32
  //     gradient and log_softmax_backward's fp32 result (the 16-bit logits freed by then)   12
  //   eager on vocab-sharded logits (t > 1: DTensor loss_parallel, torch/distributed/tensor/
  //     parallel/loss.py): the backward's `(grad_input + torch.exp(x)) * grad_output` holds
  //     the saved fp32 log-softmax x, grad_input = zeros_like(x), exp(x) and the sum         16
  //   compiled: the 16-bit logits and their 16-bit gradient                                 4
  const ModelSpec m = Gpt22B();
  struct Case {
    int tp;
    Kernels kernels;
    double bytes;
  };
  for (const Case c : {Case{8, Kernels::kFused, 6}, Case{8, Kernels::kEager, 16},
                       Case{8, Kernels::kCompiled, 4}, Case{1, Kernels::kEager, 12}}) {
    const ParallelConfig p = Layout(c.tp, 2, c.tp > 1, Recompute::kFull);
    MemoryOptions o;
    o.loss_kernels = c.kernels;
    const double logits = 2048.0 * 2 * 51200 / c.tp;
    EXPECT_DOUBLE_EQ(EstimateMemory(m, ClusterSpec{}, p, o).logits, c.bytes * logits)
        << ToString(c.kernels) << " tp " << c.tp;
  }
}

TEST(MemoryTest, TrainingMetricLossesPeakAfterTheBackward) {
  // Composer runs its training metrics' cross-entropies after each micro-batch's backward, when
  // the activations and working sets are freed: 16-bit logits, an fp32 copy and log_softmax's
  // fp32 output, 10 bytes per logit. With the compiled (fused) loss's 4 bytes during training,
  // the logits term becomes max(4 L, 10 L - activations - transient).
  // A small model with a large vocabulary (a 125M-class shape) under full recompute keeps
  // little (two layer inputs and one layer's working set) beside its logits: the metric's peak
  // rules.
  const ModelSpec m = testing::GptShape(2, 512, 8, 51200, 2048);
  const double logits = 2048.0 * 2 * 51200;  // tp 1: s x b tokens by the whole vocabulary
  MemoryOptions o;
  o.loss_kernels = Kernels::kCompiled;
  const ParallelConfig full = Layout(1, 2, false, Recompute::kFull);
  const MemoryBreakdown before = EstimateMemory(m, ClusterSpec{}, full, o);
  ASSERT_DOUBLE_EQ(before.logits, 4 * logits);
  o.train_metric_losses = 2;
  const MemoryBreakdown after = EstimateMemory(m, ClusterSpec{}, full, o);
  ASSERT_GT(10 * logits - after.activations - after.transient, 4 * logits);
  EXPECT_DOUBLE_EQ(after.logits, 10 * logits - after.activations - after.transient);
  EXPECT_DOUBLE_EQ(after.activations, before.activations);
  // The 22B model's 48 layers store more without recompute than the metric's extra 6 bytes per
  // logit: the training peak stays the peak.
  const ParallelConfig none = Layout(1, 2, false, Recompute::kNone);
  const MemoryBreakdown stored = EstimateMemory(Gpt22B(), ClusterSpec{}, none, o);
  ASSERT_GT(stored.activations, 6 * logits);
  EXPECT_DOUBLE_EQ(stored.logits, 4 * logits);
}

TEST(MemoryTest, PipelineLastStageKeepsEveryMicroBatchsLogits) {
  // torch.distributed.pipelining appends each forward's output to output_chunks until the step
  // ends: on the last stage, the 16-bit logits of every micro-batch (2 bytes per logit, m = 16
  // of them) stay. The loss's own peak already holds the current micro-batch's under the fused
  // kernel (6 = 2 + 4: 15 more to add), not under eager PyTorch, whose peak counts them freed
  // before backward (16 on vocab-sharded logits: all 16 to add). Other stages are unchanged.
  const ModelSpec m = Gpt22B();
  ParallelConfig p = Layout(8, 2, true, Recompute::kFull);
  p.pp = 4;
  p.global_batch = 2 * 16;  // 16 micro-batches
  const double logits = 2048.0 * 2 * 51200 / 8;
  for (auto [kernels, bytes] :
       {std::pair{Kernels::kFused, 6.0 + 2 * 15}, std::pair{Kernels::kEager, 16.0 + 2 * 16}}) {
    MemoryOptions o;
    o.loss_kernels = kernels;
    const MemoryBreakdown plain = EstimateMemory(m, ClusterSpec{}, p, o);
    o.pp_last_stage_keeps_outputs = true;
    const MemoryBreakdown kept = EstimateMemory(m, ClusterSpec{}, p, o);
    // 16 micro-batches' logits outweigh stage 0's extra in-flight layer inputs (full
    // recompute): the last stage is the peak with them, and its logits term is as derived.
    ASSERT_EQ(kept.stage, p.pp - 1) << ToString(kernels);
    EXPECT_DOUBLE_EQ(kept.logits, bytes * logits) << ToString(kernels);
    EXPECT_GT(kept.total, plain.total);
  }
  // Without pipelining nothing is kept beyond the loss's peak.
  ParallelConfig one = p;
  one.pp = 1;
  MemoryOptions o;
  o.pp_last_stage_keeps_outputs = true;
  EXPECT_DOUBLE_EQ(EstimateMemory(m, ClusterSpec{}, one, o).logits, 6 * logits);
}

TEST(MemoryTest, PipelineStagesHoldBuffersPerMicrobatch) {
  // torch.distributed.pipelining allocates, per micro-batch, an input receive buffer on every
  // stage but the first and an output-gradient buffer on every stage but the last, each the
  // stage-boundary hidden state: B = 2 bytes x s x b x h / t under SP = 2 x 2048 x 2 x 6144 / 8.
  // An in-flight micro-batch's input buffer is the first layer's saved input (already among the
  // activations); its output is kept until backward. With pp 4 and 16 micro-batches (1F1B, stage
  // s has 4 - s in flight):
  //   stage 0: 16 gradient buffers + 4 outputs in flight        = 20 B
  //   stage 1: 16 + 16 buffers, 3 inputs shared, 3 outputs kept = 32 B
  //   stage 3: 16 input buffers, 1 shared                       = 15 B
  const ModelSpec m = Gpt22B();
  ParallelConfig p = Layout(8, 2, true, Recompute::kFull);
  p.pp = 4;
  p.global_batch = 2 * 16;
  const double b = 2.0 * 2048 * 2 * 6144 / 8;
  MemoryOptions o;
  o.pp_microbatch_buffers = true;
  EXPECT_DOUBLE_EQ(PipelineBufferBytes(m, p, o, 0), 20 * b);
  EXPECT_DOUBLE_EQ(PipelineBufferBytes(m, p, o, 1), 32 * b);
  EXPECT_DOUBLE_EQ(PipelineBufferBytes(m, p, o, 3), 15 * b);
  // The peak stage carries its own.
  const MemoryBreakdown peak = EstimateMemory(m, ClusterSpec{}, p, o);
  EXPECT_DOUBLE_EQ(peak.pipeline_buffers, PipelineBufferBytes(m, p, o, peak.stage));
  // Two virtual stages per rank: each rank runs two chunks, 16 buffers more per chunk and
  // direction; the in-flight count grows by Korthikanti's factor 1 + (pp - 1) / (pp vpp) on
  // stage 0 (4 x 1.375 = 5.5), and the last stage still holds one.
  p.vpp = 2;
  EXPECT_DOUBLE_EQ(PipelineBufferBytes(m, p, o, 0), (3 * 16 + 5.5) * b);
  EXPECT_DOUBLE_EQ(PipelineBufferBytes(m, p, o, 3), (3 * 16 - 1) * b);
  // Without SP the boundary tensor is replicated over the TP ranks; without pipelining, none.
  p.vpp = 1;
  p.sp = false;
  EXPECT_DOUBLE_EQ(PipelineBufferBytes(m, p, o, 3), 15 * 8 * b);
  p.pp = 1;
  EXPECT_DOUBLE_EQ(PipelineBufferBytes(m, p, o, 0), 0);
  p.pp = 4;
  o.pp_microbatch_buffers = false;
  EXPECT_DOUBLE_EQ(EstimateMemory(m, ClusterSpec{}, p, o).pipeline_buffers, 0);
}

TEST(MemoryTest, DtensorSequenceParallelKeepsTheGatheredGemmInputs) {
  // Under SP the QKV and MLP-up GEMMs read the all-gathered norm output, s b h elements. Megatron
  // keeps the s b h / t shard of each (2 bytes) and gathers again in backward (Korthikanti 2022
  // sec. 4.2.2); DTensor TP keeps the whole gathered tensor: 2 bytes per element in bf16, and
  // under fp8 1 where the all-gather runs on the fp8 cast (sp_all_gather_fp8, torchao tensorwise)
  // and 2 where it does not (rowwise). Two such inputs per layer; nothing else changes.
  const ModelSpec m = Gpt22B();
  const double sbh = 2048.0 * 4 * m.d_model;
  struct Case {
    Dtype dtype;
    bool fp8_gather;
    double gathered_bytes;
  };
  for (auto [dtype, fp8_gather, gathered_bytes] :
       {Case{Dtype::kBf16, true, 2}, Case{Dtype::kFp8, true, 1}, Case{Dtype::kFp8, false, 2}}) {
    ParallelConfig p = Layout(8, 4, true, Recompute::kNone);
    p.dtype = dtype;
    MemoryOptions megatron, dtensor;
    dtensor.sp_gathered_input_saved = true;
    dtensor.sp_all_gather_fp8 = fp8_gather;
    const double delta =
        LayerActivationBytes(m, p, dtensor) - LayerActivationBytes(m, p, megatron);
    EXPECT_DOUBLE_EQ(delta, 2 * (gathered_bytes * sbh - 2 * sbh / 8)) << ToString(dtype);
    p.sp = false;  // without SP every TP rank holds the whole input already
    EXPECT_DOUBLE_EQ(LayerActivationBytes(m, p, dtensor), LayerActivationBytes(m, p, megatron));
  }
}

TEST(MemoryTest, TransformerEngineFp8KeepsTheFp8CastOfEachLinearsInput) {
  // Transformer Engine saves each linear layer's input for its weight gradient as the fp8 cast it
  // fed the GEMM (linear.py saved_inputmat): 1 byte per element instead of 2 under fp8. Per
  // Llama 3.1 8B layer at tp 2 with SP, 2 x 8192 tokens, the four inputs are the QKV and MLP-up
  // norm outputs (s b h / t each, the sequence shard), the output projection's input (s b h / t)
  // and the MLP-down input (s b f / t); each saves 1 byte per element. Nothing else changes,
  // and in bf16 the field does nothing.
  const ModelSpec m = Llama31_8B();
  ParallelConfig p = Layout(2, 2, true, Recompute::kNone);
  const double sb = 8192.0 * 2, t = 2;
  const double saved = 3 * sb * 4096 / t + sb * 14336 / t;
  MemoryOptions keeps16, te;
  te.fp8_saves_gemm_inputs = true;
  p.dtype = Dtype::kBf16;
  EXPECT_DOUBLE_EQ(LayerActivationBytes(m, p, te), LayerActivationBytes(m, p, keeps16));
  p.dtype = Dtype::kFp8;
  EXPECT_DOUBLE_EQ(LayerActivationBytes(m, p, keeps16) - LayerActivationBytes(m, p, te), saved);
  p.recompute = Recompute::kFull;  // only the layer input, 16-bit, is kept
  EXPECT_DOUBLE_EQ(LayerActivationBytes(m, p, te), LayerActivationBytes(m, p, keeps16));
}

TEST(MemoryTest, MuonKeepsOneMomentForTheLayersMatrices) {
  // Muon keeps one momentum for the layers' weights where AdamW keeps m and v: one fp32 moment
  // (4 bytes) less per layer parameter, the embedding and head keeping AdamW's two. On one GPU
  // every layer parameter; under ZeRO-1 over 8 ranks an eighth of them, as the rest is sharded.
  const ModelSpec m = Gpt22B();
  const double layer_params = static_cast<double>(CountParams(m).layers);
  ParallelConfig p = Layout(1, 1, false, Recompute::kNone);
  MemoryOptions adamw, muon;
  muon.muon_moment_bytes = 4;
  const auto saving = [&] {
    return EstimateMemory(m, ClusterSpec{}, p, adamw).optimizer -
           EstimateMemory(m, ClusterSpec{}, p, muon).optimizer;
  };
  EXPECT_DOUBLE_EQ(saving(), 4 * layer_params);
  EXPECT_DOUBLE_EQ(EstimateMemory(m, ClusterSpec{}, p, muon).muon_saving, 4 * layer_params);
  p.dp = 8;
  p.zero = 1;
  p.global_batch = 8;
  EXPECT_DOUBLE_EQ(saving(), 4 * layer_params / 8);
}

}  // namespace
}  // namespace planner
