// Hybrid sharding (HSDP: FSDP's HYBRID_SHARD, torchtitan's dp_shard x dp_replicate): ZeRO shards
// over groups of dp_shard data-parallel ranks, replicated dp / dp_shard times. Derived by hand on
// a two-level network without latency or efficiency losses: 4 nodes of 8 GPUs, NVLink 100 GB/s,
// InfiniBand 10 GB/s per GPU, dp = 32, tp = 1. Collectives run level by level (collectives.h):
// a reduce-scatter inside each node, then across nodes on the eighth each rank owns.
//   * full shard over 32: all-gather or reduce-scatter of B bytes costs
//       7/8 B / 100 GB/s + 3/4 (B/8) / 10 GB/s;
//   * dp_shard 8 (a node): the gather stays in the node, 7/8 B / 100 GB/s; the reduce-scatter
//     adds an all-reduce of its B/8 shard across the 4 replicas (one GPU per node, ring bus
//     factor 2 x 3/4): 7/8 B / 100 GB/s + 2 x 3/4 (B/8) / 10 GB/s;
//   * sharded states shrink by the shard group, 8 instead of 32: four times the bytes.
#include <gtest/gtest.h>

#include <set>

#include "model_fixtures.h"
#include "planner/core/memory.h"
#include "planner/core/parallel_config.h"
#include "planner/core/search.h"
#include "planner/core/stack_spec.h"
#include "planner/core/step_pieces.h"

namespace planner {
namespace {

ClusterSpec FourNodes() {
  ClusterSpec c;
  c.name = "four-nodes";
  c.gpu.name = "gpu";
  c.gpu.peak_tflops[static_cast<int>(Dtype::kBf16)] = 1000;
  c.gpu.hbm_GiB = 1e4;
  c.gpu.hbm_GBps = 1e4;
  c.gpus_per_node = 8;
  c.nodes = 4;
  c.network = {{"nvlink", 8, 100, 0}, {"infiniband", 0, 10, 0}};
  c.efficiency.collective_bw_fraction = 1;
  c.efficiency.scaleout_bw_fraction = 1;
  c.price_per_gpu_hour_usd = 1;
  return c;
}

ParallelConfig Dp32(int64_t dp_shard) {
  ParallelConfig p;
  p.dp = 32;
  p.zero = 3;
  p.dp_shard = dp_shard;
  p.global_batch = 32;
  return p;
}

TEST(HybridShardTest, GathersStayInTheShardGroupAndGradientsCrossReplicas) {
  const ClusterSpec c = FourNodes();
  const double params = 1e9, bytes = 2 * params;  // 2 bytes per parameter
  const double nvlink = 100e9, ib = 10e9;
  const double full_shard = 7.0 / 8 * bytes / nvlink + 3.0 / 4 * (bytes / 8) / ib;
  EXPECT_NEAR(DpCollectiveSeconds(c, Dp32(0), Collective::kAllGather, params, 0, 2), full_shard,
              1e-12);
  EXPECT_NEAR(DpCollectiveSeconds(c, Dp32(0), Collective::kReduceScatter, params, 0, 2),
              full_shard, 1e-12);
  EXPECT_NEAR(DpCollectiveSeconds(c, Dp32(8), Collective::kAllGather, params, 0, 2),
              7.0 / 8 * bytes / nvlink, 1e-12);
  EXPECT_NEAR(DpCollectiveSeconds(c, Dp32(8), Collective::kReduceScatter, params, 0, 2),
              7.0 / 8 * bytes / nvlink + 2 * 3.0 / 4 * (bytes / 8) / ib, 1e-12);
  // dp_shard = dp is full sharding.
  EXPECT_EQ(DpCollectiveSeconds(c, Dp32(32), Collective::kReduceScatter, params, 0, 2),
            DpCollectiveSeconds(c, Dp32(0), Collective::kReduceScatter, params, 0, 2));
}

TEST(HybridShardTest, StatesAreShardedOverTheGroupOnly) {
  const ModelSpec m = testing::TinyModel();
  MemoryOptions o;
  const MemoryBreakdown full = EstimateMemory(m, FourNodes(), Dp32(0), o);
  const MemoryBreakdown hybrid = EstimateMemory(m, FourNodes(), Dp32(8), o);
  EXPECT_DOUBLE_EQ(hybrid.weights, 4 * full.weights);
  EXPECT_DOUBLE_EQ(hybrid.gradients, 4 * full.gradients);
  EXPECT_DOUBLE_EQ(hybrid.optimizer, 4 * full.optimizer);
}

TEST(HybridShardTest, LayoutRulesAndStacks) {
  const ModelSpec m = testing::TinyModel();
  const ClusterSpec c = FourNodes();
  EXPECT_FALSE(CheckLayout(m, c, Dp32(8)));
  EXPECT_EQ(CheckLayout(m, c, Dp32(6))->field, LayoutField::kDpShard);  // 6 does not divide 32
  ParallelConfig ddp = Dp32(8);
  ddp.zero = 0;  // nothing to shard
  EXPECT_EQ(CheckLayout(m, c, ddp)->issue, LayoutIssue::kDpShard);
  StackSpec megatron;
  megatron.name = "megatron";
  megatron.max_zero = 3;
  EXPECT_EQ(StackIssue(megatron, m, Dp32(8)), LayoutIssue::kStackFeature);
  EXPECT_FALSE(StackIssue(megatron, m, Dp32(0)));
  StackSpec fsdp = megatron;
  fsdp.hybrid_shard = true;
  EXPECT_FALSE(StackIssue(fsdp, m, Dp32(8)));
}

TEST(HybridShardTest, SearchTriesANodeSizedShardGroupWhereTheStackHasIt) {
  const ModelSpec m = testing::TinyModel();
  SearchSpace space;
  space.global_batch = 32;
  space.zero_stages = {3};
  SearchOptions o;
  o.top_k = 1000;
  o.collapse_equivalent = false;
  StackSpec stack;
  stack.name = "fsdp";
  stack.max_zero = 3;
  stack.max_zero_with_pp = 3;
  const auto shards = [&](bool hybrid) {
    stack.hybrid_shard = hybrid;
    o.stack = stack;
    std::set<int64_t> seen;
    for (const Plan& p : Search(m, FourNodes(), space, o).plans) {
      if (p.layout.tp == 1 && p.layout.pp == 1 && p.layout.cp == 1) seen.insert(p.layout.dp_shard);
    }
    return seen;
  };
  EXPECT_EQ(shards(false), (std::set<int64_t>{0}));
  EXPECT_EQ(shards(true), (std::set<int64_t>{0, 8}));  // 8 ranks: one node at tp = cp = 1
}

}  // namespace
}  // namespace planner
