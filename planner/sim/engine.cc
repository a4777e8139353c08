#include "planner/sim/engine.h"

#include <algorithm>
#include <string>

namespace planner::sim {
namespace {

// How far ahead of the task whose end is processed the event loop prefetches state.
constexpr size_t kPrefetchTasks = 256;

// A hint to fetch v[i] into cache; nothing past the end (and no reference into an empty vector).
template <typename V>
void Prefetch(const V& v, size_t i) {
  if (i < v.size()) __builtin_prefetch(v.data() + i);
}

// Min-heap order on end time; ties broken by task id so runs are deterministic.
struct Later {
  template <typename E>
  bool operator()(const E& a, const E& b) const {
    return a.time_s > b.time_s || (a.time_s == b.time_s && a.task > b.task);
  }
};

}  // namespace

// Both indexes are counting sorts: count per key, prefix sums to each key's end, then place the
// items last to first, decrementing the cursor, which leaves each key's offset at its start and
// keeps the items of a key in their original order (no cursor copy, one pass less over memory).
void Engine::BuildIndex(const TaskGraph& graph) {
  const int32_t n = graph.num_tasks();
  const int32_t r = graph.num_resources();
  const auto& deps = graph.dependencies();
  const auto& tasks = graph.tasks();
  // Sized like the graph's own storage (a step simulation reserves its largest graph up front),
  // so the next, slightly larger graph does not reallocate and copy a million tasks' state.
  successors_.reserve(deps.capacity());
  state_.reserve(tasks.capacity());
  resource_tasks_.reserve(tasks.capacity());
  successor_offsets_.reserve(tasks.capacity() + 1);  // else assign() below reallocates per graph
  successors_.resize(deps.size());
  state_.resize(n);
  resource_tasks_.resize(n);

  successor_offsets_.assign(static_cast<size_t>(n) + 1, 0);
  resource_offsets_.assign(static_cast<size_t>(r) + 1, 0);
  for (TaskId id = 0; id < n; ++id) {
    state_[id] = {tasks[id].duration_s, -1.0, tasks[id].resource, 0, kNoTask, kNoTask};
    ++resource_offsets_[tasks[id].resource];
  }
  for (const Dependency& dep : deps) {
    ++successor_offsets_[dep.before];
    ++state_[dep.after].pending_deps;
  }
  for (TaskId id = 0; id < n; ++id) successor_offsets_[id + 1] += successor_offsets_[id];
  for (ResourceId k = 0; k < r; ++k) resource_offsets_[k + 1] += resource_offsets_[k];
  for (auto dep = deps.rbegin(); dep != deps.rend(); ++dep) {
    successors_[--successor_offsets_[dep->before]] = dep->after;
  }
  // Issue order, and each task's predecessor on its resource for the critical path.
  std::vector<int32_t>& next = head_;  // per resource: the task placed last (the following one)
  next.assign(r, kNoTask);
  for (TaskId id = n - 1; id >= 0; --id) {
    const ResourceId resource = state_[id].resource;
    resource_tasks_[--resource_offsets_[resource]] = id;
    if (next[resource] != kNoTask) state_[next[resource]].resource_prev = id;
    next[resource] = id;
  }
  head_.assign(resource_offsets_.begin(), resource_offsets_.end() - 1);  // issue cursors
  busy_.assign(r, 0);
}

// Starts the resource's next task if the resource is idle and the task's inputs are ready.
void Engine::TryStart(ResourceId resource, double now_s, SimResult* result) {
  const int32_t index = head_[resource];
  if (busy_[resource] || index == resource_offsets_[resource + 1]) return;
  const TaskId id = resource_tasks_[index];
  Prefetch(resource_tasks_, static_cast<size_t>(index) + 16);  // the resource's next line
  TaskState& task = state_[id];
  if (task.pending_deps != 0) return;

  busy_[resource] = 1;
  task.start_s = now_s;
  ++result->events;
  heap_.push_back({now_s + task.duration_s, id});
  std::push_heap(heap_.begin(), heap_.end(), Later{});
}

void Engine::RunEvents(const TaskGraph& graph, SimResult* result) {
  heap_.clear();
  heap_.reserve(graph.num_resources());
  for (ResourceId r = 0; r < graph.num_resources(); ++r) TryStart(r, 0.0, result);

  while (!heap_.empty()) {
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    const Event event = heap_.back();
    heap_.pop_back();
    const TaskId id = event.task;
    // Task ids follow simulated time roughly (builders add ops in time order), so the state a
    // few hundred tasks on will be needed soon: fetching it now hides the memory latency that
    // otherwise makes a million-task graph's events slower than a small graph's.
    const size_t ahead = static_cast<size_t>(id) + kPrefetchTasks;
    Prefetch(state_, ahead);
    Prefetch(successor_offsets_, ahead);
    if (ahead - kPrefetchTasks / 2 < successor_offsets_.size()) {
      Prefetch(successors_, successor_offsets_[ahead - kPrefetchTasks / 2]);
    }
    const ResourceId resource = state_[id].resource;
    ++result->events;
    ++finished_;
    busy_[resource] = 0;
    ++head_[resource];
    for (int32_t k = successor_offsets_[id]; k < successor_offsets_[id + 1]; ++k) {
      const TaskId next = successors_[k];
      TaskState& after = state_[next];
      if (--after.pending_deps == 0) {
        after.last_dep = id;  // events arrive in time order, so the last one is the latest
        TryStart(after.resource, event.time_s, result);
      }
    }
    TryStart(resource, event.time_s, result);
  }
}

// One pass over the run state: times into the result, busy time per resource, the makespan and
// the task that ends it (the first of the latest, where the critical path starts).
void Engine::CollectTimes(SimResult* result) {
  last_task_ = kNoTask;
  for (size_t id = 0; id < state_.size(); ++id) {
    const TaskState& task = state_[id];
    const double end_s = task.start_s < 0.0 ? -1.0 : task.end_s();
    result->start_s[id] = task.start_s;
    result->end_s[id] = end_s;
    result->resource_busy_s[task.resource] += task.duration_s;
    if (last_task_ == kNoTask || end_s > result->makespan_s) {
      result->makespan_s = std::max(result->makespan_s, end_s);
      last_task_ = static_cast<TaskId>(id);
    }
  }
}

std::string Engine::DescribeDeadlock(const TaskGraph& graph, const SimResult& result) const {
  std::string message = "deadlock: " + std::to_string(graph.num_tasks() - finished_) + " of " +
                        std::to_string(graph.num_tasks()) + " tasks never ran";
  // Name one stuck stream head and an unfinished dependency it waits for.
  for (ResourceId r = 0; r < graph.num_resources(); ++r) {
    if (head_[r] == resource_offsets_[r + 1]) continue;
    const TaskId stuck = resource_tasks_[head_[r]];
    message += "; " + DisplayName(graph.task(stuck)) + " (task " + std::to_string(stuck) +
               ") heads " + graph.resources()[r].name;
    for (const Dependency& dep : graph.dependencies()) {
      if (dep.after == stuck && result.end_s[dep.before] < 0.0) {
        message += " and waits for " + DisplayName(graph.task(dep.before)) + " (task " +
                   std::to_string(dep.before) + ") on " +
                   graph.resources()[graph.task(dep.before).resource].name;
        break;
      }
    }
    break;
  }
  return message + " (a dependency cycle, or a task issued on a stream before one it needs)";
}

void Engine::Run(const TaskGraph& graph, const SimOptions& options, SimResult* result) {
  // Reset field by field rather than assigning a fresh SimResult, to keep the vectors' storage.
  result->error.clear();
  result->makespan_s = 0.0;
  result->critical_path_s.fill(0.0);
  result->events = 0;
  const int32_t n = graph.num_tasks();
  // Overwritten by CollectTimes (an invalid graph gets -1s below). Reserved to the graph's
  // capacity like the engine's own state: growing them graph by graph re-faulted fresh pages.
  result->start_s.reserve(graph.tasks().capacity());
  result->end_s.reserve(graph.tasks().capacity());
  result->start_s.resize(n);
  result->end_s.resize(n);
  result->resource_busy_s.assign(graph.num_resources(), 0.0);
  result->resource_utilisation.assign(graph.num_resources(), 0.0);
  result->critical_path.clear();
  result->peak_memory_bytes.assign(graph.num_stages(), 0.0);
  if (auto error = graph.Validate()) {
    result->error = *error;
    result->start_s.assign(n, -1.0);
    result->end_s.assign(n, -1.0);
    return;
  }
  BuildIndex(graph);
  finished_ = 0;
  RunEvents(graph, result);
  CollectTimes(result);
  if (finished_ != n) {
    result->error = DescribeDeadlock(graph, *result);
    return;
  }
  Summarise(graph, options, result);
}

void Engine::Summarise(const TaskGraph& graph, const SimOptions& options, SimResult* result) {
  if (result->makespan_s > 0.0) {
    for (ResourceId r = 0; r < graph.num_resources(); ++r) {
      result->resource_utilisation[r] = result->resource_busy_s[r] / result->makespan_s;
    }
  }
  if (options.critical_path) WalkCriticalPath(graph, result);
  if (options.memory) ReplayMemory(graph, result);
}

// The predecessor that decided a task's start: whichever of its last dependency and its
// resource predecessor ended later, the dependency on a tie, so that the critical path reads as
// data flow rather than queueing.
TaskId Engine::Gate(TaskId id) const {
  const TaskState& task = state_[id];
  const TaskId dep = task.last_dep;
  const TaskId prev = task.resource_prev;
  if (dep == kNoTask || (prev != kNoTask && state_[prev].end_s() > state_[dep].end_s())) {
    return prev;
  }
  return dep;
}

void Engine::WalkCriticalPath(const TaskGraph& graph, SimResult* result) const {
  std::vector<TaskId>& path = result->critical_path;
  for (TaskId id = last_task_; id != kNoTask; id = Gate(id)) path.push_back(id);
  std::reverse(path.begin(), path.end());
  // Apart from the walk: these loads do not depend on each other, so they overlap.
  for (const TaskId id : path) {
    const Task& task = graph.task(id);
    result->critical_path_s[static_cast<int>(task.category)] += task.duration_s;
  }
}

void Engine::ReplayMemory(const TaskGraph& graph, SimResult* result) {
  memory_events_.clear();
  for (const MemoryEffect& effect : graph.memory_effects()) {
    memory_events_.push_back({result->end_s[effect.alloc_task], effect.bytes, effect.stage});
    if (effect.free_task != kNoTask) {
      memory_events_.push_back({result->end_s[effect.free_task], -effect.bytes, effect.stage});
    }
  }
  // Frees before allocations at the same instant: memory released at t is reusable at t.
  std::sort(memory_events_.begin(), memory_events_.end(),
            [](const MemoryEvent& a, const MemoryEvent& b) {
              return a.time_s < b.time_s || (a.time_s == b.time_s && a.delta_bytes < b.delta_bytes);
            });
  std::vector<double>& peak = result->peak_memory_bytes;
  std::vector<double> current(peak.size(), 0.0);
  for (const MemoryEvent& event : memory_events_) {
    current[event.stage] += event.delta_bytes;
    peak[event.stage] = std::max(peak[event.stage], current[event.stage]);
  }
}

SimResult Simulate(const TaskGraph& graph, const SimOptions& options) {
  Engine engine;
  SimResult result;
  engine.Run(graph, options, &result);
  return result;
}

}  // namespace planner::sim
