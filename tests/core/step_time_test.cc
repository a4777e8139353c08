// The step-time model against numbers derived by hand: nccl-tests bus-bandwidth factors, alpha-beta
// collective times on one level and across two, the DP group's stride, the pipeline bubble
// (p - 1) / (m v) of the ideal, how many TP collectives each software generation exposes, what
// each recompute mode repeats, and the MFU / HFU definitions.
#include "planner/core/step_time.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "model_fixtures.h"
#include "planner/core/collectives.h"
#include "planner/core/flops.h"
#include "planner/core/params.h"

namespace planner {
namespace {

constexpr double kNvlinkGBps = 300, kIbGBps = 25, kNvlinkUs = 3, kIbUs = 5;

// A DGX A100-like cluster built in code: 8 GPUs per node on NVLink, InfiniBand between nodes.
ClusterSpec A100Cluster(int64_t nodes) {
  ClusterSpec c;
  c.name = "test-a100";
  c.gpu.name = "A100-SXM4-80GB";
  c.gpu.peak_tflops[static_cast<int>(Dtype::kBf16)] = 312;
  c.gpu.peak_tflops[static_cast<int>(Dtype::kFp16)] = 312;
  c.gpu.hbm_GiB = 80;
  c.gpu.hbm_GBps = 2039;
  c.gpus_per_node = 8;
  c.nodes = nodes;
  c.network = {{"nvlink", 8, kNvlinkGBps, kNvlinkUs}, {"infiniband", 0, kIbGBps, kIbUs}};
  c.price_per_gpu_hour_usd = 1;
  c.efficiency.collective_bw_fraction = 0.8;  // NVLink (the scale-up level)
  c.efficiency.scaleout_bw_fraction = 0.9;    // InfiniBand (every outer level)
  return c;
}

ModelSpec Gpt22B() { return testing::GptShape(48, 6144, 64, 51200, 2048); }

// tp 8 fills a node, so two data-parallel replicas of one sequence each talk over InfiniBand.
ParallelConfig TwoReplicasAcrossNodes(int zero) {
  ParallelConfig p;
  p.tp = 8;
  p.dp = 2;
  p.zero = zero;
  p.micro_batch = 1;
  p.global_batch = 2;
  p.recompute = Recompute::kFull;
  return p;
}

// One micro-batch of 4 sequences on one node at tp 8: the layout most per-layer tests price.
ParallelConfig OneNodeTp8() {
  ParallelConfig p;
  p.tp = 8;
  p.micro_batch = 4;
  p.global_batch = 4;
  return p;
}

TEST(StepTimeTest, BusBandwidthFactorsAreNcclTests) {
  EXPECT_DOUBLE_EQ(BusFactor(Collective::kAllReduce, 8), 2.0 * 7 / 8);
  EXPECT_DOUBLE_EQ(BusFactor(Collective::kReduceScatter, 8), 7.0 / 8);
  EXPECT_DOUBLE_EQ(BusFactor(Collective::kAllGather, 16), 15.0 / 16);
  EXPECT_DOUBLE_EQ(BusFactor(Collective::kAllToAll, 4), 3.0 / 4);
  EXPECT_DOUBLE_EQ(BusFactor(Collective::kSendRecv, 2), 1.0);
}

TEST(StepTimeTest, TpAllReduceOnOneLevelIsAlphaBeta) {
  // Ring all-reduce of B bytes over 8 GPUs of one NVLink domain: 2 (n - 1) steps of alpha, and
  // 2 (n - 1) / n * B bytes at the achieved bus bandwidth (link x collective_bw_fraction).
  const ClusterSpec c = A100Cluster(1);
  const double bytes = 2048.0 * 4 * 6144 * 2;  // one 22B activation, 4 sequences, 16-bit
  const double by_hand = 2 * 7 * kNvlinkUs * 1e-6 + 2.0 * 7 / 8 * bytes / (kNvlinkGBps * 1e9 * 0.8);
  EXPECT_DOUBLE_EQ(CollectiveSeconds(c, Collective::kAllReduce, 8, 1, bytes), by_hand);
}

TEST(StepTimeTest, HierarchicalAllReduceCrossesTheNodesWithAnEighth) {
  // 16 consecutive GPUs: reduce-scatter / all-gather inside each node on the full buffer, then
  // the 2-node ring on the 1/8 each GPU owns.
  const ClusterSpec c = A100Cluster(2);
  const double bytes = 1e9;
  const double inner = 2 * 7 * kNvlinkUs * 1e-6 + 2.0 * 7 / 8 * bytes / (kNvlinkGBps * 1e9 * 0.8);
  const double outer = 2 * 1 * kIbUs * 1e-6 + 2.0 * 1 / 2 * (bytes / 8) / (kIbGBps * 1e9 * 0.9);
  EXPECT_DOUBLE_EQ(CollectiveSeconds(c, Collective::kAllReduce, 16, 1, bytes), inner + outer);
  // Every 8th GPU (a DP group beside tp = 8): one GPU per node, all on InfiniBand.
  const double ib_only = 2 * 1 * kIbUs * 1e-6 + 2.0 * 1 / 2 * bytes / (kIbGBps * 1e9 * 0.9);
  EXPECT_DOUBLE_EQ(CollectiveSeconds(c, Collective::kAllReduce, 2, 8, bytes), ib_only);
}

TEST(StepTimeTest, AllToAllAcrossTwoNodesSendsOnlyTheRemoteHalfOverTheNics) {
  // 16 consecutive GPUs on 2 nodes: each sends B/16 to every member. 7/16 of B goes to its own
  // node's GPUs over NVLink and 8/16 leaves the node over its NIC, both at once: the slower
  // pace, after 15 InfiniBand latencies. (Before, all 15/16 were priced at the NIC's rate.)
  const ClusterSpec c = A100Cluster(2);
  const double bytes = 1e9;
  const double nvlink = 7.0 / 16 * bytes / (kNvlinkGBps * 1e9 * 0.8);
  const double ib = 8.0 / 16 * bytes / (kIbGBps * 1e9 * 0.9);
  EXPECT_DOUBLE_EQ(CollectiveSeconds(c, Collective::kAllToAll, 16, 1, bytes),
                   15 * kIbUs * 1e-6 + std::max(nvlink, ib));
  // Inside one node it is the ring stage's (n - 1) / n of the bytes at NVLink's rate.
  EXPECT_DOUBLE_EQ(CollectiveSeconds(c, Collective::kAllToAll, 8, 1, bytes),
                   7 * kNvlinkUs * 1e-6 + 7.0 / 8 * bytes / (kNvlinkGBps * 1e9 * 0.8));
  // One member per node (every 8th GPU): everything but its own share crosses the NICs.
  EXPECT_DOUBLE_EQ(CollectiveSeconds(c, Collective::kAllToAll, 2, 8, bytes),
                   kIbUs * 1e-6 + 1.0 / 2 * bytes / (kIbGBps * 1e9 * 0.9));
}

TEST(StepTimeTest, AllReduceAcrossManyNodesTakesNcclsTreeLatency) {
  // 32 ranks one per node (every 8th GPU): a ring pays 2 x 31 = 62 alphas, NCCL's double binary
  // tree 2 x log2(32) = 10, at the same bus bandwidth; all-gather has no tree (31 alphas).
  const ClusterSpec c = A100Cluster(32);
  const double bytes = 1e6;
  const double beta = 2.0 * 31 / 32 * bytes / (kIbGBps * 1e9 * 0.9);
  EXPECT_DOUBLE_EQ(CollectiveSeconds(c, Collective::kAllReduce, 32, 8, bytes),
                   10 * kIbUs * 1e-6 + beta);
  EXPECT_DOUBLE_EQ(CollectiveSeconds(c, Collective::kAllGather, 32, 8, bytes),
                   31 * kIbUs * 1e-6 + 31.0 / 32 * bytes / (kIbGBps * 1e9 * 0.9));
}

TEST(StepTimeTest, ARingHopIsPacedByTheSlowestLevelTheRingCrosses) {
  // Context parallelism's ring: every rank passes its K/V chunk to the next at once. Eight
  // consecutive GPUs stay on NVLink (one alpha, bytes at 0.8 of NVLink); sixteen span two nodes,
  // and the two hops between them run on InfiniBand (one alpha, bytes at 0.9 of the NIC).
  const ClusterSpec c = A100Cluster(2);
  const double bytes = 1e6;
  EXPECT_DOUBLE_EQ(RingHopSeconds(c, 8, 1, bytes),
                   kNvlinkUs * 1e-6 + bytes / (kNvlinkGBps * 1e9 * 0.8));
  EXPECT_DOUBLE_EQ(RingHopSeconds(c, 16, 1, bytes), kIbUs * 1e-6 + bytes / (kIbGBps * 1e9 * 0.9));
  EXPECT_DOUBLE_EQ(RingHopSeconds(c, 1, 1, bytes), 0);
}

// Ulysses CP (cp_comm a2a): per attention layer, an all-to-all of the rank's Q, K, V before
// attention and one of the output after, forward and (their gradients) backward, synchronous.
// 16 heads of 128 and 2 KV heads on cp 4: each rank needs a KV head, so K and V move 4 heads
// wide (DeepSpeed repeats them). Full recompute runs the forward's two again.
TEST(StepTimeTest, UlyssesAllToAllsQkvInAndTheOutputBack) {
  ModelSpec m = testing::GptShape(2, 2048, 16, 32000, 4096);
  m.n_kv_heads = 2;
  const ClusterSpec c = testing::H100Nodes(1);
  ParallelConfig p;
  p.cp = 4;
  p.dp = 2;
  p.micro_batch = 1;
  p.global_batch = 4;  // 2 micro-batches
  StepTimeOptions o;
  o.cp_all_to_all = true;
  const double tokens = 4096.0 / 4;
  const double qkv = tokens * (16 * 128 + 2 * 4 * 128) * 2;
  const double out = tokens * 16 * 128 * 2;
  const double pass = CollectiveSeconds(c, Collective::kAllToAll, 4, 1, qkv) +
                      CollectiveSeconds(c, Collective::kAllToAll, 4, 1, out);
  const StepTime t = EstimateStepTime(m, c, p, o);
  EXPECT_NEAR(t.cp_comm_s, 2 * 2 * 2 * pass, 1e-12);  // micro-batches x layers x (fwd + bwd)
  EXPECT_NEAR(t.cp_exposed_s, t.cp_comm_s, 1e-12);
  p.recompute = Recompute::kFull;
  EXPECT_NEAR(EstimateStepTime(m, c, p, o).cp_comm_s, 2 * 2 * 3 * pass, 1e-12);
  // The ring prices the same layout differently: a K/V chunk round the ring, overlapped.
  o.cp_all_to_all = false;
  EXPECT_NE(EstimateStepTime(m, c, p, o).cp_comm_s, 2 * 2 * 3 * pass);
}

TEST(StepTimeTest, TpForwardOverlapLeavesTheFirstChunkAndWhatTheGemmsCannotCover) {
  // Transformer Engine's userbuffers pipeline each pass's two TP collectives (SP: all-gather and
  // reduce-scatter, the bus traffic of one all-reduce each) in tp chunks with the GEMM beside it:
  // per pass, comm/tp stays exposed plus whatever of the rest exceeds the pass's linear GEMMs
  // (forward: 1x the forward GEMMs; backward: dgrad + wgrad, 2x).
  const ModelSpec m = Gpt22B();
  const ClusterSpec c = A100Cluster(1);
  ParallelConfig p = OneNodeTp8();
  p.sp = true;
  StepTimeOptions o;
  o.overlap_tp_forward = true;
  const LayerCost lc = ComputeLayerCost(m, c, p, o);
  const double act = 2048.0 * 4 * 6144 * 2;
  const double comm = 2 * CollectiveSeconds(c, Collective::kAllReduce, 8, 1, act);
  auto pass = [&](double gemm) { return comm / 8 + std::max(0.0, comm * 7 / 8 - gemm); };
  const double per_layer = pass(lc.linear_fwd_s) + pass(2 * lc.linear_fwd_s);
  EXPECT_NEAR(EstimateStepTime(m, c, p, o).microbatch.tp_comm, 48 * per_layer, 1e-12);
  // Without userbuffers (async backward only): 2 forward + 1 SP all-gather in backward exposed.
  o.overlap_tp_forward = false;
  EXPECT_NEAR(EstimateStepTime(m, c, p, o).microbatch.tp_comm, 48 * 3 * comm / 2, 1e-12);
}

TEST(StepTimeTest, ParamGatherOverlapHidesTheAllGatherBehindTheFirstForward) {
  // Distributed optimizer (ZeRO-1): gradients reduce-scattered beside the last backward, updated
  // 16-bit parameters all-gathered after the step. Exposed: the last bucket (one layer's share)
  // or what the compute cannot cover; without overlap the all-gather is exposed whole.
  const ModelSpec m = Gpt22B();
  const ClusterSpec c = A100Cluster(2);
  ParallelConfig p;
  p.tp = 8;
  p.dp = 2;
  p.zero = 1;
  p.micro_batch = 1;
  p.global_batch = 2;
  StepTimeOptions o;
  o.grad_comm_bytes = 2;
  const StageParams sp = ParamsOnStage(SplitParams(m, CountParams(m)), p, true, true);
  const double rs = CollectiveSeconds(c, Collective::kReduceScatter, 2, 8, 2 * sp.total());
  const double ag = CollectiveSeconds(c, Collective::kAllGather, 2, 8, 2 * sp.total());
  o.overlap_param_gather = false;
  const StepTime exposed = EstimateStepTime(m, c, p, o);
  const double rs_exposed = std::max(rs / 48, rs - exposed.microbatch.backward);
  EXPECT_NEAR(exposed.dp_exposed_s, rs_exposed + ag, 1e-12);
  o.overlap_param_gather = true;
  const StepTime hidden = EstimateStepTime(m, c, p, o);
  EXPECT_NEAR(hidden.dp_exposed_s,
              rs_exposed + std::max(ag / 48, ag - hidden.microbatch.forward), 1e-12);
}

TEST(StepTimeTest, DataParallelGroupIsStridedByTp) {
  // tp = 8 fills a node, so the 2 DP replicas talk over InfiniBand: the gradient all-reduce of
  // the stage's parameters in fp16 (2 bytes, Megatron 2021) costs the IB-only alpha-beta time.
  const ModelSpec m = Gpt22B();
  const ClusterSpec c = A100Cluster(2);
  const ParallelConfig p = TwoReplicasAcrossNodes(0);
  StepTimeOptions o;
  o.grad_comm_bytes = 2;
  o.overlap_dp = false;
  const StageParams sp = ParamsOnStage(SplitParams(m, CountParams(m)), p, true, true);
  const StepTime r = EstimateStepTime(m, c, p, o);
  EXPECT_DOUBLE_EQ(r.dp_comm_s, CollectiveSeconds(c, Collective::kAllReduce, 2, 8, 2 * sp.total()));
  EXPECT_DOUBLE_EQ(r.dp_exposed_s, r.dp_comm_s);  // DDP "local": after the last backward
}

TEST(StepTimeTest, BubbleIsPMinusOneOverMVOfTheIdeal) {
  const ModelSpec m = Gpt22B();
  const ClusterSpec c = A100Cluster(4);
  ParallelConfig p;
  p.tp = 8;
  p.pp = 4;
  p.micro_batch = 1;
  p.global_batch = 16;
  for (int64_t v : {1, 2, 3}) {
    p.vpp = v;
    const StepTime r = EstimateStepTime(m, c, p);
    const double ideal = static_cast<double>(r.microbatches) * r.microbatch.total();
    EXPECT_EQ(r.microbatches, 16);
    EXPECT_NEAR(r.bubble_s / ideal, 3.0 / (16 * v), 1e-12) << "vpp " << v;
  }
}

TEST(StepTimeTest, ComputeFloorNeverExceedsTheStepTime) {
  // The search drops a layout whose floor ranks below its kept plans without pricing it; that is
  // exact only if the floor is a lower bound of every layout's step time. With a pipeline of
  // 48 / pp layers per stage the floor is that stage's compute over the micro-batches, so the
  // step adds only what lies beside it (the head, communication, bubble, optimizer).
  const ModelSpec m = Gpt22B();
  const ClusterSpec c = A100Cluster(8);
  StepTimeOptions o;
  for (int64_t tp : {1, 2, 8}) {
    for (int64_t pp : {1, 2, 4, 8}) {
      for (Recompute rc : {Recompute::kNone, Recompute::kSelective, Recompute::kFull}) {
        for (int zero : {0, 1, 3}) {
          ParallelConfig p;
          p.tp = tp;
          p.pp = pp;
          p.dp = 64 / (tp * pp);
          p.vpp = pp > 1 && 48 / pp % 2 == 0 ? 2 : 1;
          p.micro_batch = 1;
          p.global_batch = 4 * p.dp;
          p.recompute = rc;
          p.zero = zero;
          p.sp = tp > 1;
          const LayerCost lc = ComputeLayerCost(m, c, p, o);
          const double floor_s = ComputeFloorSeconds(m, p, lc);
          const StepTime r = EstimateStepTime(m, c, p, o);
          EXPECT_GT(floor_s, 0);
          EXPECT_LE(floor_s, r.step_time_s) << "tp " << tp << " pp " << pp << " zero " << zero;
          // The paced (last) stage's compute per micro-batch is its layers' plus the head's
          // forward, its two backward GEMMs and the loss: the floor is the layers' part, for
          // every micro-batch and the (pp - 1) / vpp micro-batch times of the 1F1B bubble.
          const MicrobatchTime& t = r.microbatch;
          const double head_s = 3 * lc.head_fwd_s + lc.loss_s;
          const double slots = r.microbatches + (pp - 1.0) / p.vpp;
          EXPECT_NEAR(floor_s, slots * (t.forward + t.backward + t.recompute - head_s),
                      1e-9 * r.step_time_s);
        }
      }
    }
  }
  // DualPipe's bubble is priced by DualPipeBubbleSeconds, not as (pp - 1) micro-batch times:
  // its floor counts the micro-batches alone.
  for (int64_t pp : {2, 4}) {
    ParallelConfig p;
    p.pp = pp;
    p.dp = 64 / pp;
    p.global_batch = 16 * p.dp;
    p.schedule = Schedule::kDualPipe;
    const LayerCost lc = ComputeLayerCost(m, c, p, o);
    const StepTime r = EstimateStepTime(m, c, p, o);
    const MicrobatchTime& t = r.microbatch;
    const double head_s = 3 * lc.head_fwd_s + lc.loss_s;
    const double floor_s = ComputeFloorSeconds(m, p, lc);
    EXPECT_LE(floor_s, r.step_time_s) << "dualpipe pp " << pp;
    EXPECT_NEAR(floor_s, r.microbatches * (t.forward + t.backward + t.recompute - head_s),
                1e-9 * r.step_time_s);
  }
  ParallelConfig uneven;
  uneven.pp = 4;
  uneven.first_stage_layers = 11;
  EXPECT_EQ(ComputeFloorSeconds(m, uneven, ComputeLayerCost(m, c, uneven, o)), 0);
}

TEST(StepTimeTest, ExposedTpCollectivesPerLayerBySoftwareGeneration) {
  // Per layer and micro-batch, in all-reduce equivalents of one s*b*h activation:
  // Megatron 2021 (no overlap): 2 forward + 2 backward, + 2 for the recomputed forward;
  // Megatron 2022 overlaps the backward ones with the weight-gradient GEMMs, except SP's
  // all-gather before the row-parallel linear (half an all-reduce per block).
  const ModelSpec m = Gpt22B();
  const ClusterSpec c = A100Cluster(1);
  const double ar = CollectiveSeconds(c, Collective::kAllReduce, 8, 1, 2048.0 * 4 * 6144 * 2);
  ParallelConfig p = OneNodeTp8();
  auto per_layer = [&](Recompute rc, bool sp, bool overlap) {
    p.recompute = rc;
    p.sp = sp;
    StepTimeOptions o;
    o.overlap_tp_backward = overlap;
    return EstimateStepTime(m, c, p, o).tp_comm_s / m.n_layers / ar;
  };
  EXPECT_NEAR(per_layer(Recompute::kFull, false, false), 6, 1e-9);
  EXPECT_NEAR(per_layer(Recompute::kNone, false, false), 4, 1e-9);
  EXPECT_NEAR(per_layer(Recompute::kFull, false, true), 4, 1e-9);
  EXPECT_NEAR(per_layer(Recompute::kSelective, true, true), 3, 1e-9);
}

TEST(StepTimeTest, Fp8SequenceParallelAllGathersMoveHalfTheBytes) {
  // torchao's Float8ColwiseParallel all-gathers the fp8 cast of the input: of a forward pass's
  // two all-gathers and two reduce-scatters (two all-reduces' worth), the all-gathers carry half
  // the bytes, 1.5 all-reduces' worth. Full recompute, backward not overlapped (DTensor):
  // 1.5 + 2 + 1.5 = 5 instead of 6; without the stack field, or in bf16, 6.
  const ModelSpec m = Gpt22B();
  ClusterSpec c = A100Cluster(1);
  c.gpu.peak_tflops[static_cast<int>(Dtype::kFp8)] = 624;
  const double ar = CollectiveSeconds(c, Collective::kAllReduce, 8, 1, 2048.0 * 4 * 6144 * 2);
  ParallelConfig p = OneNodeTp8();
  p.sp = true;
  p.recompute = Recompute::kFull;
  auto per_layer = [&](Dtype dtype, bool fp8_gather) {
    p.dtype = dtype;
    StepTimeOptions o;
    o.overlap_tp_backward = false;
    o.memory.sp_all_gather_fp8 = fp8_gather;
    return EstimateStepTime(m, c, p, o).tp_comm_s / m.n_layers / ar;
  };
  EXPECT_NEAR(per_layer(Dtype::kFp8, true), 5, 1e-9);
  EXPECT_NEAR(per_layer(Dtype::kFp8, false), 6, 1e-9);
  EXPECT_NEAR(per_layer(Dtype::kBf16, true), 6, 1e-9);
}

TEST(StepTimeTest, RecomputeRepeatsWhatItsModeRecomputes) {
  const ModelSpec m = Gpt22B();
  const ClusterSpec c = A100Cluster(1);
  ParallelConfig p = OneNodeTp8();
  StepTimeOptions o;
  o.memory.flash_attention = false;
  o.memory.dropout = true;
  p.recompute = Recompute::kFull;
  const LayerCost full = ComputeLayerCost(m, c, p, o);
  EXPECT_DOUBLE_EQ(full.recompute_s, full.fwd_s());  // one more forward of every layer
  const StepTime r = EstimateStepTime(m, c, p, o);
  EXPECT_DOUBLE_EQ(r.recompute_s, m.n_layers * full.fwd_s());
  p.recompute = Recompute::kSelective;
  const LayerCost sel = ComputeLayerCost(m, c, p, o);
  // QK^T, softmax, dropout and AV again: more than the two GEMMs, far less than a forward.
  EXPECT_GT(sel.recompute_s, sel.core_fwd_s);
  EXPECT_LT(sel.recompute_s, 0.5 * sel.fwd_s());
  p.recompute = Recompute::kNone;
  EXPECT_DOUBLE_EQ(ComputeLayerCost(m, c, p, o).recompute_s, 0);
  // Backward is two forwards of the GEMMs (input and weight gradients).
  EXPECT_DOUBLE_EQ(sel.bwd_s() - sel.core_bwd_s - sel.elementwise_bwd_s, 2 * sel.linear_fwd_s);
}

// DeepSeek-V3's attention (sec. 2.1: 128 heads, q latent 1536, kv latent 512, head 128 + RoPE 64,
// values 128) on one GPU, one 4,096-token sequence. A stack that recomputes what the report's
// sec. 3.2.3 recomputes repeats in backward: the two up-projection GEMMs, [4096 x 1536] x
// [1536 x 128*192] and [4096 x 512] x [512 x 128*(128+128)], each at the GEMM efficiency of its
// FLOPs (both compute-bound here: ~1 ms of compute against ~0.2 ms of HBM traffic), and the norms'
// forward, 4 bytes (read and write, 16-bit) per element of each of the two d_model-wide norms.
TEST(StepTimeTest, StackRecomputeRepeatsTheUpProjectionsAndNormsItNames) {
  ModelSpec m = testing::GptShape(2, 7168, 128, 1024, 4096);
  m.mla = {.q_lora_rank = 1536,
           .kv_lora_rank = 512,
           .qk_nope_head_dim = 128,
           .qk_rope_head_dim = 64,
           .v_head_dim = 128};
  m.head_dim = 192;
  m.n_kv_heads = 128;
  const ClusterSpec c = A100Cluster(1);
  ParallelConfig p;
  p.global_batch = 1;
  StepTimeOptions o;
  ASSERT_DOUBLE_EQ(ComputeLayerCost(m, c, p, o).recompute_s, 0);
  o.memory.recompute_up_projections = true;
  const double tokens = 4096, peak = 312e12;
  double up_s = 0;
  for (const double flops : {2 * tokens * 1536 * 128 * 192, 2 * tokens * 512 * 128 * 256})
    up_s += flops / (peak * GemmEfficiency(c.efficiency, flops));
  EXPECT_NEAR(ComputeLayerCost(m, c, p, o).recompute_s, up_s, 1e-9 * up_s);
  o.memory.recompute_norms = true;
  const double norms_s = HbmSeconds(c, 2 * 4 * tokens * 7168);
  EXPECT_NEAR(ComputeLayerCost(m, c, p, o).recompute_s, up_s + norms_s, 1e-9 * up_s);
  // Full recompute runs the whole forward again, these with it.
  p.recompute = Recompute::kFull;
  const LayerCost full = ComputeLayerCost(m, c, p, o);
  EXPECT_DOUBLE_EQ(full.recompute_s, full.fwd_s());
}

// A multi-token-prediction module (DeepSeek-V3 sec. 2.2) runs on the last stage: one more
// transformer layer, a [tokens, 2d] x [2d, d] projection, and the shared head and loss again. On
// one stage (tp 1: no TP collectives), one micro-batch's forward grows by one layer's forward,
// the projection (2 x 2048 x 2d x d FLOPs at its GEMM efficiency: compute-bound at d = 6144) and
// the head's forward with half the loss; the backward by twice the GEMMs and the other half.
TEST(StepTimeTest, MtpModuleAddsALayerAProjectionAndTheHeadAgainToTheLastStage) {
  ModelSpec m = Gpt22B();
  const ClusterSpec c = A100Cluster(1);
  ParallelConfig p;
  p.global_batch = 1;
  const StepTimeOptions o;
  const LayerCost lc = ComputeLayerCost(m, c, p, o);
  const StepTime without = EstimateStepTime(m, c, p, o);
  m.mtp_modules = 1;
  const StepTime with = EstimateStepTime(m, c, p, o);
  const double d = 6144, flops = 2 * 2048 * (2 * d) * d;
  const double projection_s = flops / (312e12 * GemmEfficiency(c.efficiency, flops));
  EXPECT_NEAR(ComputeLayerCost(m, c, p, o).mtp_projection_fwd_s, projection_s, 1e-9);
  EXPECT_NEAR(with.microbatch.forward - without.microbatch.forward,
              lc.fwd_s() + projection_s + lc.head_fwd_s + lc.loss_s / 2, 1e-9);
  EXPECT_NEAR(with.microbatch.backward - without.microbatch.backward,
              lc.bwd_s() + 2 * projection_s + 2 * lc.head_fwd_s + lc.loss_s / 2, 1e-9);
  // Model FLOPs stay the main model's (MTP is counted apart, as its parameters are): MFU falls.
  EXPECT_LT(with.mfu, without.mfu);
}

TEST(StepTimeTest, MfuAndHfuAreModelAndHardwareFlopsOverPeakTime) {
  const ModelSpec m = Gpt22B();
  const ClusterSpec c = A100Cluster(1);
  ParallelConfig p = OneNodeTp8();
  p.recompute = Recompute::kFull;
  const StepTime r = EstimateStepTime(m, c, p);
  const FlopsReport f = ComputeFlops(m, {m.seq_len, p.global_batch, false, Recompute::kFull});
  EXPECT_DOUBLE_EQ(r.model_flops, static_cast<double>(f.model_step));
  EXPECT_DOUBLE_EQ(r.hardware_flops, static_cast<double>(f.hardware_step));
  const double peak_time = r.step_time_s * 8 * 312e12;
  EXPECT_NEAR(r.mfu, r.model_flops / peak_time, 1e-12);
  EXPECT_NEAR(r.hfu, r.hardware_flops / peak_time, 1e-12);
  EXPECT_NEAR(r.hfu / r.mfu, 4.0 / 3, 0.01);  // full recompute: one more forward of three
  EXPECT_NEAR(r.tokens_per_s_per_gpu, 4 * 2048 / r.step_time_s / 8, 1e-9);
}

TEST(StepTimeTest, GemmEfficiencyIsHalfItsMaximumAtFHalf) {
  EfficiencySpec e;
  e.gemm_max = 0.8;
  e.gemm_half_flops = 2e9;
  EXPECT_DOUBLE_EQ(GemmEfficiency(e, 2e9), 0.4);
  EXPECT_DOUBLE_EQ(GemmEfficiency(e, 6e9), 0.8 * 6 / 8);
  EXPECT_NEAR(GemmEfficiency(e, 1e15), 0.8, 1e-5);
}

TEST(StepTimeTest, Bf16OptimizerAllReducesFp32GradientsUnderZeroOne) {
  // DeepSpeed's BF16_Optimizer (its own ZeRO-1) all-reduces the full fp32 gradient buffers
  // (pipe/engine.py _bf16_reduce_grads), then all-gathers the updated bf16 parameters; an fp16
  // run, and any ZeRO-2 run, reduce-scatters the stack's 2-byte gradients instead.
  const ModelSpec m = Gpt22B();
  const ClusterSpec c = A100Cluster(2);
  ParallelConfig p = TwoReplicasAcrossNodes(1);
  StepTimeOptions o;
  o.grad_comm_bytes = 2;
  o.overlap_dp = false;
  o.bf16_fp32_all_reduce = true;
  const double params = ParamsOnStage(SplitParams(m, CountParams(m)), p, true, true).total();
  const double gather = CollectiveSeconds(c, Collective::kAllGather, 2, 8, 2 * params);
  p.dtype = Dtype::kBf16;
  EXPECT_DOUBLE_EQ(EstimateStepTime(m, c, p, o).dp_comm_s,
                   CollectiveSeconds(c, Collective::kAllReduce, 2, 8, 4 * params) + gather);
  p.dtype = Dtype::kFp16;
  EXPECT_DOUBLE_EQ(EstimateStepTime(m, c, p, o).dp_comm_s,
                   CollectiveSeconds(c, Collective::kReduceScatter, 2, 8, 2 * params) + gather);
  p.dtype = Dtype::kBf16;
  p.zero = 2;
  EXPECT_DOUBLE_EQ(EstimateStepTime(m, c, p, o).dp_comm_s,
                   CollectiveSeconds(c, Collective::kReduceScatter, 2, 8, 2 * params) + gather);
}

TEST(StepTimeTest, ZeroTwoUnderPipeliningSyncsOnceWhereTheStackKeepsTheStageGathered) {
  // A stack that reduce-scatters ZeRO-2 gradients after every micro-batch (FSDP, DeepSpeed) does
  // so 4 times for 4 micro-batches; torch.distributed.pipelining turns gradient sync off for the
  // non-last backwards (zero3_with_pp: gathered, torchtitan), so once per step. The 16-bit
  // parameters are all-gathered after the optimizer step either way.
  const ModelSpec m = Gpt22B();
  const ClusterSpec c = A100Cluster(2);
  ParallelConfig p;
  p.pp = 2;
  p.dp = 8;
  p.micro_batch = 1;
  p.global_batch = 32;  // 4 micro-batches per replica
  p.zero = 2;
  p.recompute = Recompute::kFull;
  StepTimeOptions o;
  o.grad_comm_bytes = 4;
  // The paced stage is the last (it holds the LM head): its dp group is 8 ranks 1 apart.
  const double params = ParamsOnStage(SplitParams(m, CountParams(m)), p, false, true).total();
  const double reduce = CollectiveSeconds(c, Collective::kReduceScatter, 8, 1, 4 * params);
  const double gather = CollectiveSeconds(c, Collective::kAllGather, 8, 1, 2 * params);
  ASSERT_TRUE(o.zero2_reduce_per_microbatch);
  EXPECT_DOUBLE_EQ(EstimateStepTime(m, c, p, o).dp_comm_s, 4 * reduce + gather);
  o.memory.zero3_pp_gathered = true;
  EXPECT_DOUBLE_EQ(EstimateStepTime(m, c, p, o).dp_comm_s, reduce + gather);
  // Without pipelining the policy does not apply: every micro-batch reduce-scatters.
  p.pp = 1;
  p.dp = 16;
  p.global_batch = 64;
  const double all = ParamsOnStage(SplitParams(m, CountParams(m)), p, true, true).total();
  EXPECT_DOUBLE_EQ(EstimateStepTime(m, c, p, o).dp_comm_s,
                   4 * CollectiveSeconds(c, Collective::kReduceScatter, 16, 1, 4 * all) +
                       CollectiveSeconds(c, Collective::kAllGather, 16, 1, 2 * all));
}

// ZeRO-3 over 16 GPUs of two nodes, one micro-batch of one sequence each, full recompute.
ParallelConfig Zero3Over16() {
  ParallelConfig p;
  p.dp = 16;
  p.micro_batch = 1;
  p.global_batch = 16;
  p.zero = 3;
  p.recompute = Recompute::kFull;
  return p;
}

TEST(StepTimeTest, ZeroThreeGathersTwiceAndReduceScattersOncePerMicrobatch) {
  const ModelSpec m = Gpt22B();
  const ClusterSpec c = A100Cluster(2);
  const ParallelConfig p = Zero3Over16();
  const StageParams sp = ParamsOnStage(SplitParams(m, CountParams(m)), p, true, true);
  const StepTime r = EstimateStepTime(m, c, p);
  // One call per layer and pass: the bytes as one collective, plus the 47 further calls' ring
  // latency (16 ranks over 2 nodes: 7 NVLink steps of 3 us, then 1 InfiniBand step of 5 us).
  const double latency = (7 * kNvlinkUs + 1 * kIbUs) * 1e-6;
  const double gather =
      CollectiveSeconds(c, Collective::kAllGather, 16, 1, 2 * sp.total()) + 47 * latency;
  const double reduce =
      CollectiveSeconds(c, Collective::kReduceScatter, 16, 1, 4 * sp.total()) + 47 * latency;
  EXPECT_NEAR(r.zero3_comm_s, 2 * gather + reduce, 1e-6);
  EXPECT_DOUBLE_EQ(r.dp_comm_s, 0);
}

TEST(StepTimeTest, ZeroThreePerTensorCallsPayLatencyAndHostWorkPerRank) {
  // DeepSpeed before v0.5.6 (the deepspeed-2021 stack): one gather and one reduce-scatter per
  // parameter tensor, 5 us of host work per rank of the group and call, list-based calls that
  // copy the bytes once more, a third gather of each layer for full recompute's forward, nothing
  // prefetched.
  const ModelSpec m = Gpt22B();
  const ClusterSpec c = A100Cluster(2);
  ParallelConfig p = Zero3Over16();
  // A GPT layer with biases: 2 LayerNorms (weight, bias), QKV, projection, up and down (weight,
  // bias each): 12 tensors.
  ASSERT_EQ(ParamTensorsPerLayer(m), 12);
  StepTimeOptions o;
  o.zero3_prefetch = false;
  o.zero3_per_tensor = true;
  o.zero3_host_s_per_rank = 5e-6;
  o.zero3_recompute_regathers = true;
  o.zero3_list_copies = true;
  const StageParams sp = ParamsOnStage(SplitParams(m, CountParams(m)), p, true, true);
  const double calls = 48 * 12;
  const double latency = (7 * kNvlinkUs + 1 * kIbUs) * 1e-6;
  const double per_call = 16 * 5e-6;
  // The list-based calls move the bytes once more through HBM: a gather zero-fills its 2-byte
  // buffer and copies it out (3 passes), a reduce-scatter copies its 4-byte inputs in (2).
  const double hbm_Bps = 2039e9 * c.efficiency.hbm_fraction;
  const double gather = CollectiveSeconds(c, Collective::kAllGather, 16, 1, 2 * sp.total()) +
                        (calls - 1) * latency + calls * per_call + 3 * 2 * sp.total() / hbm_Bps;
  const double reduce = CollectiveSeconds(c, Collective::kReduceScatter, 16, 1, 4 * sp.total()) +
                        (calls - 1) * latency + calls * per_call + 2 * 4 * sp.total() / hbm_Bps;
  const StepTime r = EstimateStepTime(m, c, p, o);
  // Within 1 us, far below one call's 26 us latency (the latency probe moves one byte a call).
  EXPECT_NEAR(r.zero3_comm_s, 3 * gather + reduce, 1e-6);
  EXPECT_NEAR(r.zero3_exposed_s, r.zero3_comm_s, 1e-12);  // no prefetch: every call waits
  EXPECT_DOUBLE_EQ(r.zero3_calls, 4 * calls);                // 3 gathers and 1 reduce-scatter
  EXPECT_NEAR(r.zero3_host_s, 4 * calls * per_call, 1e-12);
  // Without full recompute the layer is gathered twice.
  p.recompute = Recompute::kNone;
  EXPECT_NEAR(EstimateStepTime(m, c, p, o).zero3_comm_s, 2 * gather + reduce, 1e-6);
}

TEST(StepTimeTest, FlashAttentionSkipsTheMaskedHalfAndTheScoreTraffic) {
  const ModelSpec m = Gpt22B();
  const ClusterSpec c = A100Cluster(1);
  ParallelConfig p = OneNodeTp8();
  StepTimeOptions flash, megatron;
  megatron.memory.flash_attention = false;
  megatron.memory.dropout = true;
  const LayerCost f = ComputeLayerCost(m, c, p, flash), g = ComputeLayerCost(m, c, p, megatron);
  EXPECT_LT(f.core_fwd_s, 0.5 * g.core_fwd_s);
  EXPECT_DOUBLE_EQ(f.core_bwd_s, 2.5 * f.core_fwd_s);  // FlashAttention-2's backward
  EXPECT_DOUBLE_EQ(g.core_bwd_s, 2 * g.core_fwd_s);
  EXPECT_LT(f.elementwise_s, g.elementwise_s);
}

TEST(StepTimeTest, SlidingWindowAttentionCoreCountsTheWindow) {
  const ModelSpec global = Gpt22B();  // T = 2048, 64 heads of 96
  ModelSpec local = global, mixed = global;
  local.window = {256, 0, WindowKind::kSliding};  // every layer windowed (Mistral 7B)
  mixed.window = {256, 1, WindowKind::kSliding};  // one windowed layer per global one (Gemma 2)
  const ClusterSpec c = A100Cluster(1);
  const ParallelConfig p = OneNodeTp8();  // 8 heads per GPU, 4 sequences
  const StepTimeOptions o;                // fused attention
  // The fused kernel's time at the efficiency curve is (F + half) / K, F = 4 s hd keys (H/t) b
  // for its two products, keys the mean keys per query: T / 2 causal; a window of W gives
  // (W (W + 1) / 2 + (T - W) W) / T; the global layers of the mixed model (T + 1) / 2.
  const double T = 2048, W = 256, half = c.efficiency.gemm_half_flops;
  const auto flops = [&](double keys) { return 4 * T * 96 * keys * 8 * 4; };
  const double window_keys = (W * (W + 1) / 2 + (T - W) * W) / T;
  const double g = ComputeLayerCost(global, c, p, o).core_fwd_s;
  const double expected_local = (flops(window_keys) + half) / (flops(T / 2) + half);
  EXPECT_NEAR(ComputeLayerCost(local, c, p, o).core_fwd_s / g, expected_local, 1e-9);
  const double mixed_keys = 0.5 * window_keys + 0.5 * (T + 1) / 2;
  const double expected_mixed = (flops(mixed_keys) + half) / (flops(T / 2) + half);
  EXPECT_NEAR(ComputeLayerCost(mixed, c, p, o).core_fwd_s / g, expected_mixed, 1e-9);
}

TEST(StepTimeTest, CpuOffloadingStallsOnlyWhereTheCopyOutlastsALayer) {
  // Each offloaded layer's activations (act_bytes) go to the host during the next layer's
  // forward and come back during the backward of the layer after it: what the copy over the host
  // link takes beyond that layer's forward (backward) compute stalls the stream.
  const ModelSpec m = Gpt22B();
  ClusterSpec c = A100Cluster(1);
  c.gpu.host_GiB = 256;
  ParallelConfig p = OneNodeTp8();
  p.offload_layers = 12;  // of 48
  const StepTimeOptions o;
  for (const double link_GBps : {1.0, 1000.0}) {
    c.gpu.host_link_GBps = link_GBps;
    const LayerCost with = ComputeLayerCost(m, c, p, o);
    ParallelConfig none = p;
    none.offload_layers = 0;
    const LayerCost without = ComputeLayerCost(m, c, none, o);
    const double copy_s = without.act_bytes / (link_GBps * 1e9);
    EXPECT_DOUBLE_EQ(with.fwd_s() - without.fwd_s(),
                     12.0 / 48 * std::max(0.0, copy_s - without.fwd_s()));
    EXPECT_DOUBLE_EQ(with.bwd_s() - without.bwd_s(),
                     12.0 / 48 * std::max(0.0, copy_s - without.bwd_s()));
    const StepTime t = EstimateStepTime(m, c, p, o);
    EXPECT_DOUBLE_EQ(t.offload_copy_s, 12 * 2 * copy_s);  // one micro-batch, out and back
  }
  // At 1 GB/s the copies stall the stream; at 1,000 GB/s a layer's compute hides them.
  c.gpu.host_link_GBps = 1000;
  EXPECT_DOUBLE_EQ(EstimateStepTime(m, c, p, o).offload_exposed_s, 0);
}

TEST(StepTimeTest, CpuOffloadingIsRefusedWhereMegatronCoreRefusesIt) {
  const ModelSpec m = Gpt22B();
  ClusterSpec c = A100Cluster(1);
  ParallelConfig p = OneNodeTp8();
  p.offload_layers = 12;
  EXPECT_EQ(FindLayoutIssue(m, c, p), LayoutIssue::kOffload);  // no host link in the cluster
  c.gpu.host_link_GBps = 32;
  EXPECT_EQ(FindLayoutIssue(m, c, p), LayoutIssue::kOffload);  // nor host memory to copy into
  c.gpu.host_GiB = 256;
  EXPECT_EQ(FindLayoutIssue(m, c, p), std::nullopt);
  p.offload_layers = 48;  // every layer: Megatron-Core keeps at least one
  EXPECT_EQ(CheckLayout(m, c, p)->field, LayoutField::kOffloadLayers);
  p.offload_layers = 12;
  p.recompute = Recompute::kSelective;
  EXPECT_EQ(CheckLayout(m, c, p)->field, LayoutField::kRecompute);
}

TEST(StepTimeTest, TrainingMetricLossesAddTheEagerLossForwardPerLogit) {
  // Each training-metric cross-entropy (Composer) reads the 16-bit logits and writes an fp32
  // copy (2 + 4 bytes), then log_softmax reads it and writes its fp32 output (4 + 4): 14 bytes
  // per logit of the last stage, s b tokens by V / t columns, at the HBM rate.
  const ModelSpec m = Gpt22B();
  const ClusterSpec c = A100Cluster(1);
  ParallelConfig p = OneNodeTp8();
  StepTimeOptions o;
  const LayerCost plain = ComputeLayerCost(m, c, p, o);
  o.memory.train_metric_losses = 2;
  const LayerCost metrics = ComputeLayerCost(m, c, p, o);
  const double logits = 2048.0 * 4 * 51200 / 8;
  EXPECT_NEAR(metrics.loss_s - plain.loss_s, HbmSeconds(c, 2 * 14 * logits), 1e-15);
  EXPECT_DOUBLE_EQ(metrics.head_fwd_s, plain.head_fwd_s);
}

TEST(StepTimeTest, MuonRunsFiveNewtonSchulzIterationsPerMatrix) {
  // A GPT layer at tp 1 holds four [d, d] attention matrices and the MLP's [d, 4d] and [4d, d].
  // Five iterations of X X^T ([a,b]x[b,a]), A A ([a,a]x[a,a]) and B X ([a,a]x[a,b]), a = min(k, n),
  // b = max(k, n), cost 5 (4 a^2 b + 2 a^3) FLOPs: 4 x 5 x 6 d^3 + 2 x 5 x 18 d^3 = 300 d^3 a
  // layer, at full GEMM efficiency and unbounded HBM bandwidth 300 d^3 / peak seconds.
  const ModelSpec m = Gpt22B();
  ClusterSpec c = A100Cluster(1);
  c.efficiency.gemm_max = 1;
  c.efficiency.gemm_half_flops = 1;  // negligible against these GEMMs' 1e11-1e12 FLOPs
  c.gpu.hbm_GBps = 1e12;
  ParallelConfig p;
  p.dp = 8;
  p.zero = 1;
  p.micro_batch = 1;
  p.global_batch = 8;
  StepTimeOptions o;
  const double d = 6144, peak = 312e12;
  EXPECT_EQ(ComputeLayerCost(m, c, p, o).muon_dense_s, 0);  // AdamW
  o.muon = true;
  const LayerCost lc = ComputeLayerCost(m, c, p, o);
  EXPECT_NEAR(lc.muon_dense_s * peak, 300 * d * d * d, 1e-6 * 300 * d * d * d);
  EXPECT_EQ(lc.muon_expert_s, 0);  // a dense model
  // Once per step, split over the ZeRO-1 shard of 8 ranks (whole matrices each): 48 layers / 8.
  StepTimeOptions adamw = o;
  adamw.muon = false;
  EXPECT_NEAR(
      EstimateStepTime(m, c, p, o).optimizer_s - EstimateStepTime(m, c, p, adamw).optimizer_s,
      48 * lc.muon_dense_s / 8, 1e-9);
}

}  // namespace
}  // namespace planner
