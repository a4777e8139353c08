// Pipeline schedules simulated on uniform stages, checked against closed forms derived here.
// Notation: p stages, m micro-batches, v chunks per stage, f and b the forward and backward time
// of a whole stage per micro-batch, no p2p time unless a test says so.
#include "planner/sim/pipeline_graph.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "planner/sim/engine.h"

namespace planner::sim {
namespace {

constexpr double kF = 0.0125;  // forward s per stage per micro-batch
constexpr double kB = 0.025;   // backward = 2 forward, as for a transformer layer

double Near(double expected) { return 1e-9 * std::max(1.0, std::abs(expected)); }

struct Simulated {
  TaskGraph graph;
  PipelineTasks tasks;
  SimResult result;
};

Simulated SimulateSchedule(const ScheduleSpec& spec, const ChunkCosts& per_stage,
                           const PipelineGraphOptions& options = {}) {
  Simulated run;
  run.tasks =
      AddPipelineTasks(MakeSchedule(spec), UniformCosts(spec, per_stage), options, &run.graph);
  EXPECT_EQ(run.tasks.error, "");
  run.result = Simulate(run.graph);
  EXPECT_TRUE(run.result.ok()) << run.result.error;
  return run;
}

ChunkCosts Stage(double forward_s, double backward_input_s, double backward_weight_s = 0.0,
                 double p2p_s = 0.0) {
  return {.forward_s = forward_s,
          .backward_input_s = backward_input_s,
          .backward_weight_s = backward_weight_s,
          .p2p_s = p2p_s,
          .activation_bytes = 1.0};  // one unit per micro-batch: peaks count micro-batches
}

// 1F1B, uniform stages. The last stage can start micro-batch 0 only after it has passed the
// p-1 stages before it: (p-1)f. From then on the last stage never waits: it alternates F(i),
// B(i), and F(i+1) left stage p-2 long before (stage p-2 is one warm-up forward ahead). So it
// finishes its m(f+b) of work at (p-1)f + m(f+b), with B(m-1), whose gradient must still
// cross p-1 stages back: (p-1)b. Hence
//   step = (p-1)f + m(f+b) + (p-1)b = (m+p-1)(f+b),
// and since every stage computes for m(f+b) of it, each idles (p-1)(f+b):
//   bubble fraction = (p-1)(f+b) / ((m+p-1)(f+b)) = (p-1)/(m+p-1).
TEST(PipelineGraphTest, OneFOneBBubbleIsPMinusOneOverMPlusPMinusOne) {
  for (int p : {1, 2, 4, 8}) {
    for (int m : {1, 3, 4, 8, 32}) {
      const Simulated run = SimulateSchedule({ScheduleKind::kOneFOneB, p, m, 1}, Stage(kF, kB));
      const double step = run.result.makespan_s;
      EXPECT_NEAR(step, (m + p - 1) * (kF + kB), Near(step)) << "p=" << p << " m=" << m;
      const double compute = m * (kF + kB);
      EXPECT_NEAR((step - compute) / step, (p - 1.0) / (m + p - 1.0), 1e-9);
      for (int s = 0; s < p; ++s) {
        EXPECT_NEAR(run.result.resource_busy_s[run.tasks.compute[s]], compute, Near(compute));
      }
    }
  }
}

// Interleaved: a stage holds v chunks, each taking f/v forward and b/v backward. Micro-batch 0
// reaches the last stage after p-1 chunk forwards ((p-1)f/v, not (p-1)f), and the last gradient
// leaves it p-1 chunk backwards before the end; in between no stage waits. So
//   step = m(f+b) + (p-1)(f+b)/v:  the bubble of 1F1B divided by v.
TEST(PipelineGraphTest, InterleavedDividesTheBubbleByV) {
  for (int p : {2, 4, 8}) {
    for (int m : {p, 2 * p, 4 * p}) {
      const double bubble_1f1b = (p - 1) * (kF + kB);
      for (int v : {2, 3, 4}) {
        const Simulated run =
            SimulateSchedule({ScheduleKind::kInterleaved1F1B, p, m, v}, Stage(kF, kB));
        const double bubble = run.result.makespan_s - m * (kF + kB);
        EXPECT_NEAR(bubble, bubble_1f1b / v, Near(bubble)) << "p=" << p << " m=" << m << " v=" << v;
      }
    }
  }
}

// GPipe: the forward wave ends on the last stage at (m+p-1)f, the backward wave needs another
// (m+p-1)b: the same (m+p-1)(f+b) as 1F1B. But GPipe's stage 0 holds all m micro-batches'
// activations before its first backward, while 1F1B's stage s never holds more than p-s
// (its p-s-1 warm-up forwards plus one).
TEST(PipelineGraphTest, GpipeAndOneFOneBSameTimeDifferentPeakActivations) {
  const int p = 4;
  for (int m : {8, 16}) {
    const Simulated gpipe = SimulateSchedule({ScheduleKind::kGpipe, p, m, 1}, Stage(kF, kB));
    const Simulated one_f_one_b =
        SimulateSchedule({ScheduleKind::kOneFOneB, p, m, 1}, Stage(kF, kB));
    EXPECT_NEAR(gpipe.result.makespan_s, one_f_one_b.result.makespan_s, Near(1.0));
    EXPECT_DOUBLE_EQ(gpipe.result.peak_memory_bytes[0], m);
    EXPECT_DOUBLE_EQ(one_f_one_b.result.peak_memory_bytes[0], p);
    for (int s = 0; s < p; ++s) {
      EXPECT_DOUBLE_EQ(gpipe.result.peak_memory_bytes[s], m);
      EXPECT_DOUBLE_EQ(one_f_one_b.result.peak_memory_bytes[s], p - s);
    }
  }
}

// Megatron's warm-up on stage 0 is 2(p-1) + (v-1)p chunk forwards; one more starts the steady
// state before the first backward frees one: (v+1)p - 1 chunks of 1/v micro-batch each, i.e.
// p + (p-1)/v = p(1 + (p-1)/(pv)) micro-batches (DESIGN.md's memory model).
TEST(PipelineGraphTest, InterleavedPeakActivationsOnStageZero) {
  for (int p : {2, 4, 8}) {
    for (int v : {2, 4}) {
      const int m = 4 * p;
      const Simulated run =
          SimulateSchedule({ScheduleKind::kInterleaved1F1B, p, m, v}, Stage(kF, kB));
      EXPECT_NEAR(run.result.peak_memory_bytes[0], p * (1.0 + (p - 1.0) / (p * v)), 1e-12)
          << "p=" << p << " v=" << v;
    }
  }
}

// ZB-H1 with B (input gradient) and W (weight gradient) split, W <= min(f, B), m >= p. The last
// stage starts at (p-1)f and, like 1F1B's, never waits; its m(f+B+W) of work ends with the p W
// passes it deferred (s = p-1 deferred, plus the one after its last B). So B(m-1) ends on it at
//   (p-1)f + m(f+B+W) - pW,
// the gradient crosses p-1 stages at B each, and stage 0 ends with W(m-1):
//   step = (p-1)f + m(f+B+W) - pW + (p-1)B + W = m(f+B+W) + (p-1)(f+B-W),
// against 1F1B's m(f+B+W) + (p-1)(f+B+W): at f = B = W the bubble is a third (the paper's
// figure), and the peak on stage 0 stays p micro-batches, as in 1F1B.
TEST(PipelineGraphTest, ZeroBubbleH1BubbleIsPMinusOneTimesFPlusBMinusW) {
  struct Case {
    double f, b, w;
  };
  for (const Case c : {Case{1.0, 1.0, 1.0}, Case{1.0, 1.5, 0.7}, Case{2.0, 1.0, 1.0}}) {
    for (int p : {2, 4, 8}) {
      for (int m : {p, 2 * p, 32}) {
        const ChunkCosts costs = Stage(c.f, c.b, c.w);
        const Simulated zb = SimulateSchedule({ScheduleKind::kZeroBubbleH1, p, m, 1}, costs);
        const Simulated base = SimulateSchedule({ScheduleKind::kOneFOneB, p, m, 1}, costs);
        const double work = m * (c.f + c.b + c.w);
        const double bubble = zb.result.makespan_s - work;
        EXPECT_NEAR(bubble, (p - 1) * (c.f + c.b - c.w), Near(bubble)) << "p=" << p << " m=" << m;
        EXPECT_NEAR(base.result.makespan_s - work, (p - 1) * (c.f + c.b + c.w), Near(work));
        EXPECT_DOUBLE_EQ(zb.result.peak_memory_bytes[0], base.result.peak_memory_bytes[0]);
      }
    }
  }
  const Simulated equal =
      SimulateSchedule({ScheduleKind::kZeroBubbleH1, 4, 16, 1}, Stage(1.0, 1.0, 1.0));
  EXPECT_NEAR(equal.result.makespan_s - 16 * 3.0, (4 - 1) * 3.0 / 3.0, 1e-9);
}

TEST(PipelineGraphTest, UnsplitBackwardRunsWeightGradientRightAfterInputGradient) {
  // 1F1B with W > 0 emits B then W back to back; the time equals a combined backward of B + W.
  const Simulated split =
      SimulateSchedule({ScheduleKind::kOneFOneB, 4, 8, 1}, Stage(kF, 0.6 * kB, 0.4 * kB));
  EXPECT_NEAR(split.result.makespan_s, (8 + 4 - 1) * (kF + kB), Near(1.0));
  int weight_tasks = 0;
  for (const Task& task : split.graph.tasks()) {
    weight_tasks += task.category == TaskCategory::kBackwardWeight;
  }
  EXPECT_EQ(weight_tasks, 4 * 8);
}

TEST(PipelineGraphTest, CriticalPathCoversTheStep) {
  for (ScheduleKind kind : {ScheduleKind::kGpipe, ScheduleKind::kOneFOneB,
                            ScheduleKind::kInterleaved1F1B, ScheduleKind::kZeroBubbleH1}) {
    const int v = kind == ScheduleKind::kInterleaved1F1B ? 2 : 1;
    const Simulated run = SimulateSchedule({kind, 4, 8, v}, Stage(kF, kB, 0.5 * kF, 0.1 * kF));
    const auto& path = run.result.critical_path;
    ASSERT_FALSE(path.empty());
    EXPECT_EQ(run.result.start_s[path.front()], 0.0);
    EXPECT_EQ(run.result.end_s[path.back()], run.result.makespan_s);
    for (size_t i = 1; i < path.size(); ++i) {
      EXPECT_EQ(run.result.start_s[path[i]], run.result.end_s[path[i - 1]]) << ToString(kind);
    }
    const auto& by_category = run.result.critical_path_s;
    EXPECT_NEAR(std::accumulate(by_category.begin(), by_category.end(), 0.0), run.result.makespan_s,
                Near(1.0));
    EXPECT_GT(by_category[static_cast<int>(TaskCategory::kPpP2p)], 0.0) << ToString(kind);
  }
}

// 1F1B's critical path: p-1 forwards to reach the last stage, its m forward/backward pairs, and
// p-1 backwards back: (m+p-1) f of forward and (m+p-1) b of backward.
TEST(PipelineGraphTest, OneFOneBCriticalPathSplitsIntoForwardAndBackward) {
  const int p = 4, m = 8;
  const Simulated run = SimulateSchedule({ScheduleKind::kOneFOneB, p, m, 1}, Stage(kF, kB));
  const auto& by_category = run.result.critical_path_s;
  EXPECT_NEAR(by_category[static_cast<int>(TaskCategory::kForward)], (m + p - 1) * kF, 1e-12);
  EXPECT_NEAR(by_category[static_cast<int>(TaskCategory::kBackwardInput)], (m + p - 1) * kB, 1e-12);
}

// GPipe with p2p time t per transfer on its own link: the forward wave is delayed by t at each
// of the p-1 boundaries and so is the backward wave: (m+p-1)(f+b) + 2(p-1)t.
TEST(PipelineGraphTest, P2pTransfersRunOnDirectionalLinks) {
  const int p = 4, m = 6;
  const double t = 0.2 * kF;
  const Simulated run = SimulateSchedule({ScheduleKind::kGpipe, p, m, 1}, Stage(kF, kB, 0.0, t));
  EXPECT_NEAR(run.result.makespan_s, (m + p - 1) * (kF + kB) + 2 * (p - 1) * t, Near(1.0));
  int transfers = 0;
  for (const Task& task : run.graph.tasks()) {
    if (task.category != TaskCategory::kPpP2p) continue;
    ++transfers;
    EXPECT_EQ(task.duration_s, t);
  }
  EXPECT_EQ(transfers, 2 * (p - 1) * m);  // each micro-batch crosses each boundary twice
  std::vector<std::string> names;
  for (const Resource& r : run.graph.resources()) names.push_back(r.name);
  EXPECT_NE(std::find(names.begin(), names.end(), "stage0->1/p2p"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "stage3->2/p2p"), names.end());
  EXPECT_EQ(std::find(names.begin(), names.end(), "stage3->0/p2p"), names.end());
}

TEST(PipelineGraphTest, InterleavedWrapsFromTheLastStageToTheFirst) {
  const Simulated run =
      SimulateSchedule({ScheduleKind::kInterleaved1F1B, 4, 8, 2}, Stage(kF, kB, 0.0, 0.001));
  std::vector<std::string> names;
  for (const Resource& r : run.graph.resources()) names.push_back(r.name);
  EXPECT_NE(std::find(names.begin(), names.end(), "stage3->0/p2p"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "stage0->3/p2p"), names.end());
}

// The hook the planner-side builder uses: each forward becomes compute plus a TP all-reduce on
// the stage's tp-comm stream, and the activation leaves the stage only after the all-reduce.
// GPipe, p=2, m=1: F0 [0,f], AR [f,f+c], F1 [f+c,2f+c], AR [2f+c,2f+2c], then B1, B0:
//   step = 2(f+c) + 2b.
TEST(PipelineGraphTest, ExpanderAddsTasksAroundEachOp) {
  const int p = 2;
  const double comm_s = 0.3 * kF;
  TaskGraph graph;
  std::vector<ResourceId> tp;
  for (int s = 0; s < p; ++s) tp.push_back(graph.AddResource(s, "tp-comm"));
  PipelineGraphOptions options;
  options.expand = [&](const OpContext& context, TaskGraph& g) -> OpSpan {
    const OpSpan compute = ExpandOpDefault(context, g);
    if (context.op.kind != OpKind::kForward) return compute;
    Task all_reduce = g.task(compute.exit);
    all_reduce.category = TaskCategory::kTpComm;
    all_reduce.resource = tp[context.stage];
    all_reduce.duration_s = comm_s;
    const TaskId id = g.AddTask(all_reduce);
    g.AddDependency(compute.exit, id);
    return {compute.entry, id, id};
  };
  const ScheduleSpec spec{ScheduleKind::kGpipe, p, 1, 1};
  const PipelineTasks tasks =
      AddPipelineTasks(MakeSchedule(spec), UniformCosts(spec, Stage(kF, kB)), options, &graph);
  ASSERT_EQ(tasks.error, "");
  const SimResult result = Simulate(graph);
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_NEAR(result.makespan_s, 2 * (kF + comm_s) + 2 * kB, 1e-12);
  EXPECT_NEAR(result.critical_path_s[static_cast<int>(TaskCategory::kTpComm)], 2 * comm_s, 1e-12);
  EXPECT_EQ(tasks.spans[1][0].exit, tasks.spans[1][0].last);
}

TEST(PipelineGraphTest, RejectsCostsOfTheWrongShape) {
  const ScheduleSpec spec{ScheduleKind::kInterleaved1F1B, 2, 4, 2};
  TaskGraph graph;
  PipelineCosts costs = UniformCosts(spec, Stage(kF, kB));
  costs.chunks.pop_back();
  const PipelineTasks tasks = AddPipelineTasks(MakeSchedule(spec), costs, {}, &graph);
  EXPECT_NE(tasks.error.find("virtual stages"), std::string::npos);
  EXPECT_EQ(graph.num_tasks(), 0);
  EXPECT_EQ(graph.num_resources(), 0);
}

TEST(PipelineGraphTest, ActivationTrackingIsOptional) {
  const ScheduleSpec spec{ScheduleKind::kOneFOneB, 2, 4, 1};
  TaskGraph graph;
  PipelineGraphOptions options;
  options.track_activations = false;
  AddPipelineTasks(MakeSchedule(spec), UniformCosts(spec, Stage(kF, kB)), options, &graph);
  EXPECT_TRUE(graph.memory_effects().empty());
}

TEST(PipelineGraphTest, UniformCostsSplitComputeAndMemoryButNotTransfers) {
  const PipelineCosts costs =
      UniformCosts({ScheduleKind::kInterleaved1F1B, 2, 4, 4}, Stage(4.0, 8.0, 2.0, 0.5));
  ASSERT_EQ(costs.chunks.size(), 8u);
  EXPECT_EQ(costs.chunks[5].forward_s, 1.0);
  EXPECT_EQ(costs.chunks[5].backward_input_s, 2.0);
  EXPECT_EQ(costs.chunks[5].backward_weight_s, 0.5);
  EXPECT_EQ(costs.chunks[5].p2p_s, 0.5);
  EXPECT_EQ(costs.chunks[5].activation_bytes, 0.25);
}

}  // namespace
}  // namespace planner::sim
