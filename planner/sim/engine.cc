#include "planner/sim/engine.h"

#include <algorithm>
#include <string>

namespace planner::sim {
namespace {

// Min-heap order on end time; ties broken by task id so runs are deterministic.
struct Later {
  template <typename E>
  bool operator()(const E& a, const E& b) const {
    return a.time_s > b.time_s || (a.time_s == b.time_s && a.task > b.task);
  }
};

// Counting sort of `count` items into buckets: offsets[k]..offsets[k+1] index the items of key k.
template <typename KeyOf>
void BuildCsr(int32_t num_keys, int64_t count, KeyOf key_of, std::vector<int32_t>* offsets) {
  offsets->assign(static_cast<size_t>(num_keys) + 1, 0);
  for (int64_t i = 0; i < count; ++i) ++(*offsets)[key_of(i) + 1];
  for (int32_t k = 0; k < num_keys; ++k) (*offsets)[k + 1] += (*offsets)[k];
}

}  // namespace

void Engine::BuildIndex(const TaskGraph& graph) {
  const int32_t n = graph.num_tasks();
  const auto& deps = graph.dependencies();
  const auto& tasks = graph.tasks();

  BuildCsr(
      n, static_cast<int64_t>(deps.size()), [&](int64_t i) { return deps[i].before; },
      &successor_offsets_);
  successors_.resize(deps.size());
  state_.resize(n);
  for (TaskId id = 0; id < n; ++id) {
    state_[id] = {tasks[id].duration_s, tasks[id].resource, 0, kNoTask, kNoTask};
  }
  head_.assign(successor_offsets_.begin(), successor_offsets_.end() - 1);  // fill cursors
  for (const Dependency& dep : deps) {
    successors_[head_[dep.before]++] = dep.after;
    ++state_[dep.after].pending_deps;
  }

  const int32_t r = graph.num_resources();
  BuildCsr(
      r, n, [&](int64_t i) { return tasks[i].resource; }, &resource_offsets_);
  resource_tasks_.resize(n);
  head_.assign(resource_offsets_.begin(), resource_offsets_.end() - 1);
  for (TaskId id = 0; id < n; ++id) resource_tasks_[head_[tasks[id].resource]++] = id;
  head_.assign(resource_offsets_.begin(), resource_offsets_.end() - 1);  // issue cursors
  busy_.assign(r, 0);
}

// Starts the resource's next task if the resource is idle and the task's inputs are ready.
void Engine::TryStart(ResourceId resource, double now_s, SimResult* result) {
  const int32_t index = head_[resource];
  if (busy_[resource] || index == resource_offsets_[resource + 1]) return;
  const TaskId id = resource_tasks_[index];
  TaskState& task = state_[id];
  if (task.pending_deps != 0) return;

  busy_[resource] = 1;
  result->start_s[id] = now_s;
  ++result->events;
  // The start is decided by whichever predecessor ended last; prefer the data dependency on a
  // tie so the critical path reads as data flow rather than queueing.
  const TaskId dep = task.last_dep;
  const TaskId prev = index > resource_offsets_[resource] ? resource_tasks_[index - 1] : kNoTask;
  if (dep == kNoTask || (prev != kNoTask && result->end_s[prev] > result->end_s[dep])) {
    task.gate = prev;
  } else {
    task.gate = dep;
  }
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
    const ResourceId resource = state_[id].resource;
    result->end_s[id] = event.time_s;
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
  result->start_s.assign(n, -1.0);
  result->end_s.assign(n, -1.0);
  result->resource_busy_s.assign(graph.num_resources(), 0.0);
  result->resource_utilisation.assign(graph.num_resources(), 0.0);
  result->critical_path.clear();
  result->peak_memory_bytes.assign(graph.num_stages(), 0.0);
  if (auto error = graph.Validate()) {
    result->error = *error;
    return;
  }
  BuildIndex(graph);
  finished_ = 0;
  RunEvents(graph, result);
  if (finished_ != n) {
    result->error = DescribeDeadlock(graph, *result);
    return;
  }
  Summarise(graph, options, result);
}

void Engine::Summarise(const TaskGraph& graph, const SimOptions& options, SimResult* result) {
  for (TaskId id = 0; id < graph.num_tasks(); ++id) {
    const Task& task = graph.task(id);
    result->resource_busy_s[task.resource] += task.duration_s;
    result->makespan_s = std::max(result->makespan_s, result->end_s[id]);
  }
  if (result->makespan_s > 0.0) {
    for (ResourceId r = 0; r < graph.num_resources(); ++r) {
      result->resource_utilisation[r] = result->resource_busy_s[r] / result->makespan_s;
    }
  }
  if (options.critical_path) WalkCriticalPath(graph, result);
  if (options.memory) ReplayMemory(graph, result);
}

void Engine::WalkCriticalPath(const TaskGraph& graph, SimResult* result) const {
  if (graph.num_tasks() == 0) return;
  const auto last = std::max_element(result->end_s.begin(), result->end_s.end());
  for (TaskId id = static_cast<TaskId>(last - result->end_s.begin()); id != kNoTask;
       id = state_[id].gate) {
    result->critical_path.push_back(id);
    const Task& task = graph.task(id);
    result->critical_path_s[static_cast<int>(task.category)] += task.duration_s;
  }
  std::reverse(result->critical_path.begin(), result->critical_path.end());
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
