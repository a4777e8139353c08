// planner simulate CLUSTER MODEL [layout flags] [--schedule S] [--mode M] [--trace FILE]: one
// layout's training step run through the discrete-event simulator (planner/sim/): step time,
// pipeline bubble, per-stream utilisation, the critical path, peak in-flight activations, and the
// difference from the analytic estimate split into its causes; --trace writes Chrome trace-event
// JSON for Perfetto (ui.perfetto.dev).

#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "planner/cli/command.h"
#include "planner/cli/layout_flags.h"
#include "planner/cli/report.h"
#include "planner/cli/stack_flags.h"
#include "planner/core/memory.h"
#include "planner/core/units.h"
#include "planner/io/cluster_io.h"
#include "planner/io/emit.h"
#include "planner/io/format.h"
#include "planner/io/input_error.h"
#include "planner/io/model_io.h"
#include "planner/io/output_file.h"
#include "planner/sim/step_sim.h"
#include "planner/sim/trace.h"

namespace planner {
namespace {

using nlohmann::ordered_json;
using sim::ScheduleKind;

struct Simulated {
  const ModelSpec& model;
  const ClusterSpec& cluster;
  const ParallelConfig& layout;
  std::string mode;
  sim::StepSimulation step;
  double memory_model_activation_bytes = 0;  // stage 0, from the memory model
  double wall_s = 0;                         // build + simulate, all graphs
  std::string trace_path;
  double cpu_s = 0;  // process CPU time of the same (events per CPU-second: PERFORMANCE.md)
};

// --schedule takes the simulator's five schedules here; the layout (memory model and analytic
// bubble) reads it as gpipe, dualpipe or 1f1b, so the value it sees is rewritten before
// LayoutFromFlags.
std::optional<ScheduleKind> ScheduleFlag(po::variables_map* vm) {
  const std::string got = (*vm)["schedule"].as<std::string>();
  std::optional<ScheduleKind> kind;
  if (!(*vm)["schedule"].defaulted()) {
    kind = sim::ParseScheduleKind(got);
    if (!kind) {
      FailEnumFlag("schedule", got, {"gpipe", "1f1b", "interleaved-1f1b", "zb-h1", "dualpipe"});
    }
  }
  vm->at("schedule").value() = std::string(kind == ScheduleKind::kGpipe      ? "gpipe"
                                           : kind == ScheduleKind::kDualPipe ? "dualpipe"
                                                                             : "1f1b");
  return kind;
}

// An upper bound (EstimateTasks; real graphs are ~4x smaller): beyond it a graph takes seconds
// and gigabytes, so any input stays quick.
constexpr double kMaxTasks = 2e7;

void CheckScheduleFits(const ModelSpec& m, const ParallelConfig& p, ScheduleKind kind,
                       bool per_layer) {
  if (auto error = sim::CheckSchedule(p, kind)) {
    const bool chunks = p.vpp > 1 && kind != ScheduleKind::kInterleaved1F1B;
    throw InputError(chunks ? "--schedule" : "--global-batch", *error);
  }
  const double tasks = sim::EstimateTasks(m, p, kind, per_layer);
  if (tasks <= kMaxTasks) return;
  const std::string size =
      "up to " + HumanCount(tasks) + " tasks (the limit is " + HumanCount(kMaxTasks) + ")";
  if (per_layer && sim::EstimateTasks(m, p, kind, false) <= kMaxTasks) {
    throw InputError("--granularity", "one task per layer needs " + size +
                                          "; --granularity op simulates one per pipeline op");
  }
  throw InputError("--global-batch",
                   std::to_string(p.grad_accum()) + " micro-batches per step need " + size);
}

std::string Secs(double s) { return Fixed(s, 4); }

// Differences that round to nothing print as +0.0000, never -0.0000.
std::string Signed(double s) {
  if (std::abs(s) < 5e-5) s = 0;
  return (s >= 0 ? "+" : "") + Fixed(s, 4);
}

std::string Heading(const Simulated& r) {
  const sim::ScheduleSpec& s = r.step.schedule;
  return r.model.name + " on " + r.cluster.name + " x " + std::to_string(r.layout.gpus()) +
         " GPUs (" + r.cluster.gpu.name + "): " + Describe(r.layout) + ", " +
         ToString(r.layout.dtype) + "\nschedule " + sim::ToString(s.kind) + " (" +
         std::to_string(s.stages) + " stages, " + std::to_string(s.microbatches) +
         (s.microbatches > 1 ? " micro-batches, " : " micro-batch, ") + std::to_string(s.chunks) +
         " chunk" + (s.chunks > 1 ? "s" : "") + " per stage), mode " + r.mode + "\n";
}

// One figure: `key` is its path in the JSON (list entries by name: streams.compute.mean), the
// CSV's key column; the value is a number in CSV and JSON, as the text table shows it otherwise.
struct Row {
  std::string section, item, key;
  Cell value;
  std::string unit, note;
};

double PeakActivationGiB(const sim::StepSimulation& s) {
  return BytesToGiB(s.peak_activation_bytes.empty() ? 0 : s.peak_activation_bytes[0]);
}

std::vector<Row> SummaryRows(const Simulated& r) {
  const sim::StepSimulation& s = r.step;
  const double diff = s.step_time_s - s.analytic_step_time_s;
  std::vector<Row> rows = {
      {"step", "step time (simulated)", "step_time_s", Cell(Secs(s.step_time_s), s.step_time_s),
       "s", ""},
      {"step", "step time (analytic)", "analytic_step_time_s",
       Cell(Secs(s.analytic_step_time_s), s.analytic_step_time_s), "s", "planner explain"},
      {"step", "difference", "difference_s", Cell(Signed(diff), diff), "s",
       Percent(diff / s.analytic_step_time_s, 2) + " of the analytic estimate"},
      {"step", "pipeline phase", "pipeline_s", Cell(Secs(s.pipeline_s), s.pipeline_s), "s",
       "to the last micro-batch task"},
      {"step", "bubble", "bubble_s", Cell(Secs(s.bubble_s), s.bubble_s), "s",
       Percent(s.bubble_fraction, 2) + " of the pipeline phase (mean over stages); analytic " +
           Secs(s.analytic_bubble_s) + " s"},
      {"step", "peak activations, stage 0", "peak_activation_GiB_stage0",
       FixedCell(PeakActivationGiB(s), 2), "GiB",
       "memory model: " + Fixed(BytesToGiB(r.memory_model_activation_bytes), 2) + " GiB"}};
  for (const sim::DifferenceCause& c : s.causes) {
    rows.push_back({"difference", c.cause, "causes." + c.cause + ".delta_s",
                    Cell(Signed(c.delta_s), c.delta_s), "s", c.detail});
  }
  return rows;
}

std::vector<Row> StreamRows(const Simulated& r) {
  std::vector<Row> rows;
  for (const sim::StreamUtilisation& u : r.step.streams) {
    rows.push_back({"utilisation", u.stream, "streams." + u.stream + ".mean",
                    PercentCell(u.mean, 1), "busy/step",
                    std::to_string(u.resources) + " tracks; min " + Percent(u.min, 1) + ", max " +
                        Percent(u.max, 1) +
                        (u.max_stage >= 0 ? " (stage " + std::to_string(u.max_stage) + ")" : "")});
  }
  return rows;
}

std::vector<Row> CriticalPathRows(const Simulated& r) {
  const sim::CriticalPathSummary& cp = r.step.critical_path;
  std::vector<Row> rows;
  for (int i = 0; i < sim::kNumTaskCategories; ++i) {
    if (cp.seconds[i] <= 0) continue;
    const std::string category = sim::ToString(static_cast<sim::TaskCategory>(i));
    rows.push_back({"critical path", category, "critical_path.seconds." + category,
                    Cell(Secs(cp.seconds[i]), cp.seconds[i]), "s",
                    Percent(cp.seconds[i] / r.step.step_time_s, 1) + " of the step"});
  }
  rows.push_back({"critical path", "tasks", "critical_path.tasks",
                  Cell(std::to_string(cp.tasks), static_cast<double>(cp.tasks)), "",
                  std::to_string(cp.stage_changes) + " hops between stages"});
  return rows;
}

std::vector<Row> AllRows(const Simulated& r) {
  std::vector<Row> all = SummaryRows(r);
  for (auto* f : {StreamRows, CriticalPathRows}) {
    for (Row& row : f(r)) all.push_back(std::move(row));
  }
  return all;
}

void PrintText(const Simulated& r, std::ostream& out) {
  out << Heading(r) << "\n";
  std::vector<SectionRow> rows;
  for (const Row& row : AllRows(r))
    rows.push_back({row.section, row.item, row.value, row.unit, row.note});
  RenderSections(rows, out);
  const double rate = r.cpu_s > 0 ? r.step.events_total / r.cpu_s : 0;
  out << Grouped(r.step.tasks) << " tasks, " << Grouped(r.step.events) << " events; "
      << r.step.graphs << " graph" << (r.step.graphs > 1 ? "s" : "") << " built and simulated in "
      << Fixed(r.wall_s, 3) << " s, " << Fixed(r.cpu_s, 3) << " s of CPU (" << Si(rate)
      << "events per CPU-second with graph building)\n";
  if (!r.trace_path.empty()) {
    out << "trace: " << r.trace_path << " (open in ui.perfetto.dev or chrome://tracing)\n";
  }
}

// One row per figure, keyed by its path in the JSON; fractions as fractions.
Table CsvTable(const Simulated& r) {
  Table t;
  t.columns = {{"key", false},  {"section", false}, {"item", false},
               {"value"},       {"unit", false},    {"note", false}};
  for (const Row& row : AllRows(r)) {
    t.AddRow({row.key, row.section, row.item, row.value, row.unit, row.note});
  }
  return t;
}

ordered_json Json(const Simulated& r) {
  const sim::StepSimulation& s = r.step;
  ordered_json causes = ordered_json::array(), streams = ordered_json::array();
  for (const sim::DifferenceCause& c : s.causes) {
    causes.push_back({{"cause", c.cause}, {"delta_s", c.delta_s}, {"detail", c.detail}});
  }
  for (const sim::StreamUtilisation& u : s.streams) {
    streams.push_back({{"stream", u.stream},
                       {"tracks", u.resources},
                       {"busy_s", u.busy_s},
                       {"mean", u.mean},
                       {"min", u.min},
                       {"max", u.max},
                       {"max_stage", u.max_stage}});
  }
  ordered_json path = ordered_json::object();
  for (int i = 0; i < sim::kNumTaskCategories; ++i) {
    path[sim::ToString(static_cast<sim::TaskCategory>(i))] = s.critical_path.seconds[i];
  }
  return {{"schema_version", 1},
          {"model", r.model.name},
          {"cluster", r.cluster.name},
          {"gpus", r.layout.gpus()},
          {"layout", LayoutJson(r.layout)},
          {"schedule", sim::ToString(s.schedule.kind)},
          {"chunks", s.schedule.chunks},
          {"mode", r.mode},
          {"step_time_s", s.step_time_s},
          {"analytic_step_time_s", s.analytic_step_time_s},
          {"difference_s", s.step_time_s - s.analytic_step_time_s},
          {"causes", causes},
          {"pipeline_s", s.pipeline_s},
          {"bubble_s", s.bubble_s},
          {"bubble_fraction", s.bubble_fraction},
          {"analytic_bubble_s", s.analytic_bubble_s},
          {"stage_bubble_s", s.stage_bubble_s},
          {"stage_tail_s", s.stage_tail_s},
          {"peak_activation_bytes", s.peak_activation_bytes},
          {"memory_model_activation_bytes_stage0", r.memory_model_activation_bytes},
          {"peak_activation_GiB_stage0", PeakActivationGiB(s)},
          {"streams", streams},
          {"critical_path",
           {{"seconds", path},
            {"stage_seconds", s.critical_path.stage_seconds},
            {"tasks", s.critical_path.tasks},
            {"stage_changes", s.critical_path.stage_changes}}},
          {"tasks", s.tasks},
          {"events", s.events},
          {"trace", r.trace_path.empty() ? ordered_json() : ordered_json(r.trace_path)}};
}

// The whole trace is built in memory and renamed into place, so a full disk, a Ctrl-C or a second
// run writing the same path never leaves a truncated JSON; the specs read are never overwritten.
void WriteTrace(const std::string& path, const sim::StepGraph& g, const sim::SimResult& result,
                const std::vector<std::string>& inputs) {
  std::ostringstream out;
  sim::WriteChromeTrace(g.graph, result, out);
  WriteOutputFile("--trace", path, out.str(), inputs);
}

}  // namespace

int RunSimulate(const std::vector<std::string>& args) {
  po::options_description options("planner simulate options");
  AddLayoutOptions(&options);
  AddStackOptions(&options);
  options.add_options()(
      "mode", po::value<std::string>()->default_value("overlap"),
      "overlap: per-stage costs, communication beside compute, DP buckets during backward; "
      "analytic: the analytic model's composition (agrees with explain)")(
      "granularity", po::value<std::string>()->default_value("layer"),
      "tasks per layer, or per pipeline op (smaller traces)")(
      "trace", po::value<std::string>(), "write Chrome trace-event JSON here (Perfetto)");
  AddFormatOption(&options);
  po::variables_map vm;
  const std::optional<OutputFormat> format = ParseFormattedCommandLine(
      "simulate",
      "CLUSTER MODEL [layout flags] [--schedule gpipe|1f1b|interleaved-1f1b|"
      "zb-h1|dualpipe] [--mode overlap|analytic] [--trace FILE] [--format F]",
      options, {"cluster", "model"}, args, &vm);
  if (!format) return 0;
  const bool overlap = EnumFlag<bool>(vm, "mode", {{"overlap", true}, {"analytic", false}});
  const bool per_layer = EnumFlag<bool>(vm, "granularity", {{"layer", true}, {"op", false}});
  const std::optional<ScheduleKind> kind = ScheduleFlag(&vm);
  const LayoutInputs in = LayoutInputsFromFlags(vm);
  const ModelSpec& m = in.model;
  const ClusterSpec& c = in.cluster;
  const ParallelConfig& p = in.layout;
  const StackSpec& stack = in.stack;
  CheckScheduleFits(m, p, kind.value_or(sim::DefaultSchedule(p)), per_layer);

  const StepTimeOptions o = StackOptions(stack, c);
  sim::SimulateOptions so;
  so.graph.schedule = kind;
  so.graph.features = overlap ? sim::kOverlapFeatures : sim::kAnalyticFeatures;
  so.graph.per_layer = per_layer;
  sim::StepGraph graph;
  sim::SimResult result;
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  Simulated r{m, c, p, overlap ? "overlap" : "analytic",
              sim::SimulateStep(m, c, p, o, so, &graph, &result), 0, 0, ""};
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.cpu_s = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  if (!r.step.error.empty()) throw InputError("--schedule", r.step.error);
  r.memory_model_activation_bytes =
      InflightLayerMicrobatches(m, p) * LayerActivationBytes(m, p, o.memory);
  if (vm.count("trace")) {
    r.trace_path = vm["trace"].as<std::string>();
    WriteTrace(r.trace_path, graph, result,
               {vm["model"].as<std::string>(), vm["cluster"].as<std::string>()});
  }
  Emit(*format, {[&] { return Json(r); }, [&] { return CsvTable(r); },
                 [&](std::ostream& out) {
                   out << StackLine(vm, stack) << "\n";
                   for (const std::string& n : in.notes) out << "note: " << n << "\n";
                   PrintText(r, out);
                 }});
  // A layout that does not fit is simulated and shown, and said so (exit 1).
  const MemoryBreakdown mem = EstimateMemory(m, c, p, o.memory);
  if (const std::string text = DoesNotFitText(mem, c, p); !text.empty()) {
    std::cerr << "planner simulate: " << text << "\n";
    return 1;
  }
  return 0;
}

}  // namespace planner
