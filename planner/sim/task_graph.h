// TaskGraph: the simulator's only input. Resources (a compute stream, a communication stream, a
// link) each run one task at a time, in the order tasks were added to them, like CUDA streams;
// tasks carry a duration and dependencies. Builders (pipeline schedules here, the planner's step
// graph later) translate their own notions into this and nothing else, so the engine never sees
// planner types.
#ifndef PLANNER_SIM_TASK_GRAPH_H_
#define PLANNER_SIM_TASK_GRAPH_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "planner/sim/large_allocator.h"

namespace planner::sim {

using TaskId = int32_t;
using ResourceId = int32_t;
inline constexpr TaskId kNoTask = -1;

// What a task does; the critical path and the trace are summarised per category.
enum class TaskCategory : uint8_t {
  kForward,
  kBackwardInput,   // gradient with respect to the stage's input (what the previous stage needs)
  kBackwardWeight,  // gradient with respect to the weights (deferrable: zero-bubble schedules)
  kRecompute,       // forward work repeated before backward (activation checkpointing)
  kTpComm,          // tensor/sequence-parallel all-reduce, reduce-scatter, all-gather
  kCpComm,          // context-parallel ring exchange of K/V
  kEpComm,          // expert-parallel all-to-all
  kPpP2p,           // pipeline send/recv of activations or gradients, one task per transfer
  kDpComm,          // data-parallel gradient all-reduce or reduce-scatter (per bucket)
  kParamAllGather,  // ZeRO-3/FSDP parameter all-gather
  kOptimizer,
  kOther,
};
inline constexpr int kNumTaskCategories = static_cast<int>(TaskCategory::kOther) + 1;

const char* ToString(TaskCategory category);

struct Resource {
  std::string name;    // e.g. "stage3/compute", "stage3->4/p2p"
  int32_t stage = -1;  // the pipeline stage it belongs to (trace process); -1: none
  std::string stream;  // the track name within the stage, e.g. "compute", "tp-comm"
};

// 40 bytes: a step graph has up to a million tasks, and every pass over them (building, index,
// validation, summary) streams the whole array, so the label is a pointer rather than a string.
struct Task {
  // Optional label with static storage (a string literal); null lets the trace derive one from
  // category and ids.
  const char* name = nullptr;
  double duration_s = 0.0;
  ResourceId resource = 0;
  int32_t microbatch = -1;  // -1: not tied to one micro-batch (optimizer, DP bucket)
  int32_t stage = -1;
  int32_t chunk = -1;  // virtual pipeline chunk (interleaved schedules); -1: not applicable
  TaskCategory category = TaskCategory::kOther;
};

// `after` may start only once `before` has finished.
struct Dependency {
  TaskId before = kNoTask;
  TaskId after = kNoTask;
};

// `bytes` are held on `stage` from the end of `alloc_task` to the end of `free_task` (kNoTask:
// never freed within the step). The engine reports the peak per stage.
struct MemoryEffect {
  int32_t stage = 0;
  double bytes = 0.0;
  TaskId alloc_task = kNoTask;
  TaskId free_task = kNoTask;
};

class TaskGraph {
 public:
  // Name is "stage<stage>/<stream>" when stage >= 0, else the stream itself.
  ResourceId AddResource(int32_t stage, std::string stream);
  ResourceId AddResource(Resource resource);
  // Appends to the end of its resource's issue order.
  TaskId AddTask(Task task);
  void AddDependency(TaskId before, TaskId after);
  void AddMemoryEffect(const MemoryEffect& effect);
  void Reserve(int64_t tasks, int64_t dependencies);
  // Empties the graph but keeps its storage, so the next graph built into it (a simulation of
  // several graphs, a bench loop) touches no fresh pages until it outgrows this one.
  void Clear();

  const std::vector<Resource>& resources() const { return resources_; }
  const LargeVector<Task>& tasks() const { return tasks_; }
  const LargeVector<Dependency>& dependencies() const { return dependencies_; }
  const std::vector<MemoryEffect>& memory_effects() const { return memory_effects_; }
  const Task& task(TaskId id) const { return tasks_[id]; }
  int32_t num_tasks() const { return static_cast<int32_t>(tasks_.size()); }
  int32_t num_resources() const { return static_cast<int32_t>(resources_.size()); }
  // One more than the largest stage of any resource, task or memory effect (0 if none).
  int32_t num_stages() const { return num_stages_; }

  // Why the graph cannot be simulated (ids out of range, negative or non-finite durations,
  // self-dependencies); nullopt if it is well formed. Cycles are found by the engine.
  std::optional<std::string> Validate() const;

 private:
  void NoteStage(int32_t stage);

  std::vector<Resource> resources_;
  LargeVector<Task> tasks_;  // on huge pages: see large_allocator.h
  LargeVector<Dependency> dependencies_;
  std::vector<MemoryEffect> memory_effects_;
  int32_t num_stages_ = 0;
};

// The name the trace and reports use for a task: its own, or e.g. "F mb3 c1" when it has none.
std::string DisplayName(const Task& task);

}  // namespace planner::sim

#endif  // PLANNER_SIM_TASK_GRAPH_H_
