// The efficiency block of a cluster file: every term read under its key (kEfficiencyTerms), the
// scale-out fraction defaulting to the scale-up one, and ClusterToYaml writing each back.
#include <gtest/gtest.h>

#include <string>

#include "planner/io/cluster_io.h"

namespace planner {
namespace {

std::string Cluster(const std::string& efficiency) {
  return R"(name: eff
gpu: {name: G, peak_tflops: {bf16: 989.5}, hbm_GiB: 80, hbm_GBps: 3350, tdp_W: 700}
gpus_per_node: 8
nodes: 2
network: [{name: nvlink, size: 8, bw_GBps: 450, latency_us: 3}, {name: ib, size: 0, bw_GBps: 50, latency_us: 5}]
price_per_gpu_hour_usd: 3.99
efficiency: )" +
         efficiency + "\n";
}

TEST(EfficiencyIoTest, EveryTermIsReadUnderItsKeyAndWrittenBack) {
  // Distinct values, so that a term read into another's field is caught.
  const ClusterSpec c = ReadClusterSpec(ParseYaml(
      "eff.yaml", Cluster("{gemm_max: 0.61, gemm_half_flops: 3.0e9, collective_bw_fraction: 0.72, "
                          "scaleout_bw_fraction: 0.83, hbm_fraction: 0.54, fp8_gemm_fraction: "
                          "0.95, attention_fraction: 0.66}")));
  const EfficiencySpec& e = c.efficiency;
  EXPECT_DOUBLE_EQ(e.gemm_max, 0.61);
  EXPECT_DOUBLE_EQ(e.gemm_half_flops, 3.0e9);
  EXPECT_DOUBLE_EQ(e.collective_bw_fraction, 0.72);
  EXPECT_DOUBLE_EQ(e.scaleout_bw_fraction, 0.83);
  EXPECT_DOUBLE_EQ(e.hbm_fraction, 0.54);
  EXPECT_DOUBLE_EQ(e.fp8_gemm_fraction, 0.95);
  EXPECT_DOUBLE_EQ(e.attention_fraction, 0.66);
  const ClusterSpec back = ReadClusterSpec(ParseYaml("out.yaml", ClusterToYaml(c)));
  for (const auto& [key, member] : kEfficiencyTerms) {
    EXPECT_DOUBLE_EQ(back.efficiency.*member, e.*member) << key;
  }
}

TEST(EfficiencyIoTest, ScaleOutFractionDefaultsToTheScaleUpOne) {
  // "One fraction for every level unless the scale-out network has its own."
  const ClusterSpec c =
      ReadClusterSpec(ParseYaml("eff.yaml", Cluster("{collective_bw_fraction: 0.7}")));
  EXPECT_DOUBLE_EQ(c.efficiency.scaleout_bw_fraction, 0.7);
  EXPECT_DOUBLE_EQ(c.efficiency.gemm_max, EfficiencySpec{}.gemm_max);
}

}  // namespace
}  // namespace planner
