#include "planner/sim/task_graph.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

namespace planner::sim {
namespace {

// Short labels keep trace slices readable when zoomed out (Perfetto truncates long names).
const char* ShortLabel(TaskCategory category) {
  switch (category) {
    case TaskCategory::kForward:
      return "F";
    case TaskCategory::kBackwardInput:
      return "B";
    case TaskCategory::kBackwardWeight:
      return "W";
    case TaskCategory::kRecompute:
      return "R";
    case TaskCategory::kTpComm:
      return "TP";
    case TaskCategory::kCpComm:
      return "CP";
    case TaskCategory::kEpComm:
      return "EP";
    case TaskCategory::kPpP2p:
      return "P2P";
    case TaskCategory::kDpComm:
      return "DP";
    case TaskCategory::kParamAllGather:
      return "AG";
    case TaskCategory::kOptimizer:
      return "OPT";
    case TaskCategory::kOther:
      return "task";
  }
  return "task";
}

std::string TaskLabel(TaskId id, const Task& task) {
  return "task " + std::to_string(id) + " (" + DisplayName(task) + ")";
}

}  // namespace

const char* ToString(TaskCategory category) {
  switch (category) {
    case TaskCategory::kForward:
      return "forward";
    case TaskCategory::kBackwardInput:
      return "backward_input";
    case TaskCategory::kBackwardWeight:
      return "backward_weight";
    case TaskCategory::kRecompute:
      return "recompute";
    case TaskCategory::kTpComm:
      return "tp_comm";
    case TaskCategory::kCpComm:
      return "cp_comm";
    case TaskCategory::kEpComm:
      return "ep_comm";
    case TaskCategory::kPpP2p:
      return "pp_p2p";
    case TaskCategory::kDpComm:
      return "dp_comm";
    case TaskCategory::kParamAllGather:
      return "param_allgather";
    case TaskCategory::kOptimizer:
      return "optimizer";
    case TaskCategory::kOther:
      return "other";
  }
  return "other";
}

std::string DisplayName(const Task& task) {
  if (task.name != nullptr) return task.name;
  std::string name = ShortLabel(task.category);
  if (task.microbatch >= 0) name += " mb" + std::to_string(task.microbatch);
  if (task.chunk > 0) name += " c" + std::to_string(task.chunk);
  return name;
}

ResourceId TaskGraph::AddResource(int32_t stage, std::string stream) {
  Resource resource;
  resource.name = stage >= 0 ? "stage" + std::to_string(stage) + "/" + stream : stream;
  resource.stage = stage;
  resource.stream = std::move(stream);
  return AddResource(std::move(resource));
}

ResourceId TaskGraph::AddResource(Resource resource) {
  NoteStage(resource.stage);
  resources_.push_back(std::move(resource));
  return static_cast<ResourceId>(resources_.size() - 1);
}

TaskId TaskGraph::AddTask(Task task) {
  NoteStage(task.stage);
  tasks_.push_back(std::move(task));
  return static_cast<TaskId>(tasks_.size() - 1);
}

void TaskGraph::AddDependency(TaskId before, TaskId after) {
  dependencies_.push_back({before, after});
}

void TaskGraph::AddMemoryEffect(const MemoryEffect& effect) {
  NoteStage(effect.stage);
  memory_effects_.push_back(effect);
}

void TaskGraph::Reserve(int64_t tasks, int64_t dependencies) {
  tasks_.reserve(static_cast<size_t>(tasks));
  dependencies_.reserve(static_cast<size_t>(dependencies));
}

void TaskGraph::Clear() {
  resources_.clear();
  tasks_.clear();
  dependencies_.clear();
  memory_effects_.clear();
  num_stages_ = 0;
}

void TaskGraph::NoteStage(int32_t stage) { num_stages_ = std::max(num_stages_, stage + 1); }

std::optional<std::string> TaskGraph::Validate() const {
  const auto valid_task = [this](TaskId id) { return id >= 0 && id < num_tasks(); };
  for (TaskId id = 0; id < num_tasks(); ++id) {
    const Task& task = tasks_[id];
    if (task.resource < 0 || task.resource >= num_resources()) {
      return TaskLabel(id, task) + " names resource " + std::to_string(task.resource) +
             " but the graph has " + std::to_string(num_resources());
    }
    if (!std::isfinite(task.duration_s) || task.duration_s < 0.0) {
      return TaskLabel(id, task) + " has duration " + std::to_string(task.duration_s) +
             " s; durations must be finite and >= 0";
    }
  }
  for (const Dependency& dep : dependencies_) {
    if (!valid_task(dep.before) || !valid_task(dep.after)) {
      return "dependency " + std::to_string(dep.before) + " -> " + std::to_string(dep.after) +
             " names a task outside 0.." + std::to_string(num_tasks() - 1);
    }
    if (dep.before == dep.after)
      return TaskLabel(dep.after, task(dep.after)) + " depends on itself";
  }
  for (const MemoryEffect& effect : memory_effects_) {
    if (!valid_task(effect.alloc_task) ||
        (effect.free_task != kNoTask && !valid_task(effect.free_task))) {
      return "memory effect on stage " + std::to_string(effect.stage) +
             " names a task outside the graph";
    }
    if (effect.stage < 0 || !std::isfinite(effect.bytes)) {
      return "memory effect needs a stage >= 0 and finite bytes";
    }
  }
  return std::nullopt;
}

}  // namespace planner::sim
