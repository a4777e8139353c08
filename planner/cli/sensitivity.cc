// planner sensitivity MODEL --tokens D [--gpu TYPE] [--gpus N] [--deadline-days X]: which inputs
// move a run's expected days and dollars most. Picks the run as `planner size` would on one GPU
// type (the cheapest meeting the deadline, else the fastest within the budget, else the cheapest;
// or the count --gpus names), then moves one input at a time to a low and a high setting with the
// layout fixed (core/sensitivity.h) and ranks them: a table, CSV, or JSON for
// scripts/plot_tornado.py.
#include "planner/core/sensitivity.h"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "planner/cli/command.h"
#include "planner/cli/layout_flags.h"
#include "planner/cli/outlook_report.h"
#include "planner/cli/stack_flags.h"
#include "planner/core/limits.h"
#include "planner/core/sizing.h"
#include "planner/io/cluster_io.h"
#include "planner/io/emit.h"
#include "planner/io/format.h"
#include "planner/io/input_error.h"
#include "planner/io/model_io.h"
#include "planner/io/runs_file_io.h"
#include "planner/io/table.h"

namespace planner {
namespace {

struct Chosen {
  SizingRow row;
  std::string why;
};

// The run to perturb, by the criteria `planner size` uses, on expected (goodput-adjusted) days,
// among the layouts `stack` runs, priced as it prices them.
Chosen ChooseRun(const ModelSpec& m, const ClusterSpec& c, double tokens, int64_t batch,
                 std::optional<int64_t> gpus, const SizingCriteria& criteria, int64_t max_gpus,
                 const PricingClass& pricing, const StackSpec& stack) {
  SizingRequest req;
  req.stack = stack;
  req.tokens = tokens;
  req.global_batch = batch;
  req.max_gpus = gpus.value_or(max_gpus);
  if (gpus) {
    if (*gpus % c.gpus_per_node != 0) {
      throw InputError("--gpus", std::to_string(*gpus) + " is not a whole number of " +
                                     std::to_string(c.gpus_per_node) + "-GPU nodes of " + c.name);
    }
    req.gpu_counts = {*gpus};
  }
  ClusterSizing s = SizeOnCluster(m, c, req);
  std::vector<SizingRow> rows;
  for (SizingRow& r : s.rows) {
    if (!r.fits || (gpus && r.gpus != *gpus)) continue;
    ClusterSpec sized = c;
    SetGpuCount(&sized, r.gpus, FlagName(LayoutField::kGpus));
    const Outlook o = OutlookOfLayout(m, sized, r.layout, stack, tokens, r.run.steps, r.step_time_s,
                                      r.mfu, pricing, ErrorBand{});
    r.run.days = o.expected.days;
    r.run.cost_usd = o.expected.cost_usd;
    rows.push_back(r);
  }
  if (rows.empty()) {
    throw NoResult(gpus
                       ? "no layout fits " + m.name + " on " + std::to_string(*gpus) + " GPUs of " +
                             c.name + " (`planner plan` says why)"
                       : "no layout fits " + m.name + " on " + c.name + " up to " +
                             std::to_string(max_gpus) + " GPUs; raise --max-gpus");
  }
  const SizingMarks marks = MarkRows(rows, criteria);
  if (marks.cheapest_meeting_both)
    return {rows[*marks.cheapest_meeting_both], "cheapest meeting both"};
  if (marks.cheapest_meeting_deadline) {
    return {rows[*marks.cheapest_meeting_deadline], "cheapest within the deadline"};
  }
  if (marks.fastest_within_budget) return {rows[*marks.fastest_within_budget], "fastest in budget"};
  return {rows[*marks.cheapest], gpus ? "--gpus" : "cheapest (no criteria met or given)"};
}

// Keys as in the JSON's inputs[].
Table InputsTable(const SensitivityResult& r) {
  Table t;
  t.columns = {{"rank"},
               {"input", false, "name"},
               {"low", false},
               {"high", false},
               {"low factor", true, "low_factor", Shown::kData},
               {"high factor", true, "high_factor", Shown::kData},
               {"days (low)", true, "days_low"},
               {"days (high)", true, "days_high"},
               {"swing (days)", true, "days_swing"},
               {"cost (low)", true, "usd_low"},
               {"cost (high)", true, "usd_high"},
               {"swing (USD)", true, "usd_swing"}};
  int rank = 0;
  for (const SensitivityInput& s : r.inputs) {
    ++rank;
    t.AddRow({Cell(std::to_string(rank), rank), s.name, s.low, s.high,
              Cell("", s.low_factor), Cell("", s.high_factor),
              Cell(DaysText(s.days_low), s.days_low), Cell(DaysText(s.days_high), s.days_high),
              FixedCell(s.days_swing(), 2), Cell(UsdText(s.usd_low), s.usd_low),
              Cell(UsdText(s.usd_high), s.usd_high), Cell(UsdText(s.usd_swing()), s.usd_swing())});
  }
  return t;
}

nlohmann::ordered_json SensitivityJson(const ModelSpec& m, const ClusterSpec& c, double tokens,
                                       const std::string& stack, const Chosen& chosen,
                                       const SensitivityResult& r) {
  nlohmann::ordered_json inputs = nlohmann::ordered_json::array();
  for (const SensitivityInput& s : r.inputs) {
    inputs.push_back({{"rank", inputs.size() + 1},
                      {"name", s.name},
                      {"low", s.low},
                      {"high", s.high},
                      {"low_factor", s.low_factor},
                      {"high_factor", s.high_factor},
                      {"days_low", s.days_low},
                      {"days_high", s.days_high},
                      {"days_swing", s.days_swing()},
                      {"usd_low", s.usd_low},
                      {"usd_high", s.usd_high},
                      {"usd_swing", s.usd_swing()}});
  }
  return {{"schema_version", 1},
          {"model", m.name},
          {"cluster", c.name},
          {"stack", stack},
          {"tokens", tokens},
          {"gpus", chosen.row.gpus},
          {"chosen_by", chosen.why},
          {"layout", Describe(chosen.row.layout)},
          {"step_time_s", r.step_time_s},
          {"base", OutlookJson(r.base)},
          {"inputs", inputs}};
}

}  // namespace

int RunSensitivity(const std::vector<std::string>& args) {
  po::options_description options("planner sensitivity options");
  options.add_options()("tokens", po::value<std::string>(),
                        "training tokens D, e.g. 15T (required)")(
      "gpu", po::value<std::string>()->default_value("dgx-h100"),
      "GPU type: cluster preset or file")(
      "gpus", po::value<int64_t>(), "GPU count to study (default: chosen as `planner size` would)")(
      "deadline-days", po::value<double>(), "choose the cheapest run finishing within this")(
      "budget-usd", po::value<double>(), "choose the fastest run costing at most this")(
      "max-gpus", po::value<int64_t>()->default_value(kDefaultMaxGpus),
      "largest GPU count to try (whole nodes: 1, 2, 3, 4, 5, 6, 8, 10, 12, 16, ... nodes)");
  AddStackOptions(&options);
  AddOutlookOptions(&options);
  AddFormatOption(&options);
  po::variables_map vm;
  const std::optional<OutputFormat> format =
      ParseFormattedCommandLine("sensitivity",
                                "MODEL --tokens D [--gpu TYPE] [--gpus N] [--deadline-days X] "
                                "[--budget-usd Y] [--stack S]\n\nSee docs/goodput.md.",
                                options, {"model"}, args, &vm);
  if (!format) return 0;
  if (!vm.count("tokens")) throw InputError("--tokens", "is required (training tokens, e.g. 15T)");
  const double tokens = ParseQuantity("tokens", vm["tokens"].as<std::string>());
  if (tokens < 1e3 || tokens > 1e17) {
    throw InputError("--tokens", "must lie between 1e3 and 1e17 tokens");
  }
  SizingCriteria criteria;
  if (vm.count("deadline-days")) criteria.deadline_days = PositiveDoubleFlag(vm, "deadline-days");
  if (vm.count("budget-usd")) criteria.budget_usd = PositiveDoubleFlag(vm, "budget-usd");
  std::optional<int64_t> gpus;
  if (vm.count("gpus")) gpus = PositiveFlag(vm, "gpus", kMaxGpus);
  const int64_t max_gpus = PositiveFlag(vm, "max-gpus", kMaxGpus);

  const ModelSpec m = LoadModel(vm["model"].as<std::string>());
  ClusterSpec c = LoadCluster(vm["gpu"].as<std::string>());
  const StackSpec stack = StackFromFlags(vm);
  const PricingClass pricing = ApplyOutlookFlags(ParseOutlookFlags(vm), &c);
  const int64_t batch = GlobalBatchForTokens(kDefaultGlobalBatchTokens, m.seq_len);
  const Chosen chosen = ChooseRun(m, c, tokens, batch, gpus, criteria, max_gpus, pricing, stack);
  ClusterSpec sized = c;
  SetGpuCount(&sized, chosen.row.gpus, FlagName(LayoutField::kGpus));
  const SensitivityResult r =
      Sensitivity(m, sized, chosen.row.layout,
                  {tokens, chosen.row.run.steps, pricing, StackOptions(stack, sized)});

  Emit(*format,
       {[&] { return SensitivityJson(m, c, tokens, stack.name, chosen, r); },
        [&] { return InputsTable(r); },
        [&](std::ostream& out) {
          out << StackLine(vm, stack) << "\n";
          Table t = InputsTable(r);
          t.title = "What moves " + m.name + " (" + HumanCount(tokens) + " tokens) on " +
                    Grouped(chosen.row.gpus) + " x " + c.name + " (" + chosen.why + "; " +
                    Describe(chosen.row.layout) + "): expected " + DaysText(r.base.expected.days) +
                    " days, " + UsdText(r.base.expected.cost_usd);
          t.notes = {
              "ranked by the swing in expected (goodput-adjusted) days, then dollars; one "
              "input at a time, the layout fixed, step time recomputed for network and GEMM "
              "changes",
              "ranges: network bandwidth (every level and fitted collective) x0.5-x2; "
              "efficiency.gemm_max x0.8-x1.2; MFU x0.8-x1.2 (step time / factor); failure "
              "rate the cluster's P10-P90 factors; checkpoint bandwidth x0.25-x4; restart "
              "time x0.5-x2; GPU price x0.5-x1.5 (docs/goodput.md)",
              "plot: planner sensitivity ... --format json > s.json && "
              "scripts/plot_tornado.py s.json -o tornado.png"};
          RenderText(t, out);
        }});
  return 0;
}

}  // namespace planner
