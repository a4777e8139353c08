#include "planner/sim/task_graph.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>
#include <string>

#include "make_task.h"

namespace planner::sim {
namespace {

using test_support::MakeTask;

TEST(TaskGraphTest, NamesResourcesByStageAndStream) {
  TaskGraph graph;
  EXPECT_EQ(graph.AddResource(3, "compute"), 0);
  EXPECT_EQ(graph.AddResource(-1, "dp-comm"), 1);
  EXPECT_EQ(graph.resources()[0].name, "stage3/compute");
  EXPECT_EQ(graph.resources()[0].stream, "compute");
  EXPECT_EQ(graph.resources()[1].name, "dp-comm");
  EXPECT_EQ(graph.num_stages(), 4);
}

TEST(TaskGraphTest, ValidGraphPasses) {
  TaskGraph graph;
  const ResourceId r = graph.AddResource(0, "compute");
  const TaskId a = graph.AddTask(MakeTask(r, 1.0));
  const TaskId b = graph.AddTask(MakeTask(r, 0.0));
  graph.AddDependency(a, b);
  graph.AddMemoryEffect({.stage = 0, .bytes = 8.0, .alloc_task = a, .free_task = b});
  EXPECT_EQ(graph.Validate(), std::nullopt);
}

TEST(TaskGraphTest, RejectsMalformedGraphs) {
  {
    TaskGraph graph;
    graph.AddTask(MakeTask(0, 1.0));  // no resource 0
    ASSERT_TRUE(graph.Validate());
    EXPECT_NE(graph.Validate()->find("resource"), std::string::npos);
  }
  for (double bad : {-1.0, std::nan(""), std::numeric_limits<double>::infinity()}) {
    TaskGraph graph;
    graph.AddTask(MakeTask(graph.AddResource(0, "compute"), bad));
    ASSERT_TRUE(graph.Validate()) << bad;
    EXPECT_NE(graph.Validate()->find("duration"), std::string::npos);
  }
  {
    TaskGraph graph;
    const TaskId a = graph.AddTask(MakeTask(graph.AddResource(0, "compute"), 1.0));
    graph.AddDependency(a, 7);
    EXPECT_TRUE(graph.Validate());
  }
  {
    TaskGraph graph;
    const TaskId a = graph.AddTask(MakeTask(graph.AddResource(0, "compute"), 1.0));
    graph.AddDependency(a, a);
    ASSERT_TRUE(graph.Validate());
    EXPECT_NE(graph.Validate()->find("itself"), std::string::npos);
  }
  {
    TaskGraph graph;
    const TaskId a = graph.AddTask(MakeTask(graph.AddResource(0, "compute"), 1.0));
    graph.AddMemoryEffect({.stage = 0, .bytes = 1.0, .alloc_task = a, .free_task = 5});
    EXPECT_TRUE(graph.Validate());
  }
}

TEST(TaskGraphTest, DisplayNameFallsBackToCategoryAndIds) {
  Task task;
  task.category = TaskCategory::kForward;
  task.microbatch = 3;
  task.chunk = 1;
  EXPECT_EQ(DisplayName(task), "F mb3 c1");
  task.chunk = 0;
  task.category = TaskCategory::kBackwardWeight;
  EXPECT_EQ(DisplayName(task), "W mb3");
  task.name = "dp bucket 2";
  EXPECT_EQ(DisplayName(task), "dp bucket 2");
}

TEST(TaskGraphTest, EveryCategoryHasADistinctName) {
  std::set<std::string> names;
  for (int c = 0; c < kNumTaskCategories; ++c) {
    names.insert(ToString(static_cast<TaskCategory>(c)));
  }
  EXPECT_EQ(static_cast<int>(names.size()), kNumTaskCategories);
}

}  // namespace
}  // namespace planner::sim
