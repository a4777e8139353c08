// The H800 and GB200 NVL72 presets against their datasheets (issue 17): per-GPU figures are the
// datasheet's per-GPU or rack totals / 72, dense = sparse / 2, per direction = bidirectional / 2.
#include <gtest/gtest.h>

#include "planner/io/cluster_io.h"

namespace planner {
namespace {

TEST(FrontierClustersTest, H800IsAnH100WithNvlinkCutTo400GBps) {
  const ClusterSpec h800 = LoadCluster("h800");
  const ClusterSpec h100 = LoadCluster("dgx-h100");
  EXPECT_EQ(h800.gpu.peak(Dtype::kBf16), 1979.0 / 2);  // datasheet BF16 1,979 with sparsity
  EXPECT_EQ(h800.gpu.peak(Dtype::kBf16), h100.gpu.peak(Dtype::kBf16));
  ASSERT_EQ(h800.network.size(), 2u);
  EXPECT_EQ(h800.network[0].size, 8);
  EXPECT_EQ(h800.network[0].bw_GBps, 400.0 / 2);  // datasheet NVLink 400 GB/s bidirectional
  EXPECT_EQ(h800.network[1].bw_GBps, 50);          // DeepSeek-V3 report: IB 50 GB/s
  EXPECT_EQ(h800.gpus_per_node * h800.nodes, 2048);  // DeepSeek-V3's cluster
}

TEST(FrontierClustersTest, Gb200Nvl72SpansSeventyTwoGpusOnNvlink) {
  const ClusterSpec c = LoadCluster("gb200-nvl72");
  ASSERT_EQ(c.network.size(), 2u);
  EXPECT_EQ(c.network[0].size, 72);
  EXPECT_EQ(c.network[0].bw_GBps, 1800.0 / 2);  // NVLink 5: 1.8 TB/s per GPU bidirectional
  EXPECT_EQ(c.gpu.peak(Dtype::kBf16), 360000.0 / 72 / 2);  // rack 360 PFLOPS BF16 sparse
  EXPECT_EQ(c.gpu.peak(Dtype::kFp8), 720000.0 / 72 / 2);   // rack 720 PFLOPS FP8 sparse
  EXPECT_EQ(c.gpu.hbm_GBps, 576000.0 / 72);                // rack 576 TB/s
  EXPECT_EQ(c.gpus_per_node * c.nodes, 72);                // one rack by default
}

}  // namespace
}  // namespace planner
