// `planner plan gb200-nvl72 deepseek-v3 --gpus 1152 --global-batch 4096` (issue 17): the search
// ranks layouts whose expert-parallel group stays inside one 72-GPU NVLink domain first, and
// names the MoE reasons it rejects layouts for.
#include <gtest/gtest.h>

#include "planner/core/search.h"
#include "planner/core/stack_spec.h"
#include "planner/io/cluster_io.h"
#include "planner/io/model_io.h"
#include "planner/io/stack_io.h"

namespace planner {
namespace {

TEST(MoePlanTest, Gb200RanksExpertParallelismInsideTheNvlinkDomainFirst) {
  const ModelSpec m = LoadModel("deepseek-v3");
  const ClusterSpec c = LoadCluster("gb200-nvl72", 1152);
  const StackSpec stack = LoadStack("megatron-core");
  SearchSpace space;
  space.global_batch = 4096;
  SearchOptions o;
  o.top_k = 3;
  o.threads = 1;
  o.step = StackOptions(stack, c);
  o.stack = stack;
  const SearchResult r = Search(m, c, space, o);
  ASSERT_FALSE(r.plans.empty());
  // Ranks are ordered tp, cp, dp (pipeline outermost), and the experts are spread over ep of the
  // dp*cp ranks, tp*cp apart: the group spans ep*tp*cp consecutive ranks, which must fit in the
  // rack's 72 GPUs for its all-to-all to stay on NVLink 5 (900 GB/s, against 50 GB/s of IB).
  const ParallelConfig& best = r.plans[0].layout;
  EXPECT_GT(best.ep, 1);
  // (The collective model places a group by its span, not its alignment: a span of 64 in racks
  // of 72 counts as inside although some groups straddle two racks.)
  EXPECT_LE(best.ep * best.tp * best.cp, 72);
  // The same layout with its EP group stretched over two racks costs more all-to-all time.
  ParallelConfig wide = best;
  wide.ep = 2 * best.ep;
  if (m.moe.n_experts % wide.ep == 0 && (wide.dp * wide.cp) % wide.ep == 0) {
    const StepTime inside = EstimateStepTime(m, c, best, o.step);
    const StepTime across = EstimateStepTime(m, c, wide, o.step);
    EXPECT_GT(across.ep_comm_s, inside.ep_comm_s);
  }
  // An EP degree that does not divide the ranks holding the experts is a named MoE rejection
  // (the EP axis is the divisors of the 256 experts, so that reason never shows here).
  EXPECT_GT(r.rejected[static_cast<int>(LayoutIssue::kEpDp)], 0);
  EXPECT_EQ(r.rejected[static_cast<int>(LayoutIssue::kEp)], 0);
  EXPECT_STREQ(ToString(LayoutIssue::kEpDp), "ep does not divide dp*cp");
}

}  // namespace
}  // namespace planner
