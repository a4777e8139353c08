#include "planner/sim/pipeline_graph.h"

#include <algorithm>
#include <string>
#include <vector>

namespace planner::sim {
namespace {

// Spans and transfers of every pass, indexed by virtual stage * m + micro-batch.
struct PassIndex {
  int32_t microbatches = 0;
  std::vector<OpSpan> forward, backward, weight;
  std::vector<TaskId> forward_in, backward_in;  // p2p transfer delivering the pass's input

  explicit PassIndex(int32_t virtual_stages, int32_t m) : microbatches(m) {
    const size_t n = static_cast<size_t>(virtual_stages) * m;
    forward.resize(n);
    backward.resize(n);
    weight.resize(n);
    forward_in.assign(n, kNoTask);
    backward_in.assign(n, kNoTask);
  }
  size_t Key(int32_t virtual_stage, int32_t microbatch) const {
    return static_cast<size_t>(virtual_stage) * microbatches + microbatch;
  }
  std::vector<OpSpan>& Spans(OpKind kind) {
    return kind == OpKind::kForward ? forward : kind == OpKind::kBackward ? backward : weight;
  }
};

Task MakeTask(const OpContext& context, TaskCategory category, double duration_s) {
  Task task;
  task.category = category;
  task.resource = context.compute;
  task.duration_s = duration_s;
  task.microbatch = context.op.microbatch;
  task.stage = context.stage;
  task.chunk = context.op.chunk;
  return task;
}

std::optional<std::string> CheckInputs(const PipelineSchedule& schedule,
                                       const PipelineCosts& costs) {
  if (auto error = Validate(schedule.spec)) return error;
  if (auto error = CheckComplete(schedule)) return error;
  const size_t virtual_stages = static_cast<size_t>(schedule.spec.stages) * schedule.spec.chunks;
  if (costs.chunks.size() != virtual_stages) {
    return "costs for " + std::to_string(costs.chunks.size()) + " chunks, schedule has " +
           std::to_string(virtual_stages) + " virtual stages";
  }
  return std::nullopt;
}

// Links are created on first use: a stage pair that never exchanges data gets no track.
class Links {
 public:
  Links(int32_t stages, TaskGraph* graph)
      : graph_(graph), to_next_(stages, -1), to_previous_(stages, -1) {}

  ResourceId Get(int32_t from, int32_t to, bool forward) {
    ResourceId& id = (forward ? to_next_ : to_previous_)[from];
    if (id < 0) {
      const std::string peer = std::to_string(to);
      id = graph_->AddResource(
          {"stage" + std::to_string(from) + "->" + peer + "/p2p", from, "p2p->" + peer});
    }
    return id;
  }

 private:
  TaskGraph* graph_;
  std::vector<ResourceId> to_next_, to_previous_;
};

// Pass 2: transfers in each sender's issue order, so in-order links never wait on a later op.
// Calls visit(s, i, op, vs, at) for each stage's ops in issue order: vs the op's virtual stage,
// at its position along its micro-batch's path.
//
// Stages take turns, op i of every stage before op i + 1 of any: each stream still sees its own
// ops in order, and task ids follow simulated time roughly (op i of stage s runs near slot
// i + s), so the engine walks its per-task arrays as one sliding window instead of one region
// per stage, which is what keeps a million-task graph's events as cheap as a small one's.
template <typename Visit>
void ForEachOp(const PipelineSchedule& schedule, Visit visit) {
  const int32_t p = schedule.spec.stages;
  size_t most_ops = 0;
  for (const auto& ops : schedule.stage_ops) most_ops = std::max(most_ops, ops.size());
  for (size_t i = 0; i < most_ops; ++i) {
    for (int32_t s = 0; s < p; ++s) {
      const auto& ops = schedule.stage_ops[s];
      if (i >= ops.size()) continue;
      const PipelineOp& op = ops[i];
      visit(s, i, op, VirtualStage(s, op.chunk, p), PathPosition(schedule.spec, s, op.chunk));
    }
  }
}

void AddTransfers(const PipelineSchedule& schedule, const PipelineCosts& costs,
                  const PipelineTasks& tasks, TaskGraph* graph, PassIndex* index) {
  const ScheduleSpec& spec = schedule.spec;
  const int32_t p = spec.stages;
  const int32_t last = PathLength(spec) - 1;
  Links links(p, graph);
  ForEachOp(schedule, [&](int32_t s, size_t i, const PipelineOp& op, int32_t vs, int32_t at) {
    const bool forward = op.kind == OpKind::kForward;
    const bool sends = forward ? at < last : op.kind == OpKind::kBackward && at > 0;
    if (!sends) return;
    const int32_t receiver_vs = VirtualStageAt(spec, op.chunk, forward ? at + 1 : at - 1);
    const int32_t to = receiver_vs % p;
    const double p2p_s = costs.chunks[vs].p2p_s;
    if (to == s || p2p_s <= 0.0) return;
    Task task;
    task.category = TaskCategory::kPpP2p;
    task.resource = links.Get(s, to, forward);
    task.duration_s = p2p_s;
    task.microbatch = op.microbatch;
    task.stage = s;
    task.chunk = op.chunk;
    const TaskId id = graph->AddTask(task);
    graph->AddDependency(tasks.spans[s][i].exit, id);
    (forward ? index->forward_in : index->backward_in)[index->Key(receiver_vs, op.microbatch)] = id;
  });
}

// Pass 3: each pass waits for its input; weight passes wait for their B pass.
void AddPassDependencies(const PipelineSchedule& schedule, const PipelineTasks& tasks,
                         TaskGraph* graph, PassIndex* index) {
  const ScheduleSpec& spec = schedule.spec;
  const int32_t last = PathLength(spec) - 1;
  ForEachOp(schedule, [&](int32_t s, size_t i, const PipelineOp& op, int32_t vs, int32_t at) {
    const size_t key = index->Key(vs, op.microbatch);
    const TaskId entry = tasks.spans[s][i].entry;
    TaskId source = kNoTask;
    if (op.kind == OpKind::kForward) {
      if (at == 0) return;
      source = index->forward_in[key];
      const int32_t before = VirtualStageAt(spec, op.chunk, at - 1);
      if (source == kNoTask) source = index->forward[index->Key(before, op.microbatch)].exit;
    } else if (op.kind == OpKind::kBackward) {
      // The last stage of the path computes the loss in its forward pass.
      source = at == last ? index->forward[key].last : index->backward_in[key];
      if (source == kNoTask) {
        const int32_t after = VirtualStageAt(spec, op.chunk, at + 1);
        source = index->backward[index->Key(after, op.microbatch)].exit;
      }
    } else {
      source = index->backward[key].last;
    }
    graph->AddDependency(source, entry);
  });
}

void AddActivationMemory(const PipelineSchedule& schedule, const PipelineCosts& costs,
                         const PassIndex& index, TaskGraph* graph) {
  const int32_t p = schedule.spec.stages;
  for (int32_t vs = 0; vs < p * schedule.spec.chunks; ++vs) {
    for (int32_t mb = 0; mb < schedule.spec.microbatches; ++mb) {
      const size_t key = index.Key(vs, mb);
      if (!RunsChunk(schedule.spec, mb, vs / p)) continue;  // DualPipe: the other direction's
      MemoryEffect effect;
      effect.stage = vs % p;
      effect.bytes = costs.chunks[vs].activation_bytes;
      effect.alloc_task = index.forward[key].last;
      effect.free_task = (schedule.split_backward ? index.weight : index.backward)[key].last;
      graph->AddMemoryEffect(effect);
    }
  }
}

}  // namespace

PipelineCosts UniformCosts(const ScheduleSpec& spec, const ChunkCosts& per_stage) {
  const double v = ChunksPerModelStage(spec);
  ChunkCosts chunk = per_stage;
  chunk.forward_s /= v;
  chunk.backward_input_s /= v;
  chunk.backward_weight_s /= v;
  chunk.activation_bytes /= v;
  PipelineCosts costs;
  costs.chunks.assign(static_cast<size_t>(spec.stages) * spec.chunks, chunk);
  return costs;
}

OpSpan ExpandOpDefault(const OpContext& context, TaskGraph& graph) {
  const ChunkCosts& costs = *context.costs;
  switch (context.op.kind) {
    case OpKind::kForward: {
      const TaskId id = graph.AddTask(MakeTask(context, TaskCategory::kForward, costs.forward_s));
      return {id, id, id};
    }
    case OpKind::kBackward: {
      const TaskId b =
          graph.AddTask(MakeTask(context, TaskCategory::kBackwardInput, costs.backward_input_s));
      if (context.schedule->split_backward || costs.backward_weight_s <= 0.0) return {b, b, b};
      const TaskId w =
          graph.AddTask(MakeTask(context, TaskCategory::kBackwardWeight, costs.backward_weight_s));
      return {b, w, w};
    }
    case OpKind::kBackwardWeight: {
      const TaskId id =
          graph.AddTask(MakeTask(context, TaskCategory::kBackwardWeight, costs.backward_weight_s));
      return {id, id, id};
    }
  }
  return {};
}

PipelineTasks AddPipelineTasks(const PipelineSchedule& schedule, const PipelineCosts& costs,
                               const PipelineGraphOptions& options, TaskGraph* graph) {
  PipelineTasks tasks;
  if (auto error = CheckInputs(schedule, costs)) {
    tasks.error = *error;
    return tasks;
  }
  const ScheduleSpec& spec = schedule.spec;
  const OpExpander& expand = options.expand ? options.expand : OpExpander(ExpandOpDefault);
  PassIndex index(spec.stages * spec.chunks, spec.microbatches);

  // Pass 1: expand every op, each stage's in issue order, so each stream's order is the
  // schedule's.
  tasks.spans.resize(spec.stages);
  for (int32_t s = 0; s < spec.stages; ++s) {
    tasks.compute.push_back(graph->AddResource(s, "compute"));
  }
  ForEachOp(schedule, [&](int32_t s, size_t, const PipelineOp& op, int32_t vs, int32_t at) {
    OpContext context;
    context.schedule = &schedule;
    context.op = op;
    context.stage = s;
    context.virtual_stage = vs;
    context.model_stage = ModelStage(spec, s, op.chunk);
    context.path_position = at;
    context.costs = &costs.chunks[vs];
    context.compute = tasks.compute[s];
    const OpSpan span = expand(context, *graph);
    tasks.spans[s].push_back(span);
    index.Spans(op.kind)[index.Key(vs, op.microbatch)] = span;
  });
  AddTransfers(schedule, costs, tasks, graph, &index);
  AddPassDependencies(schedule, tasks, graph, &index);
  if (options.track_activations) AddActivationMemory(schedule, costs, index, graph);
  return tasks;
}

}  // namespace planner::sim
