// DualPipe (DeepSeek-V3, arXiv 2412.19437 sec. 3.2.1) in the simulator, against the closed forms
// of the report's Table 2 and the analytic model (moe_cost.h's DualPipeBubbleSeconds).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "planner/core/moe_cost.h"
#include "planner/sim/engine.h"
#include "planner/sim/pipeline_graph.h"

namespace planner::sim {
namespace {

SimResult SimulateDualPipe(int32_t p, int32_t m, double f, double b, double w) {
  const ScheduleSpec spec{ScheduleKind::kDualPipe, p, m, 2};
  TaskGraph graph;
  const ChunkCosts stage{.forward_s = f,
                         .backward_input_s = b,
                         .backward_weight_s = w,
                         .activation_bytes = 1.0};  // one unit per micro-batch
  const PipelineTasks tasks = AddPipelineTasks(MakeSchedule(spec), UniformCosts(spec, stage), {},
                                               &graph);
  EXPECT_EQ(tasks.error, "");
  return Simulate(graph);
}

TEST(DualPipeScheduleTest, EveryStageRunsEachMicroBatchOnceInItsDirection) {
  for (int32_t p : {2, 4, 8, 16}) {
    for (int32_t m : {2 * p, 2 * p + 2, 6 * p}) {
      const PipelineSchedule s = MakeSchedule({ScheduleKind::kDualPipe, p, m, 2});
      EXPECT_EQ(CheckComplete(s), std::nullopt) << "p=" << p << " m=" << m;
    }
  }
  EXPECT_NE(Validate({ScheduleKind::kDualPipe, 16, 30, 2}), std::nullopt);  // m < 2p
  EXPECT_NE(Validate({ScheduleKind::kDualPipe, 6, 13, 2}), std::nullopt);   // m odd
  EXPECT_NE(Validate({ScheduleKind::kDualPipe, 5, 20, 2}), std::nullopt);   // p odd
}

TEST(DualPipeScheduleTest, ChunkOneRunsTheMirroredModelStage) {
  const ScheduleSpec spec{ScheduleKind::kDualPipe, 8, 16, 2};
  EXPECT_EQ(ModelStage(spec, 0, 1), 7);  // rank 0 holds the first and the last model stage
  EXPECT_EQ(PathPosition(spec, 7, 1), 0);  // the second half enters at the last rank
  EXPECT_EQ(VirtualStageAt(spec, 1, 1), 1 * 8 + 6);
}

// Without overlap the makespan is every rank's m micro-batches of work plus the bubble the
// analytic model charges, (p/2 - 1)(F + B - 2W) with B the full backward b + w: the ranks of the
// middle, entered last from both ends, wait p/2 - 1 half-pipeline steps of F + b - w. Exact when
// the three passes take the same time (the report's Figure 5) and for p <= 4; with p >= 8 and a
// slower input gradient the reference order leaves up to (p/2 - 1)(b - f) more (measured here).
TEST(DualPipeScheduleTest, MakespanIsWorkPlusTheAnalyticBubbleWithoutOverlap) {
  struct Case {
    double f, b, w;
  };
  for (const Case c : {Case{1.0, 1.0, 1.0}, Case{1.0, 1.5, 0.7}, Case{1.0, 2.0, 0.5}}) {
    for (int32_t p : {2, 4, 8, 16}) {
      for (int32_t m : {2 * p, 4 * p, 4 * p + 2}) {
        const SimResult r = SimulateDualPipe(p, m, c.f, c.b, c.w);
        ASSERT_TRUE(r.ok()) << r.error;
        const double work = m * (c.f + c.b + c.w);
        const double analytic = DualPipeBubbleSeconds(p, c.f + c.b + c.w, c.w);
        EXPECT_NEAR(analytic, (p / 2 - 1) * (c.f + c.b - c.w), 1e-12);
        const double bubble = r.makespan_s - work;
        const std::string where =
            "p=" + std::to_string(p) + " m=" + std::to_string(m) + " b=" + std::to_string(c.b);
        if (p <= 4 || c.b == c.f) {
          EXPECT_NEAR(bubble, analytic, 1e-9) << where;
        } else {
          EXPECT_GT(bubble, analytic) << where;
          EXPECT_LE(bubble, analytic + (p / 2 - 1) * (c.b - c.f) + 1e-9) << where;
        }
      }
    }
  }
}

// Activations: DeepSeek-V3 Table 2 gives PP + 1 micro-batches per rank (over its two chunks).
TEST(DualPipeScheduleTest, PeakActivationsAtMostPpPlusOneMicroBatches) {
  for (int32_t p : {4, 8}) {
    const SimResult r = SimulateDualPipe(p, 4 * p, 1.0, 1.0, 1.0);
    ASSERT_TRUE(r.ok()) << r.error;
    const double peak = *std::max_element(r.peak_memory_bytes.begin(), r.peak_memory_bytes.end());
    EXPECT_LE(peak, p + 1) << "p=" << p;
    EXPECT_GE(peak, p) << "p=" << p;
  }
}

}  // namespace
}  // namespace planner::sim
