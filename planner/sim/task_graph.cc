#include "planner/sim/task_graph.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <iterator>
#include <string>
#include <utility>

namespace planner::sim {
namespace {

// Each category's name (trace "cat", JSON) and the short label that keeps trace slices readable
// when zoomed out (Perfetto truncates long names), in enum order.
struct CategoryNames {
  TaskCategory category;
  const char* name;
  const char* short_label;
};
constexpr CategoryNames kCategoryNames[] = {
    {TaskCategory::kForward, "forward", "F"},
    {TaskCategory::kBackwardInput, "backward_input", "B"},
    {TaskCategory::kBackwardWeight, "backward_weight", "W"},
    {TaskCategory::kRecompute, "recompute", "R"},
    {TaskCategory::kTpComm, "tp_comm", "TP"},
    {TaskCategory::kCpComm, "cp_comm", "CP"},
    {TaskCategory::kEpComm, "ep_comm", "EP"},
    {TaskCategory::kPpP2p, "pp_p2p", "P2P"},
    {TaskCategory::kDpComm, "dp_comm", "DP"},
    {TaskCategory::kParamAllGather, "param_allgather", "AG"},
    {TaskCategory::kOptimizer, "optimizer", "OPT"},
    {TaskCategory::kOther, "other", "task"}};
constexpr bool InEnumOrder() {
  for (std::size_t i = 0; i < std::size(kCategoryNames); ++i) {
    if (static_cast<std::size_t>(kCategoryNames[i].category) != i) return false;
  }
  return std::size(kCategoryNames) == kNumTaskCategories;
}
static_assert(InEnumOrder(), "kCategoryNames must list every category, in enum order");

const CategoryNames& NamesOf(TaskCategory category) {
  const auto i = static_cast<std::size_t>(category);
  return i < std::size(kCategoryNames) ? kCategoryNames[i] : kCategoryNames[kNumTaskCategories - 1];
}

const char* ShortLabel(TaskCategory category) { return NamesOf(category).short_label; }

std::string TaskLabel(TaskId id, const Task& task) {
  return "task " + std::to_string(id) + " (" + DisplayName(task) + ")";
}

}  // namespace

const char* ToString(TaskCategory category) { return NamesOf(category).name; }

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
