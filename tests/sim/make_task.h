// A task on `resource` lasting `duration_s`, for the engine and task-graph tests.
#ifndef PLANNER_TESTS_SIM_MAKE_TASK_H_
#define PLANNER_TESTS_SIM_MAKE_TASK_H_

#include "planner/sim/task_graph.h"

namespace planner::sim::test_support {

inline Task MakeTask(ResourceId resource, double duration_s,
                     TaskCategory category = TaskCategory::kOther) {
  Task task;
  task.resource = resource;
  task.duration_s = duration_s;
  task.category = category;
  return task;
}

}  // namespace planner::sim::test_support

#endif  // PLANNER_TESTS_SIM_MAKE_TASK_H_
