// Turns a PipelineSchedule plus per-chunk durations into TaskGraph tasks: one compute stream per
// stage, ops issued in schedule order, activations flowing forward through virtual stages and
// gradients flowing back, optionally over point-to-point link resources (one per direction per
// stage pair, since links are full duplex).
//
// Each op is expanded into tasks by a hook (OpExpander). The default makes one compute task per
// pass; the planner-side builder supplies its own to add TP/CP/EP collectives, recompute,
// parameter all-gathers and so on around the compute, and reports through OpSpan which of its
// tasks take the op's input and produce its output, so the pipeline wiring stays here.
#ifndef PLANNER_SIM_PIPELINE_GRAPH_H_
#define PLANNER_SIM_PIPELINE_GRAPH_H_

#include <functional>
#include <string>
#include <vector>

#include "planner/sim/schedules.h"
#include "planner/sim/task_graph.h"

namespace planner::sim {

// Durations of one model chunk on one stage, per micro-batch.
struct ChunkCosts {
  double forward_s = 0.0;
  double backward_input_s = 0.0;
  double backward_weight_s = 0.0;
  double p2p_s = 0.0;             // sending this chunk's output (forward) or input gradient
  double activation_bytes = 0.0;  // held from the end of forward to the end of backward
};

struct PipelineCosts {
  std::vector<ChunkCosts> chunks;  // indexed by VirtualStage(stage, chunk, stages)
};

// Every stage alike: `per_stage` is a whole model stage (all its chunks); compute and activation
// bytes are split evenly over its chunks (DualPipe's chunks are whole model stages), p2p time is
// per transfer and so is not.
PipelineCosts UniformCosts(const ScheduleSpec& spec, const ChunkCosts& per_stage);

struct OpContext {
  const PipelineSchedule* schedule = nullptr;
  PipelineOp op;
  int32_t stage = 0;
  int32_t virtual_stage = 0;
  int32_t model_stage = 0;  // the model stage it runs (ModelStage: DualPipe's chunk 1 mirrors)
  int32_t path_position = 0;  // on its micro-batch's path: 0 first (embedding), PathLength-1 last
  const ChunkCosts* costs = nullptr;
  ResourceId compute = 0;  // the stage's compute stream
};

// The tasks an op was expanded into, as the pipeline wiring needs them.
struct OpSpan {
  TaskId entry = kNoTask;  // needs the input from the neighbouring stage (activation, gradient)
  TaskId exit = kNoTask;   // when it ends, the op's output may be sent on
  TaskId last = kNoTask;   // the op's final task: weight passes and memory release follow it
};

using OpExpander = std::function<OpSpan(const OpContext& context, TaskGraph& graph)>;

// One task per pass on the compute stream. An unsplit backward becomes a B task then a W task
// (when backward_weight_s > 0) whose end releases the gradient, as autograd does.
OpSpan ExpandOpDefault(const OpContext& context, TaskGraph& graph);

struct PipelineGraphOptions {
  OpExpander expand;              // empty: ExpandOpDefault
  bool track_activations = true;  // a MemoryEffect per (micro-batch, chunk)
};

struct PipelineTasks {
  std::string error;  // empty on success; an input error is found before the graph is touched
  std::vector<ResourceId> compute;         // per stage
  std::vector<std::vector<OpSpan>> spans;  // [stage][i] for schedule.stage_ops[stage][i]
};

// Adds the step's pipeline tasks to *graph (which may already hold the caller's resources).
// Transfers with p2p_s > 0 become kPpP2p tasks on "stage<a>-><b>/p2p" links, issued in the
// sender's order; with p2p_s == 0 the receiver depends on the sender directly.
PipelineTasks AddPipelineTasks(const PipelineSchedule& schedule, const PipelineCosts& costs,
                               const PipelineGraphOptions& options, TaskGraph* graph);

}  // namespace planner::sim

#endif  // PLANNER_SIM_PIPELINE_GRAPH_H_
