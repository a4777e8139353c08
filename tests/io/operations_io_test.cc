// The reliability, storage, power and pricing blocks of a cluster file: read, defaults kept where
// a key is absent, and written back by ClusterToYaml (what `planner calibrate -o` writes).
#include "planner/io/operations_io.h"

#include <gtest/gtest.h>

#include "planner/io/cluster_io.h"

namespace planner {
namespace {

constexpr const char* kOperationsCluster = R"(name: ops
gpu: {name: G, peak_tflops: {bf16: 989.5}, hbm_GiB: 80, hbm_GBps: 3350, tdp_W: 700}
gpus_per_node: 8
nodes: 2
network: [{name: ib, size: 0, bw_GBps: 50, latency_us: 5}]
price_per_gpu_hour_usd: 3.99
reliability: {interruptions_per_gpu_hour: 4.0e-5, relaunch_s: 120, checkpoint_interval_s: 1800}
storage: {write_GBps: 100}
power: {pue: 1.1, source: a hall}
pricing:
  - {class: spot, usd_per_gpu_hour: 1.6, preemptions_per_node_hour: 2.7e-4}
)";

TEST(OperationsIoTest, ReadsTheBlocksAndKeepsDefaultsElsewhere) {
  const ClusterSpec c = ReadClusterSpec(ParseYaml("ops.yaml", kOperationsCluster));
  EXPECT_DOUBLE_EQ(c.reliability.interruptions_per_gpu_hour, 4.0e-5);
  EXPECT_DOUBLE_EQ(c.reliability.relaunch_s, 120);
  EXPECT_DOUBLE_EQ(c.reliability.detect_s, ReliabilitySpec{}.detect_s);
  EXPECT_DOUBLE_EQ(*c.reliability.checkpoint_interval_s, 1800);
  EXPECT_DOUBLE_EQ(c.storage.write_GBps, 100);
  EXPECT_DOUBLE_EQ(c.storage.read_GBps, 100);  // reads at least as fast as it writes
  EXPECT_DOUBLE_EQ(c.power.pue, 1.1);
  EXPECT_DOUBLE_EQ(c.power.grid_kg_per_kWh, PowerSpec{}.grid_kg_per_kWh);
  ASSERT_EQ(c.pricing.size(), 1u);
  EXPECT_EQ(c.pricing[0].name, "spot");
  EXPECT_DOUBLE_EQ(c.pricing[0].preemptions_per_node_hour, 2.7e-4);
}

TEST(OperationsIoTest, ClusterToYamlRoundTripsTheBlocks) {
  const ClusterSpec c = ReadClusterSpec(ParseYaml("ops.yaml", kOperationsCluster));
  const ClusterSpec back = ReadClusterSpec(ParseYaml("out.yaml", ClusterToYaml(c)));
  EXPECT_DOUBLE_EQ(back.reliability.interruptions_per_gpu_hour, 4.0e-5);
  EXPECT_DOUBLE_EQ(back.reliability.relaunch_s, 120);
  EXPECT_DOUBLE_EQ(*back.reliability.checkpoint_interval_s, 1800);
  EXPECT_DOUBLE_EQ(back.storage.write_GBps, 100);
  EXPECT_DOUBLE_EQ(back.power.pue, 1.1);
  ASSERT_EQ(back.pricing.size(), 1u);
  EXPECT_DOUBLE_EQ(back.pricing[0].usd_per_gpu_hour, 1.6);
  // A cluster without the blocks writes none of them.
  ClusterSpec plain = c;
  plain.reliability = {};
  plain.storage = {};
  plain.power = {};
  plain.pricing.clear();
  const std::string yaml = ClusterToYaml(plain);
  EXPECT_EQ(yaml.find("reliability"), std::string::npos);
  EXPECT_EQ(yaml.find("pricing"), std::string::npos);
}

}  // namespace
}  // namespace planner
