// Expert-parallel cost (moe_cost.h) against hand derivations: node-limited all-to-all bytes and
// seconds, load imbalance, exposure beside compute, the SMs an overlapped all-to-all keeps, and
// DualPipe's bubble (DeepSeek-V3 Table 2) and memory.
#include "planner/core/moe_cost.h"

#include <gtest/gtest.h>

#include <cmath>

#include "moe_shapes.h"
#include "planner/core/memory.h"
#include "planner/core/step_time.h"

namespace planner {
namespace {

// H800-like nodes: 8 GPUs on NVLink (200 GB/s per direction, 3 us), InfiniBand 50 GB/s (5 us),
// NCCL reaching 0.8 of NVLink and 0.9 of the NIC.
ClusterSpec H800Like() {
  ClusterSpec c;
  c.name = "h800-like";
  c.gpu.name = "h800-like";
  c.gpu.peak_tflops[static_cast<int>(Dtype::kBf16)] = 989.5;
  c.gpu.peak_tflops[static_cast<int>(Dtype::kFp8)] = 1979;
  c.gpu.hbm_GiB = 1e6;
  c.gpu.hbm_GBps = 3350;
  c.gpus_per_node = 8;
  c.nodes = 256;
  c.network = {{"nvlink", 8, 200, 3}, {"infiniband", 0, 50, 5}};
  c.price_per_gpu_hour_usd = 2;
  c.efficiency.collective_bw_fraction = 0.8;
  c.efficiency.scaleout_bw_fraction = 0.9;
  return c;
}

ParallelConfig Ep64() {
  ParallelConfig p;
  p.dp = 64;
  p.ep = 64;
  p.global_batch = 64;
  p.dtype = Dtype::kFp8;
  return p;
}

TEST(MoeCostTest, NodeLimitedRoutingSendsOneScaleOutCopyPerRemoteTargetNode) {
  const ModelSpec m = testing::DeepSeekV3Shape();  // top-8 of 256 experts, d = 7168
  ModelSpec limited = m;
  limited.moe.max_nodes_per_token = 4;
  StepTimeOptions o;
  o.a2a_fp8_dispatch = true;
  o.a2a_node_dedup = true;  // DeepSeek's dispatch kernels
  const double tokens = 4096;
  const MoeAllToAll r = MoeAllToAllCost(limited, H800Like(), Ep64(), o, tokens, 1);
  // EP 64 over 8-GPU nodes: 8 nodes. A token targets 4 of them, its own among them with
  // probability 4/8: 3.5 remote copies. Per copy: fp8 dispatch (1 byte) + bf16 combine, and both
  // backward, 2 + 2 + 2 bytes per element of d.
  const double per_copy = 7168.0 * (1 + 2 + 2 + 2);
  EXPECT_DOUBLE_EQ(r.scaleout_bytes, tokens * 3.5 * per_copy);
  // All 8 routed copies are forwarded over NVLink to 7 of 8 GPUs on average.
  EXPECT_DOUBLE_EQ(r.domain_bytes, tokens * 8 * per_copy * 7 / 8);
  // The InfiniBand hop is the slower (45 GB/s against 160): 4 all-to-alls of 7 steps of 5 us.
  EXPECT_NEAR(r.seconds, 4 * 7 * 5e-6 + tokens * 3.5 * per_copy / 45e9, 1e-12);
  // Without the limit the 8 experts of a balanced router fall on 8 (1 - (7/8)^8) = 5.25 distinct
  // nodes of 8, the token's own among them with probability 5.25/8: 4.59 remote copies.
  const double distinct = 8 * (1 - std::pow(7.0 / 8, 8));
  const MoeAllToAll open = MoeAllToAllCost(m, H800Like(), Ep64(), o, tokens, 1);
  EXPECT_NEAR(open.scaleout_bytes, tokens * distinct * 7 / 8 * per_copy,
              1e-6 * open.scaleout_bytes);
  // Without per-node de-duplication each copy goes to its expert's GPU: 8 x 56/64 = 7 copies
  // leave the node, with the limit or without it, twice the 3.5 of the limited routing.
  o.a2a_node_dedup = false;
  const MoeAllToAll each = MoeAllToAllCost(m, H800Like(), Ep64(), o, tokens, 1);
  EXPECT_DOUBLE_EQ(each.scaleout_bytes, 2 * r.scaleout_bytes);
  EXPECT_GT(each.seconds, 1.9 * r.seconds);
  EXPECT_DOUBLE_EQ(MoeAllToAllCost(limited, H800Like(), Ep64(), o, tokens, 1).scaleout_bytes,
                   each.scaleout_bytes);
}

TEST(MoeCostTest, BusiestRankCarriesTheLoadImbalance) {
  ModelSpec m = testing::DeepSeekV3Shape();
  m.moe.max_nodes_per_token = 4;
  StepTimeOptions o;
  o.a2a_node_dedup = true;
  const double base = MoeAllToAllCost(m, H800Like(), Ep64(), o, 4096, 1).scaleout_bytes;
  m.moe.load_imbalance = 1.25;
  EXPECT_DOUBLE_EQ(MoeAllToAllCost(m, H800Like(), Ep64(), o, 4096, 1).scaleout_bytes, 1.25 * base);
}

TEST(MoeCostTest, EpInsideOneDomainSendsNothingAcrossNodes) {
  ModelSpec m = testing::DeepSeekV3Shape();
  m.moe.max_nodes_per_token = 4;
  ParallelConfig p = Ep64();
  p.ep = 8;
  const MoeAllToAll r = MoeAllToAllCost(m, H800Like(), p, {}, 4096, 1);
  EXPECT_EQ(r.scaleout_bytes, 0);
  // bf16 dispatch: 4 all-to-alls of 2 bytes per element, 7 of 8 copies leave the GPU.
  EXPECT_DOUBLE_EQ(r.domain_bytes, 4096.0 * 8 * 7168 * 8 * 7 / 8);
}

TEST(MoeCostTest, OverlapLeavesOnlyTheExcessOverComputeExposed) {
  StepTimeOptions o;
  EXPECT_EQ(ExposedAllToAllSeconds(o, 3, 5), 3);  // not overlapped: all exposed
  o.overlap_a2a = true;
  EXPECT_EQ(ExposedAllToAllSeconds(o, 3, 5), 0);
  EXPECT_EQ(ExposedAllToAllSeconds(o, 7, 5), 2);
}

TEST(MoeCostTest, OverlappedAllToAllKeepsItsSmsWhileItRuns) {
  // The communication kernels keep f of the SMs while they run: compute loses f x a2a of
  // progress, and the stage takes max(compute + f a2a, a2a). With f = 20/132 (DeepSeek-V3: 20 of
  // the H800's 132 SMs) and 5 s of compute: 3 s of all-to-all add 3 x 20/132; 7 s add the 2 s
  // beyond compute (more than 7 x 20/132 = 1.06); 5.5 s add 5.5 x 20/132 = 0.83 (more than 0.5).
  StepTimeOptions o;
  o.overlap_a2a = true;
  o.a2a_sm_fraction = 20.0 / 132;
  EXPECT_DOUBLE_EQ(ExposedAllToAllSeconds(o, 3, 5), 3 * 20.0 / 132);
  EXPECT_DOUBLE_EQ(ExposedAllToAllSeconds(o, 7, 5), 2);
  EXPECT_DOUBLE_EQ(ExposedAllToAllSeconds(o, 5.5, 5), 5.5 * 20.0 / 132);
  o.overlap_a2a = false;  // waited for: all of it, the SMs given back meanwhile
  EXPECT_DOUBLE_EQ(ExposedAllToAllSeconds(o, 3, 5), 3);
}

TEST(MoeCostTest, StepTimeHidesTheOverlappedAllToAllButForItsSms) {
  ModelSpec m = testing::DeepSeekV3Shape();
  m.moe.max_nodes_per_token = 4;
  ClusterSpec c = H800Like();
  c.efficiency.gemm_max = 0.5;
  c.efficiency.gemm_half_flops = 0;
  c.efficiency.hbm_fraction = 0.75;
  ParallelConfig p = Ep64();
  p.dtype = Dtype::kBf16;
  StepTimeOptions plain;
  plain.memory.flash_attention = true;
  StepTimeOptions overlapped = plain;
  overlapped.overlap_a2a = true;
  overlapped.a2a_sm_fraction = 20.0 / 132;
  const StepTime a = EstimateStepTime(m, c, p, plain);
  const StepTime b = EstimateStepTime(m, c, p, overlapped);
  EXPECT_EQ(a.ep_exposed_s, a.ep_comm_s);  // synchronous: all of it on the critical path
  EXPECT_DOUBLE_EQ(b.ep_comm_s, a.ep_comm_s);
  ASSERT_LT(b.ep_comm_s, b.compute_s);  // less all-to-all than compute: hidden but for its SMs
  EXPECT_NEAR(b.ep_exposed_s, 20.0 / 132 * b.ep_comm_s, 1e-12 * b.ep_comm_s);
  EXPECT_DOUBLE_EQ(b.backward_s, a.backward_s);  // compute itself is priced alike
}

TEST(DualPipeTest, BubbleIsHalfThePipelineTimesFPlusBMinusTwoW) {
  // (PP/2 - 1)(F + B - 2W): PP 16, F + B = 3, W 0.5 -> 7 x 2.
  EXPECT_DOUBLE_EQ(DualPipeBubbleSeconds(16, 3, 0.5), 7 * 2.0);
  EXPECT_EQ(DualPipeBubbleSeconds(2, 3, 0.5), 0);  // two ranks: each holds both stages
}

TEST(DualPipeTest, EachRankHoldsItsStageAndTheMirrorStage) {
  ModelSpec m = testing::DeepSeekV3Shape();
  m.n_layers = 64;  // 8 even stages of 8 layers
  ParallelConfig p;
  p.pp = 8;
  p.dp = 8;
  p.ep = 8;
  p.global_batch = 8 * 32;  // 32 micro-batches
  p.schedule = Schedule::kDualPipe;
  const MemoryOptions o;
  const MemoryBreakdown dual = EstimateMemory(m, {}, p, o);
  // The rank of stage 0 also holds stage 7 (and so the embedding and the head): every rank holds
  // the parameters of two stages, ZeRO-0 keeping all of them in 16 bits.
  const ParamSplit split = SplitParams(m, CountParams(m));
  const double first = ParamsOnStage(split, p, true, false).total();
  const double last = ParamsOnStage(split, p, false, true).total();
  const double middle = ParamsOnStage(split, p, false, false).total();
  const double two_stages = dual.stage == 0 || dual.stage == 7 ? first + last : 2 * middle;
  EXPECT_DOUBLE_EQ(dual.weights, o.weight_bytes * two_stages);
  // Table 2: PP + 1 micro-batches of activations on every rank, 8 layers each; the ranks of
  // stages 0 and 7 also run the MTP module's layer beside the head, half their work: 8.5 layers.
  const double layers = dual.stage == 0 || dual.stage == 7 ? 8 + 0.5 : 8;
  EXPECT_EQ(dual.inflight_layer_microbatches, layers * (8 + 1));
}

TEST(MtpMemoryTest, TheLastStageHoldsTheMtpModule) {
  ModelSpec m = testing::DeepSeekV3Shape();
  m.n_layers = 64;
  ParallelConfig p;
  p.pp = 8;
  p.ep = 8;
  p.dp = 8;
  const ParamCount pc = CountParams(m);
  // DeepSeek-V3's MTP module: 2d x d projection, norms and one MoE layer of 256 routed experts.
  const double expert = 3.0 * m.d_model * m.moe.d_ff_expert;
  ASSERT_EQ(pc.mtp_routed_experts, 256 * expert);
  ModelSpec no_mtp = m;
  no_mtp.mtp_modules = 0;
  const ParamSplit with = SplitParams(m, pc), without = SplitParams(no_mtp, CountParams(no_mtp));
  const double last = ParamsOnStage(with, p, false, true).total();
  const double last_without = ParamsOnStage(without, p, false, true).total();
  // Dense parts whole on each tp rank (tp 1); the routed experts split over EP 8.
  EXPECT_DOUBLE_EQ(last - last_without, (pc.mtp - pc.mtp_routed_experts) + 256 * expert / 8);
  EXPECT_DOUBLE_EQ(ParamsOnStage(with, p, false, false).total(),
                   ParamsOnStage(without, p, false, false).total());
  // Without the head (a stage that is not last) or without the LM head at all, no MTP runs.
  ModelSpec encoder = m;
  encoder.lm_head = false;
  EXPECT_EQ(SplitParams(encoder, CountParams(encoder)).mtp_layers, 0);
  EXPECT_EQ(with.mtp_layers, 1);
}

}  // namespace
}  // namespace planner
