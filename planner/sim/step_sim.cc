#include "planner/sim/step_sim.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace planner::sim {
namespace {

// Pipeline-phase work: everything but the DP gradient traffic, the optimizer and the parameter
// all-gather after it.
bool InPipelinePhase(const Task& task) {
  switch (task.category) {
    case TaskCategory::kDpComm:
    case TaskCategory::kOptimizer:
      return false;
    case TaskCategory::kParamAllGather:
      return task.microbatch >= 0;
    default:
      return true;
  }
}

using Interval = std::pair<double, double>;  // start, end

// Length of the union of intervals that come in sorted runs, [runs[k], runs[k + 1]) (sorted in
// place). Merging the runs pairwise costs n log(runs) where sorting them all cost n log n.
double UnionLength(std::vector<Interval>* intervals, std::vector<size_t> runs) {
  const auto at = [&](size_t k) { return intervals->begin() + static_cast<ptrdiff_t>(k); };
  while (runs.size() > 2) {
    std::vector<size_t> merged = {runs[0]};
    for (size_t k = 0; k + 2 < runs.size(); k += 2) {
      std::inplace_merge(at(runs[k]), at(runs[k + 1]), at(runs[k + 2]));
      merged.push_back(runs[k + 2]);
    }
    if (runs.size() % 2 == 0) merged.push_back(runs.back());  // an odd run out
    runs = std::move(merged);
  }
  double total = 0, start = 0, end = -1;
  for (const auto& [a, b] : *intervals) {
    if (a > end) {
      if (end > start) total += end - start;
      start = a;
      end = b;
    } else {
      end = std::max(end, b);
    }
  }
  if (end > start) total += end - start;
  return total;
}

void SummariseBubble(const StepGraph& g, const SimResult& r, StepSimulation* out) {
  const int32_t stages = g.schedule.stages;
  const auto& resources = g.graph.resources();
  // Per resource, busy intervals in start order: a resource runs its tasks one at a time, in
  // the order they were added, which is task id order.
  std::vector<std::vector<Interval>> busy(resources.size());
  // Sized first: grown by doubling, a million intervals' buffers are fresh pages each time.
  std::vector<size_t> count(resources.size(), 0);
  for (TaskId id = 0; id < g.graph.num_tasks(); ++id) {
    const Task& task = g.graph.task(id);
    if (InPipelinePhase(task) && task.duration_s > 0) ++count[task.resource];
  }
  for (size_t k = 0; k < busy.size(); ++k) busy[k].reserve(count[k]);
  for (TaskId id = 0; id < g.graph.num_tasks(); ++id) {
    const Task& task = g.graph.task(id);
    if (!InPipelinePhase(task)) continue;
    out->pipeline_s = std::max(out->pipeline_s, r.end_s[id]);
    if (task.duration_s > 0) busy[task.resource].push_back({r.start_s[id], r.end_s[id]});
  }
  double total = 0;
  std::vector<Interval> stage_busy;
  for (int32_t s = 0; s < stages; ++s) {
    stage_busy.clear();
    std::vector<size_t> runs = {0};
    for (size_t k = 0; k < resources.size(); ++k) {
      if (resources[k].stage != s) continue;
      stage_busy.insert(stage_busy.end(), busy[k].begin(), busy[k].end());
      runs.push_back(stage_busy.size());
    }
    out->stage_bubble_s.push_back(out->pipeline_s - UnionLength(&stage_busy, runs));
    total += out->stage_bubble_s.back();
    const TaskId last_op = g.pipeline.spans[s].back().last;
    out->stage_tail_s.push_back(r.start_s[g.optimizer[s]] - r.end_s[last_op]);
  }
  out->bubble_s = stages > 0 ? total / stages : 0;
  out->bubble_fraction = out->pipeline_s > 0 ? out->bubble_s / out->pipeline_s : 0;
}

// "p2p->3" and "p2p->4" are one kind of stream.
std::string StreamKind(const Resource& resource) {
  const std::string& s = resource.stream.empty() ? resource.name : resource.stream;
  const size_t arrow = s.find("->");
  return arrow == std::string::npos ? s : s.substr(0, arrow);
}

void SummariseStreams(const StepGraph& g, const SimResult& r, StepSimulation* out) {
  std::map<std::string, size_t> index;
  for (ResourceId id = 0; id < g.graph.num_resources(); ++id) {
    const Resource& resource = g.graph.resources()[id];
    const std::string kind = StreamKind(resource);
    auto [it, added] = index.emplace(kind, out->streams.size());
    if (added) out->streams.push_back({kind, 0, 0, 0, 2, -1, -1});
    StreamUtilisation& u = out->streams[it->second];
    const double use = r.resource_utilisation[id];
    ++u.resources;
    u.busy_s += r.resource_busy_s[id];
    u.mean += use;
    u.min = std::min(u.min, use);
    if (use > u.max || u.max_stage < 0) {
      u.max = use;
      u.max_stage = resource.stage;
    }
  }
  for (StreamUtilisation& u : out->streams) u.mean /= std::max(1, u.resources);
}

void SummariseCriticalPath(const StepGraph& g, const SimResult& r, StepSimulation* out) {
  CriticalPathSummary& cp = out->critical_path;
  cp.seconds = r.critical_path_s;
  cp.tasks = static_cast<int64_t>(r.critical_path.size());
  cp.stage_seconds.assign(g.schedule.stages, 0.0);
  int32_t previous = -2;
  for (TaskId id : r.critical_path) {
    const Task& task = g.graph.task(id);
    if (task.stage >= 0 && task.stage < g.schedule.stages) {
      cp.stage_seconds[task.stage] += task.duration_s;
      if (previous >= 0 && task.stage != previous) ++cp.stage_changes;
      previous = task.stage;
    }
  }
}

std::string Seconds(double s) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.4g s", s);
  return buffer;
}

std::string ScheduleDetail(const StepGraph& g, double delta_s) {
  const ScheduleSpec& spec = g.schedule;
  switch (spec.kind) {
    case ScheduleKind::kZeroBubbleH1:
      return "zb-h1 defers weight gradients into the cool-down bubble; the analytic model "
             "charges 1F1B's bubble of " +
             Seconds(g.pieces.analytic.bubble_s);
    case ScheduleKind::kGpipe:
      return "gpipe: the same step as 1F1B (it holds " + std::to_string(spec.microbatches) +
             " micro-batches in flight on stage 0 rather than " +
             std::to_string(std::min(spec.stages, spec.microbatches)) + ")";
    default:
      break;
  }
  if (std::abs(delta_s) > 1e-9 * g.pieces.analytic.step_time_s) {
    return std::string(ToString(spec.kind)) + " does not compose as the analytic model assumes";
  }
  return "none: the analytic composition is reproduced (rounding only)";
}

std::string StageDetail(const StepPieces& pieces) {
  const double paced = pieces.uniform.MicrobatchSeconds();
  double fastest = paced, slowest = 0;
  for (const StagePieces& s : pieces.stages) {
    fastest = std::min(fastest, s.MicrobatchSeconds());
    slowest = std::max(slowest, s.MicrobatchSeconds());
  }
  const MicrobatchTime& t = pieces.analytic.microbatch;
  const bool last_paces = t.stage == static_cast<int64_t>(pieces.stages.size()) - 1;
  std::string detail =
      last_paces ? "the analytic model paces every stage at the last stage's " + Seconds(paced) +
                       " per micro-batch (LM head and loss included)"
                 : "the analytic model paces every stage at stage " + std::to_string(t.stage) +
                       "'s " + Seconds(paced) + " per micro-batch (" +
                       std::to_string(static_cast<int64_t>(t.layers)) + " layers, the slowest)";
  detail += "; stages take " + Seconds(fastest) + " (stage 0, no head) to " + Seconds(slowest);
  // The stages' ends differ too: each reduces its own parameters' gradients (the first stage
  // holds the embedding) and updates them, where the analytic model takes the last stage's.
  const auto tail = [](const StagePieces& s) { return s.dp_exposed_s + s.optimizer_s; };
  size_t longest = 0;
  for (size_t i = 1; i < pieces.stages.size(); ++i) {
    if (tail(pieces.stages[i]) > tail(pieces.stages[longest])) longest = i;
  }
  const double analytic_tail = tail(pieces.uniform);
  if (std::abs(tail(pieces.stages[longest]) - analytic_tail) > 1e-6 * analytic_tail) {
    detail += "; after its last backward stage " + std::to_string(longest) + " spends " +
              Seconds(tail(pieces.stages[longest])) +
              " on exposed DP gradients and the optimizer, the analytic model " +
              Seconds(analytic_tail) + " (the last stage's)";
  }
  return detail;
}

std::string OverlapDetail(const StepGraph& g, const ParallelConfig& p) {
  const StagePieces& last = g.pieces.stages.back();
  std::vector<std::string> parts;
  if (p.cp > 1) parts.push_back("CP ring beside attention");
  if (last.layer.tp_bwd_overlap_s > 0) {
    parts.push_back(g.schedule.kind == ScheduleKind::kZeroBubbleH1
                        ? "TP backward exposed: zb-h1 defers the weight-gradient GEMMs it would "
                          "hide behind"
                        : "TP backward beside weight gradients");
  }
  if (p.zero >= 3 && p.dp * p.cp > 1) {
    parts.push_back(g.pieces.zero3_prefetch
                        ? "ZeRO-3 gathers prefetched a layer ahead"
                        : "ZeRO-3 gathers exposed: the stack does not prefetch them");
  }
  if (p.pp > 1) {
    parts.push_back("PP transfers on their own links (the analytic model serialises " +
                    Seconds(last.pp_exposed_s) + " per micro-batch)");
  }
  if (parts.empty()) return "no communication here can overlap compute";
  std::string detail;
  for (const std::string& part : parts) detail += (detail.empty() ? "" : "; ") + part;
  return detail;
}

std::string BucketDetail(const StepSimulation& s, const StepGraph& g, const ParallelConfig& p) {
  if (p.dp * p.cp == 1) return "no data parallelism: no gradients to reduce";
  if (p.zero >= 3) {
    return g.pieces.zero3_prefetch
               ? "ZeRO-3 reduce-scatters each layer's gradients behind every backward; nothing "
                 "is left for the end of the step"
               : "ZeRO-3 reduce-scatters on the compute path with the gathers (no prefetch)";
  }
  const double tail = *std::max_element(s.stage_tail_s.begin(), s.stage_tail_s.end());
  return "DP gradients reduced in per-layer buckets during each stage's last backward: at most " +
         Seconds(tail) +
         " between a stage's last backward and its optimizer step, where the "
         "analytic model exposes " +
         Seconds(g.pieces.analytic.dp_exposed_s) + " of its " +
         Seconds(g.pieces.analytic.dp_comm_s) + " on the slowest stage";
}

}  // namespace

StepSimulation Summarise(const StepGraph& graph, const SimResult& result) {
  StepSimulation out;
  out.schedule = graph.schedule;
  out.features = graph.features;
  out.step_time_s = result.makespan_s;
  out.analytic_step_time_s = graph.pieces.analytic.step_time_s;
  out.analytic_bubble_s = graph.pieces.analytic.bubble_s;
  out.peak_activation_bytes = result.peak_memory_bytes;
  out.peak_activation_bytes.resize(graph.schedule.stages, 0.0);
  out.events = result.events;
  out.tasks = graph.graph.num_tasks();
  SummariseBubble(graph, result, &out);
  SummariseStreams(graph, result, &out);
  SummariseCriticalPath(graph, result, &out);
  return out;
}

StepSimulation StepSimulator::Simulate(const ModelSpec& m, const ClusterSpec& c,
                                       const ParallelConfig& p, const StepTimeOptions& o,
                                       const SimulateOptions& options) {
  const StepPieces pieces = ComputeStepPieces(m, c, p, o);
  const SimFeatures wanted = options.graph.features;
  // Cumulative feature sets: analytic, + stage costs, + overlap, + DP buckets (as requested).
  std::vector<std::pair<const char*, SimFeatures>> ladder;
  if (options.explain) {
    SimFeatures f = kAnalyticFeatures;
    ladder.push_back({"schedule", f});
    if (wanted.stage_costs) {
      f.stage_costs = true;
      ladder.push_back({"stage imbalance", f});
    }
    if (wanted.overlap_comm) {
      f.overlap_comm = true;
      ladder.push_back({"communication overlap", f});
    }
    if (wanted.dp_buckets) {
      f.dp_buckets = true;
      ladder.push_back({"DP buckets", f});
    }
  } else {
    ladder.push_back({"", wanted});
  }
  StepSimulation out;
  double previous_s = pieces.analytic.step_time_s;
  int32_t graphs = 0;
  int64_t events_total = 0;
  std::vector<DifferenceCause> causes;
  for (size_t i = 0; i < ladder.size(); ++i) {
    StepGraphOptions graph_options = options.graph;
    graph_options.features = ladder[i].second;
    BuildStepGraph(pieces, p, graph_options, &graph_);
    // The rungs before the last are measured by their makespan alone: no critical path walk or
    // memory replay for them.
    const bool final = i + 1 == ladder.size();
    if (graph_.error.empty()) engine_.Run(graph_.graph, {final, final}, &result_);
    const std::string& error = graph_.error.empty() ? result_.error : graph_.error;
    if (!error.empty()) {
      StepSimulation failed;
      failed.error = error;
      return failed;
    }
    ++graphs;
    events_total += result_.events;
    const double delta_s = result_.makespan_s - previous_s;
    previous_s = result_.makespan_s;
    // Only the final graph is reported (and "DP buckets", the only cause that reads the summary,
    // is always the last rung), so the earlier rungs skip the summary's interval sorting.
    if (final) out = Summarise(graph_, result_);
    if (!options.explain) continue;
    std::string detail;
    const std::string name = ladder[i].first;
    if (name == "schedule") detail = ScheduleDetail(graph_, delta_s);
    if (name == "stage imbalance") detail = StageDetail(pieces);
    if (name == "communication overlap") detail = OverlapDetail(graph_, p);
    if (name == "DP buckets") detail = BucketDetail(out, graph_, p);
    causes.push_back({name, delta_s, detail});
  }
  out.causes = std::move(causes);
  out.graphs = graphs;
  out.events_total = events_total;
  return out;
}

StepSimulation SimulateStep(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p,
                            const StepTimeOptions& o, const SimulateOptions& options,
                            StepGraph* graph_out, SimResult* result_out) {
  StepSimulator simulator;
  StepSimulation out = simulator.Simulate(m, c, p, o, options);
  if (graph_out) *graph_out = std::move(simulator.graph());
  if (result_out) *result_out = std::move(simulator.result());
  return out;
}

}  // namespace planner::sim
