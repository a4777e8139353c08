#include "planner/sim/schedules.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace planner::sim {
namespace {

// Compact rendering for expectations: "F0 B0 W0", chunk appended as ".c" when > 0.
std::string Render(const std::vector<PipelineOp>& ops) {
  std::string out;
  for (const PipelineOp& op : ops) {
    if (!out.empty()) out += ' ';
    out += op.kind == OpKind::kForward ? 'F' : op.kind == OpKind::kBackward ? 'B' : 'W';
    out += std::to_string(op.microbatch);
    if (op.chunk > 0) out += ".c" + std::to_string(op.chunk);
  }
  return out;
}

std::string StageOps(const ScheduleSpec& spec, int stage) {
  return Render(MakeSchedule(spec).stage_ops[stage]);
}

TEST(SchedulesTest, GpipeRunsAllForwardsThenAllBackwards) {
  const ScheduleSpec spec{ScheduleKind::kGpipe, 3, 4, 1};
  for (int s = 0; s < 3; ++s) EXPECT_EQ(StageOps(spec, s), "F0 F1 F2 F3 B0 B1 B2 B3");
}

TEST(SchedulesTest, OneFOneBWarmsUpPMinusSMinusOneForwards) {
  const ScheduleSpec spec{ScheduleKind::kOneFOneB, 4, 6, 1};
  EXPECT_EQ(StageOps(spec, 0), "F0 F1 F2 F3 B0 F4 B1 F5 B2 B3 B4 B5");
  EXPECT_EQ(StageOps(spec, 2), "F0 F1 B0 F2 B1 F3 B2 F4 B3 F5 B4 B5");
  EXPECT_EQ(StageOps(spec, 3), "F0 B0 F1 B1 F2 B2 F3 B3 F4 B4 F5 B5");
}

TEST(SchedulesTest, OneFOneBWithFewerMicrobatchesThanStages) {
  const ScheduleSpec spec{ScheduleKind::kOneFOneB, 4, 2, 1};
  EXPECT_EQ(StageOps(spec, 0), "F0 F1 B0 B1");
  EXPECT_EQ(StageOps(spec, 3), "F0 B0 F1 B1");
}

TEST(SchedulesTest, InterleavedFollowsMegatronOrder) {
  // p=2, v=2, m=4, stage 0: warm-up 2(p-1) + (v-1)p = 4 chunk passes; the k-th pass is
  // micro-batch (k / (p v)) p + k % p of chunk (k % (p v)) / p (reversed for backward).
  const ScheduleSpec spec{ScheduleKind::kInterleaved1F1B, 2, 4, 2};
  EXPECT_EQ(StageOps(spec, 0),
            "F0 F1 F0.c1 F1.c1 "
            "F2 B0.c1 F3 B1.c1 F2.c1 B0 F3.c1 B1 "
            "B2.c1 B3.c1 B2 B3");
  // Stage 1: warm-up 0 + (v-1)p = 2.
  EXPECT_EQ(StageOps(spec, 1),
            "F0 F1 "
            "F0.c1 B0.c1 F1.c1 B1.c1 F2 B0 F3 B1 F2.c1 B2.c1 F3.c1 B3.c1 "
            "B2 B3");
}

TEST(SchedulesTest, InterleavedWithMEqualToPRunsAllForwardsFirst) {
  const ScheduleSpec spec{ScheduleKind::kInterleaved1F1B, 2, 2, 2};
  EXPECT_EQ(StageOps(spec, 1), "F0 F1 F0.c1 F1.c1 B0.c1 B1.c1 B0 B1");
}

TEST(SchedulesTest, ZeroBubbleH1DefersSWeightPasses) {
  const ScheduleSpec spec{ScheduleKind::kZeroBubbleH1, 3, 5, 1};
  const PipelineSchedule schedule = MakeSchedule(spec);
  EXPECT_TRUE(schedule.split_backward);
  // Stage 0 defers none: W follows its B directly, as in 1F1B.
  EXPECT_EQ(Render(schedule.stage_ops[0]), "F0 F1 F2 B0 W0 F3 B1 W1 F4 B2 W2 B3 W3 B4 W4");
  EXPECT_EQ(Render(schedule.stage_ops[1]), "F0 F1 B0 F2 B1 W0 F3 B2 W1 F4 B3 W2 B4 W3 W4");
  EXPECT_EQ(Render(schedule.stage_ops[2]), "F0 B0 F1 B1 F2 B2 W0 F3 B3 W1 F4 B4 W2 W3 W4");
}

TEST(SchedulesTest, EveryScheduleIsCompleteOverAGrid) {
  for (ScheduleKind kind : {ScheduleKind::kGpipe, ScheduleKind::kOneFOneB,
                            ScheduleKind::kInterleaved1F1B, ScheduleKind::kZeroBubbleH1}) {
    for (int p : {1, 2, 3, 4, 8}) {
      for (int m : {1, 2, 3, 4, 7, 8, 16, 24}) {
        for (int v : {1, 2, 3}) {
          const ScheduleSpec spec{kind, p, m, v};
          if (Validate(spec)) continue;
          EXPECT_EQ(CheckComplete(MakeSchedule(spec)), std::nullopt)
              << ToString(kind) << " p=" << p << " m=" << m << " v=" << v;
        }
      }
    }
  }
}

TEST(SchedulesTest, CheckCompleteCatchesBrokenSchedules) {
  PipelineSchedule schedule = MakeSchedule({ScheduleKind::kOneFOneB, 2, 2, 1});
  PipelineSchedule missing = schedule;
  missing.stage_ops[1].pop_back();
  EXPECT_TRUE(CheckComplete(missing));
  PipelineSchedule early = schedule;
  std::swap(early.stage_ops[0][0], early.stage_ops[0][3]);  // "B1 F1 B0 F0"
  EXPECT_TRUE(CheckComplete(early));
  PipelineSchedule weight = schedule;
  weight.stage_ops[0].push_back({OpKind::kBackwardWeight, 0, 0});
  EXPECT_TRUE(CheckComplete(weight));
}

TEST(SchedulesTest, ValidateRejectsImpossibleSpecs) {
  EXPECT_TRUE(Validate({ScheduleKind::kOneFOneB, 0, 4, 1}));
  EXPECT_TRUE(Validate({ScheduleKind::kOneFOneB, 4, 0, 1}));
  EXPECT_TRUE(Validate({ScheduleKind::kOneFOneB, 4, 8, 2}));  // chunks need interleaving
  EXPECT_TRUE(Validate({ScheduleKind::kZeroBubbleH1, 4, 8, 2}));
  const auto error = Validate({ScheduleKind::kInterleaved1F1B, 4, 6, 2});
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("divisible"), std::string::npos);
  EXPECT_EQ(Validate({ScheduleKind::kInterleaved1F1B, 4, 8, 2}), std::nullopt);
}

TEST(SchedulesTest, KindsRoundTripThroughTheirNames) {
  for (ScheduleKind kind : {ScheduleKind::kGpipe, ScheduleKind::kOneFOneB,
                            ScheduleKind::kInterleaved1F1B, ScheduleKind::kZeroBubbleH1,
                            ScheduleKind::kDualPipe}) {
    EXPECT_EQ(ParseScheduleKind(ToString(kind)), kind);
  }
  // Aliases parse; the printed names are the ones the README and --help give.
  EXPECT_EQ(ParseScheduleKind("interleaved"), ScheduleKind::kInterleaved1F1B);
  EXPECT_EQ(ParseScheduleKind("zb"), ScheduleKind::kZeroBubbleH1);
  EXPECT_EQ(ParseScheduleKind("zero-bubble"), ScheduleKind::kZeroBubbleH1);
  EXPECT_STREQ(ToString(ScheduleKind::kZeroBubbleH1), "zb-h1");
  EXPECT_STREQ(ToString(ScheduleKind::kInterleaved1F1B), "interleaved-1f1b");
  EXPECT_EQ(ParseScheduleKind("pipedream"), std::nullopt);
}

}  // namespace
}  // namespace planner::sim
