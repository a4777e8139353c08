// Simulating one layout's training step (sim/step_graph.h) and explaining it: step time, the
// pipeline bubble, per-stream utilisation, the critical path by category, peak in-flight
// activations per stage, and the difference from the analytic estimate split into causes.
//
// The causes are measured, not guessed: the step is simulated with the analytic model's features
// first (which reproduces its number, unless the schedule itself differs), then with each of
// SimFeatures' switches turned on in turn (stage costs, communication overlap, DP buckets); each
// switch's cause is the change it makes. The causes therefore sum to the difference exactly.
#ifndef PLANNER_SIM_STEP_SIM_H_
#define PLANNER_SIM_STEP_SIM_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "planner/sim/engine.h"
#include "planner/sim/step_graph.h"

namespace planner::sim {

struct StreamUtilisation {
  std::string stream;  // "compute", "tp-comm", "p2p" (all links), ...
  int32_t resources = 0;
  double busy_s = 0;                  // summed over the resources
  double mean = 0, min = 0, max = 0;  // busy / step over the resources
  int32_t max_stage = -1;             // the stage of the busiest one
};

struct CriticalPathSummary {
  std::array<double, kNumTaskCategories> seconds{};  // time per task category
  int64_t tasks = 0;
  int32_t stage_changes = 0;          // hops between stages along the path
  std::vector<double> stage_seconds;  // time on the path per stage (-1: no stage)
};

struct DifferenceCause {
  std::string cause;   // "schedule", "stage imbalance", "communication overlap", "DP buckets"
  double delta_s = 0;  // how much it moves the simulated step (negative: faster)
  std::string detail;
};

struct StepSimulation {
  std::string error;  // non-empty: nothing was simulated
  ScheduleSpec schedule;
  SimFeatures features;
  double step_time_s = 0;
  double analytic_step_time_s = 0;
  // The pipeline phase runs from 0 to the end of the last micro-batch task; a stage's bubble is
  // the part of it in which the stage runs nothing (compute or its own communication).
  double pipeline_s = 0;
  double bubble_s = 0;         // mean over stages
  double bubble_fraction = 0;  // bubble_s / pipeline_s
  double analytic_bubble_s = 0;
  std::vector<double> stage_bubble_s;
  // Per stage: from the end of its last pipeline op to the start of its optimizer step (exposed
  // DP gradient time, or waiting on other stages).
  std::vector<double> stage_tail_s;
  std::vector<double> peak_activation_bytes;  // per stage
  std::vector<StreamUtilisation> streams;
  CriticalPathSummary critical_path;
  std::vector<DifferenceCause> causes;  // their delta_s sum to step_time_s - analytic_step_time_s
  int64_t events = 0;                   // of the final graph
  int32_t tasks = 0;
  int32_t graphs = 0;        // graphs simulated (the final one and those that measure causes)
  int64_t events_total = 0;  // over all of them
};

struct SimulateOptions {
  StepGraphOptions graph;
  bool explain = true;  // measure the causes (simulates up to three more graphs)
};

// Summary of one simulated graph (no causes).
StepSimulation Summarise(const StepGraph& graph, const SimResult& result);

// Simulates layouts one after another in one set of buffers: the step graph, the engine's index
// and the result are rebuilt in place, so the graphs of one step (the cause ladder) and of later
// steps reuse the storage of the largest graph so far instead of freeing and re-faulting it.
// Not thread-safe: one per thread.
class StepSimulator {
 public:
  // Builds the step graph of `options.graph`, simulates it and, with explain, measures the causes.
  StepSimulation Simulate(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p,
                          const StepTimeOptions& o, const SimulateOptions& options);
  // The last graph simulated and its result (for a trace); moving them out gives up their storage.
  StepGraph& graph() { return graph_; }
  SimResult& result() { return result_; }

 private:
  Engine engine_;
  StepGraph graph_;
  SimResult result_;
};

// One-shot convenience over StepSimulator. `graph_out` and `result_out`, if given, receive the
// final graph and its result.
StepSimulation SimulateStep(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p,
                            const StepTimeOptions& o, const SimulateOptions& options,
                            StepGraph* graph_out = nullptr, SimResult* result_out = nullptr);

}  // namespace planner::sim

#endif  // PLANNER_SIM_STEP_SIM_H_
