#include "planner/sim/engine.h"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "make_task.h"

namespace planner::sim {
namespace {

using test_support::MakeTask;

double CategorySeconds(const SimResult& result, TaskCategory category) {
  return result.critical_path_s[static_cast<int>(category)];
}

// Two streams, A and B. Expected timeline (derived by hand):
//   t0 on A [0,2]: no inputs.
//   t1 on B [0,3]: no inputs.
//   t2 on A [3,4]: A is free at 2 but t2 needs t1, done at 3.
//   t3 on B [3,4]: needs t0 (done at 2) but B is busy with t1 until 3.
//   t4 on A [4,6]: no inputs, yet A is in-order: it may not jump ahead of t2 into the idle
//                  slot [2,3].
// Makespan 6. Critical path: t4 <- t2 (A's previous task, ended 4) <- t1 (t2's input ended at 3,
// later than A's previous task t0 at 2); 3 + 1 + 2 = 6.
class HandMadeGraphTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const ResourceId a = graph_.AddResource(0, "A");
    const ResourceId b = graph_.AddResource(0, "B");
    t0_ = graph_.AddTask(MakeTask(a, 2.0, TaskCategory::kForward));
    t1_ = graph_.AddTask(MakeTask(b, 3.0, TaskCategory::kTpComm));
    t2_ = graph_.AddTask(MakeTask(a, 1.0, TaskCategory::kForward));
    t3_ = graph_.AddTask(MakeTask(b, 1.0, TaskCategory::kTpComm));
    t4_ = graph_.AddTask(MakeTask(a, 2.0, TaskCategory::kBackwardInput));
    graph_.AddDependency(t1_, t2_);
    graph_.AddDependency(t0_, t3_);
    result_ = Simulate(graph_);
    ASSERT_TRUE(result_.ok()) << result_.error;
  }

  TaskGraph graph_;
  TaskId t0_, t1_, t2_, t3_, t4_;
  SimResult result_;
};

TEST_F(HandMadeGraphTest, StartsWhenInputsAreDoneAndTheStreamIsFree) {
  const std::vector<double> start = {0, 0, 3, 3, 4};
  const std::vector<double> end = {2, 3, 4, 4, 6};
  EXPECT_EQ(result_.start_s, start);
  EXPECT_EQ(result_.end_s, end);
  EXPECT_DOUBLE_EQ(result_.makespan_s, 6.0);
  EXPECT_EQ(result_.events, 10);  // one start and one end per task
}

TEST_F(HandMadeGraphTest, BusyTimeAndUtilisationPerResource) {
  EXPECT_DOUBLE_EQ(result_.resource_busy_s[0], 5.0);
  EXPECT_DOUBLE_EQ(result_.resource_busy_s[1], 4.0);
  EXPECT_DOUBLE_EQ(result_.resource_utilisation[0], 5.0 / 6.0);
  EXPECT_DOUBLE_EQ(result_.resource_utilisation[1], 4.0 / 6.0);
}

TEST_F(HandMadeGraphTest, CriticalPathFollowsWhateverEndedLast) {
  EXPECT_EQ(result_.critical_path, (std::vector<TaskId>{t1_, t2_, t4_}));
  EXPECT_DOUBLE_EQ(CategorySeconds(result_, TaskCategory::kTpComm), 3.0);
  EXPECT_DOUBLE_EQ(CategorySeconds(result_, TaskCategory::kForward), 1.0);
  EXPECT_DOUBLE_EQ(CategorySeconds(result_, TaskCategory::kBackwardInput), 2.0);
  const double total =
      std::accumulate(result_.critical_path_s.begin(), result_.critical_path_s.end(), 0.0);
  EXPECT_DOUBLE_EQ(total, result_.makespan_s);
}

TEST(EngineTest, EmptyGraph) {
  const SimResult result = Simulate(TaskGraph{});
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(result.makespan_s, 0.0);
  EXPECT_EQ(result.events, 0);
}

TEST(EngineTest, ZeroDurationTasksPassThrough) {
  TaskGraph graph;
  const ResourceId a = graph.AddResource(0, "A");
  const ResourceId b = graph.AddResource(1, "B");
  const TaskId x = graph.AddTask(MakeTask(a, 0.0));
  const TaskId y = graph.AddTask(MakeTask(b, 0.0));
  const TaskId z = graph.AddTask(MakeTask(a, 1.5));
  graph.AddDependency(x, y);
  graph.AddDependency(y, z);
  const SimResult result = Simulate(graph);
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.start_s[z], 0.0);
  EXPECT_EQ(result.makespan_s, 1.5);
  EXPECT_EQ(result.critical_path, (std::vector<TaskId>{x, y, z}));
}

TEST(EngineTest, DependencyAcrossManyStreamsJoins) {
  // A join: the sink starts when the slowest of its inputs ends.
  TaskGraph graph;
  std::vector<TaskId> sources;
  for (int i = 0; i < 5; ++i) {
    sources.push_back(graph.AddTask(MakeTask(graph.AddResource(i, "s"), 1.0 + i)));
  }
  const TaskId sink = graph.AddTask(MakeTask(graph.AddResource(9, "sink"), 0.5));
  for (TaskId s : sources) graph.AddDependency(s, sink);
  graph.AddDependency(sources[0], sink);  // duplicate edges are harmless
  const SimResult result = Simulate(graph);
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_DOUBLE_EQ(result.start_s[sink], 5.0);
  EXPECT_EQ(result.critical_path, (std::vector<TaskId>{sources[4], sink}));
}

TEST(EngineTest, ReportsADependencyCycle) {
  TaskGraph graph;
  const TaskId a = graph.AddTask(MakeTask(graph.AddResource(0, "A"), 1.0));
  const TaskId b = graph.AddTask(MakeTask(graph.AddResource(1, "B"), 1.0));
  graph.AddDependency(a, b);
  graph.AddDependency(b, a);
  const SimResult result = Simulate(graph);
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.error.find("deadlock: 2 of 2 tasks never ran"), std::string::npos)
      << result.error;
}

TEST(EngineTest, ReportsATaskIssuedBeforeOneItNeedsOnTheSameStream) {
  // In-order streams make this a deadlock even though the dependencies alone are acyclic.
  TaskGraph graph;
  const ResourceId a = graph.AddResource(0, "compute");
  const TaskId first = graph.AddTask(MakeTask(a, 1.0));
  const TaskId second = graph.AddTask(MakeTask(a, 1.0));
  graph.AddDependency(second, first);
  const SimResult result = Simulate(graph);
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.error.find("heads stage0/compute"), std::string::npos) << result.error;
  EXPECT_EQ(result.start_s[first], -1.0);
}

TEST(EngineTest, ReportsAnInvalidGraph) {
  TaskGraph graph;
  graph.AddTask(MakeTask(graph.AddResource(0, "A"), -2.0));
  const SimResult result = Simulate(graph);
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.error.find("duration"), std::string::npos);
}

TEST(EngineTest, PeakMemoryPerStage) {
  // Stage 0 holds 10 bytes over [1,3] and 5 over [2,4]: peak 15. Stage 1 holds 7 bytes over
  // [3,4] and 4 bytes from 4 on: frees count first at the same instant, so its peak is 7, not 11.
  TaskGraph graph;
  const ResourceId r = graph.AddResource(0, "A");
  const ResourceId q = graph.AddResource(1, "B");
  const ResourceId q2 = graph.AddResource(1, "C");
  const TaskId a = graph.AddTask(MakeTask(r, 1.0));   // [0,1]
  const TaskId b = graph.AddTask(MakeTask(r, 1.0));   // [1,2]
  const TaskId c = graph.AddTask(MakeTask(r, 1.0));   // [2,3]
  const TaskId d = graph.AddTask(MakeTask(r, 1.0));   // [3,4]
  const TaskId e = graph.AddTask(MakeTask(q, 3.0));   // [0,3]
  const TaskId f = graph.AddTask(MakeTask(q, 1.0));   // [3,4]
  const TaskId g = graph.AddTask(MakeTask(q2, 4.0));  // [0,4]
  graph.AddMemoryEffect({.stage = 0, .bytes = 10, .alloc_task = a, .free_task = c});
  graph.AddMemoryEffect({.stage = 0, .bytes = 5, .alloc_task = b, .free_task = d});
  graph.AddMemoryEffect({.stage = 1, .bytes = 7, .alloc_task = e, .free_task = f});
  graph.AddMemoryEffect({.stage = 1, .bytes = 4, .alloc_task = g, .free_task = kNoTask});
  const SimResult result = Simulate(graph);
  ASSERT_TRUE(result.ok()) << result.error;
  ASSERT_EQ(result.peak_memory_bytes.size(), 2u);
  EXPECT_DOUBLE_EQ(result.peak_memory_bytes[0], 15.0);
  EXPECT_DOUBLE_EQ(result.peak_memory_bytes[1], 7.0);
}

TEST(EngineTest, ReusedEngineMatchesAFreshOne) {
  TaskGraph big, small;
  const ResourceId r = big.AddResource(0, "A");
  for (int i = 0; i < 50; ++i) big.AddTask(MakeTask(r, 0.25));
  small.AddTask(MakeTask(small.AddResource(0, "A"), 2.0));

  Engine engine;
  SimResult result;
  engine.Run(big, {}, &result);
  EXPECT_DOUBLE_EQ(result.makespan_s, 12.5);
  engine.Run(small, {}, &result);
  const SimResult fresh = Simulate(small);
  EXPECT_EQ(result.start_s, fresh.start_s);
  EXPECT_EQ(result.end_s, fresh.end_s);
  EXPECT_EQ(result.critical_path, fresh.critical_path);
  EXPECT_EQ(result.critical_path_s, fresh.critical_path_s);
  EXPECT_EQ(result.events, 2);
}

TEST(EngineTest, OptionsSkipCriticalPathAndMemory) {
  TaskGraph graph;
  const TaskId a = graph.AddTask(MakeTask(graph.AddResource(0, "A"), 1.0));
  graph.AddMemoryEffect({.stage = 0, .bytes = 3, .alloc_task = a, .free_task = kNoTask});
  const SimResult result = Simulate(graph, {.critical_path = false, .memory = false});
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result.critical_path.empty());
  EXPECT_EQ(result.peak_memory_bytes[0], 0.0);
  EXPECT_EQ(Simulate(graph).peak_memory_bytes[0], 3.0);
}

}  // namespace
}  // namespace planner::sim
