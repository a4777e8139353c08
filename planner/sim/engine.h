// The discrete-event engine. A task starts at the first instant when every dependency has
// finished and it is the next task in its resource's issue order with the resource idle; it then
// holds the resource for duration_s. Because each resource is an in-order queue (a CUDA stream,
// a NIC queue), a schedule is simply the order in which tasks were added: the engine needs no
// policy of its own, and the same graph always gives the same timeline.
//
// Events are task starts and task ends; the count is reported so throughput can be measured.
#ifndef PLANNER_SIM_ENGINE_H_
#define PLANNER_SIM_ENGINE_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "planner/sim/large_allocator.h"
#include "planner/sim/task_graph.h"

namespace planner::sim {

struct SimOptions {
  bool critical_path = true;  // walk back from the last task and summarise it per category
  bool memory = true;         // replay memory effects for the peak per stage
};

struct SimResult {
  std::string error;  // empty when every task ran; otherwise why not (invalid graph, deadlock)
  bool ok() const { return error.empty(); }

  std::vector<double> start_s;  // per task; -1 for a task that never ran
  std::vector<double> end_s;
  double makespan_s = 0.0;  // end of the last task (the step starts at 0)

  std::vector<double> resource_busy_s;       // per resource: sum of its tasks' durations
  std::vector<double> resource_utilisation;  // busy / makespan (0 when the makespan is 0)

  // From the first task to the last-finishing one. Each task's predecessor on the path is
  // whichever of its dependencies or its resource predecessor ended last, i.e. the one that
  // decided its start; the path has no gaps, so its durations sum to the makespan.
  std::vector<TaskId> critical_path;
  std::array<double, kNumTaskCategories> critical_path_s{};  // seconds per category on the path

  std::vector<double> peak_memory_bytes;  // per stage: peak of the graph's memory effects
  int64_t events = 0;                     // task starts + task ends processed
};

// Owns the scratch buffers of a run, so that simulating many graphs (a plan search) does not
// reallocate. Not thread-safe; use one Engine per thread.
class Engine {
 public:
  // Overwrites *result (reusing its storage).
  void Run(const TaskGraph& graph, const SimOptions& options, SimResult* result);

 private:
  struct Event {
    double time_s;
    TaskId task;
  };
  struct MemoryEvent {
    double time_s;
    double delta_bytes;
    int32_t stage;
  };

  void BuildIndex(const TaskGraph& graph);
  void TryStart(ResourceId resource, double now_s, SimResult* result);
  void RunEvents(const TaskGraph& graph, SimResult* result);
  void CollectTimes(SimResult* result);
  std::string DescribeDeadlock(const TaskGraph& graph, const SimResult& result) const;
  void Summarise(const TaskGraph& graph, const SimOptions& options, SimResult* result);
  TaskId Gate(TaskId id) const;
  void WalkCriticalPath(const TaskGraph& graph, SimResult* result) const;
  void ReplayMemory(const TaskGraph& graph, SimResult* result);

  // Successors of each task (CSR by `before`) and tasks of each resource in issue order.
  LargeVector<int32_t> successor_offsets_;
  LargeVector<TaskId> successors_;
  std::vector<int32_t> resource_offsets_;
  LargeVector<TaskId> resource_tasks_;
  // Run state.
  // What the event loop reads and writes of a task, in 32 bytes (two to a cache line): one line
  // touched per task instead of one per array (a million tasks do not fit in cache). Start times
  // are copied into the result after the run; a task's end is start_s + duration_s, the same sum
  // that ordered its end event.
  struct TaskState {
    double duration_s;
    double start_s;  // -1 until it starts
    ResourceId resource;
    int32_t pending_deps;  // dependencies not yet finished
    TaskId last_dep;       // the dependency that finished last
    TaskId resource_prev;  // the task before it on its resource
    double end_s() const { return start_s + duration_s; }
  };
  LargeVector<TaskState> state_;
  std::vector<int32_t> head_;          // index into resource_tasks_ of the next task, per resource
  std::vector<uint8_t> busy_;          // per resource
  std::vector<Event> heap_;            // running tasks by end time (at most one per resource)
  std::vector<MemoryEvent> memory_events_;
  int32_t finished_ = 0;
  TaskId last_task_ = kNoTask;  // the first task to end at the makespan
};

// One-shot convenience over Engine::Run.
SimResult Simulate(const TaskGraph& graph, const SimOptions& options = {});

}  // namespace planner::sim

#endif  // PLANNER_SIM_ENGINE_H_
