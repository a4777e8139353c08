// The planner-side step-graph builder: one training layout (model, cluster, ParallelConfig) as a
// TaskGraph the engine simulates. Per pipeline stage a compute stream and one stream per kind of
// communication (tp-comm, cp-comm, ep-comm, param-gather, dp-comm; p2p links between stages);
// tasks for forward, backward input and weight gradients, recompute, TP/SP collectives, the CP
// ring, EP all-to-all, PP transfers, ZeRO-3 gathers with prefetch, DP gradient buckets during the
// last backward, and the optimizer step. Durations are the analytic model's own pieces
// (planner/core/step_pieces.h), so the two differ only where the simulator models more.
//
// What it models beyond the analytic model is three switches (SimFeatures). With all three off
// ("analytic" mode) it composes the step exactly as the analytic model does -- every stage at the
// slowest stage's micro-batch time, exposed communication serialised on the compute path, the
// exposed DP time after the last backward -- and the two agree to rounding. With all on
// ("overlap", the default) each switch is one cause of a difference, which SimulateStep measures
// by turning them on one at a time.
#ifndef PLANNER_SIM_STEP_GRAPH_H_
#define PLANNER_SIM_STEP_GRAPH_H_

#include <optional>
#include <string>
#include <vector>

#include "planner/core/cluster_spec.h"
#include "planner/core/model_spec.h"
#include "planner/core/parallel_config.h"
#include "planner/core/step_pieces.h"
#include "planner/core/step_time.h"
#include "planner/sim/pipeline_graph.h"
#include "planner/sim/schedules.h"
#include "planner/sim/task_graph.h"

namespace planner::sim {

struct SimFeatures {
  // Each stage at its own cost (the first without the LM head, the last with it). Off: every
  // stage at the analytic model's slowest-stage micro-batch time.
  bool stage_costs = true;
  // Communication on its own streams beside compute: the CP ring beside attention, TP backward
  // collectives beside the weight-gradient GEMMs, ZeRO-3 gathers prefetched a layer ahead and
  // gradients reduce-scattered behind, PP transfers on their own links. Off: the analytic model's
  // exposed amounts, serialised on the compute path.
  bool overlap_comm = true;
  // DP gradients reduced bucket by bucket (one per layer) as the last backward produces them,
  // each stage its own; ZeRO-1/2 all-gathers parameters after the optimizer. Off: the analytic
  // model's exposed DP time after each stage's last backward.
  bool dp_buckets = true;
};

inline constexpr SimFeatures kAnalyticFeatures{false, false, false};
inline constexpr SimFeatures kOverlapFeatures{true, true, true};

struct StepGraphOptions {
  // Default: interleaved-1f1b when vpp > 1, gpipe when the layout's schedule is GPipe, else 1f1b.
  std::optional<ScheduleKind> schedule;
  SimFeatures features;
  bool per_layer = true;  // tasks per layer; false: per pipeline op (smaller graphs)
  bool track_activations = true;
};

struct StepGraph {
  std::string error;  // non-empty: the layout cannot be scheduled as asked (nothing built)
  TaskGraph graph;
  ScheduleSpec schedule;
  PipelineTasks pipeline;
  StepPieces pieces;
  SimFeatures features;
  std::vector<TaskId> optimizer;  // per stage: its optimizer step
};

// The schedule a layout runs by default.
ScheduleKind DefaultSchedule(const ParallelConfig& p);

// Why `kind` cannot run the layout (chunks, micro-batch divisibility); nullopt if it can.
std::optional<std::string> CheckSchedule(const ParallelConfig& p, ScheduleKind kind);

// An upper bound on the tasks BuildStepGraph would add (to refuse graphs too large to simulate
// before building them).
double EstimateTasks(const ModelSpec& m, const ParallelConfig& p, ScheduleKind kind,
                     bool per_layer);

StepGraph BuildStepGraph(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p,
                         const StepTimeOptions& o, const StepGraphOptions& options);

// The same, reusing pieces already computed for this layout (SimulateStep builds several graphs).
StepGraph BuildStepGraph(const StepPieces& pieces, const ParallelConfig& p,
                         const StepGraphOptions& options);

// The same, built into *out in place: its vectors keep their storage from the graph it held
// before, so simulating graph after graph does not free and re-fault hundreds of megabytes.
void BuildStepGraph(const StepPieces& pieces, const ParallelConfig& p,
                    const StepGraphOptions& options, StepGraph* out);

}  // namespace planner::sim

#endif  // PLANNER_SIM_STEP_GRAPH_H_
