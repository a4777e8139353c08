// Every cluster preset states where its step-time efficiency terms come from: fitted to published
// runs, or carried over from a fitted preset. A preset left on the built-in defaults (0.75 of
// peak) would look faster than the generations measured, and `planner size` would rank it on
// that alone.
#include <gtest/gtest.h>

#include <string>

#include "planner/io/cluster_io.h"
#include "planner/io/presets.h"

namespace planner {
namespace {

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(ClusterPresetsTest, EveryPresetNamesItsEfficiencySource) {
  for (const std::string& name : PresetNames("clusters")) {
    const ClusterSpec c = LoadCluster(name);
    const std::string& source = c.efficiency.source;
    EXPECT_TRUE(Contains(source, "--fit") || Contains(source, "carried over from"))
        << name << ": efficiency source '" << source << "'";
  }
  EXPECT_GE(PresetNames("clusters").size(), 9u);
}

// "carried over from X" must mean X's numbers, so a refit of X that forgets its followers fails.
TEST(ClusterPresetsTest, CarriedOverTermsEqualTheirSource) {
  for (const std::string& name : PresetNames("clusters")) {
    const ClusterSpec c = LoadCluster(name);
    const std::string marker = "carried over from ";
    const size_t at = c.efficiency.source.find(marker);
    if (at == std::string::npos) continue;
    const size_t begin = at + marker.size();
    const std::string from =
        c.efficiency.source.substr(begin, c.efficiency.source.find(' ', begin) - begin);
    const EfficiencySpec& e = LoadCluster(from).efficiency;
    EXPECT_TRUE(Contains(e.source, "--fit"))
        << name << " carries " << from << ", which is not fitted";
    EXPECT_EQ(c.efficiency.gemm_max, e.gemm_max) << name << " vs " << from;
    EXPECT_EQ(c.efficiency.gemm_half_flops, e.gemm_half_flops) << name << " vs " << from;
    EXPECT_EQ(c.efficiency.collective_bw_fraction, e.collective_bw_fraction)
        << name << " vs " << from;
    EXPECT_EQ(c.efficiency.hbm_fraction, e.hbm_fraction) << name << " vs " << from;
  }
}

}  // namespace
}  // namespace planner
