// planner size MODEL --tokens D [--deadline-days X] [--budget-usd Y] [--gpu TYPE ...]: which GPUs,
// how many, how long, how much. For each GPU type, whole-node counts on a grid from the smallest
// where a layout fits up to --max-gpus (or the counts --gpus lists), the plan search's fastest
// layout, the run's days, GPU-hours and cost; marks the cheapest run meeting the deadline, the
// fastest within the budget and the knee where adding GPUs stops paying, and says in one sentence
// which run it recommends and why. --chinchilla-budget picks N and D first, at the MFU the search
// then finds for that model (the MFU it prices with).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "planner/cli/command.h"
#include "planner/cli/gpu_counts.h"
#include "planner/cli/stack_flags.h"
#include "planner/cli/outlook_report.h"
#include "planner/cli/progress.h"
#include "planner/core/params.h"
#include "planner/core/sizing.h"
#include "planner/core/units.h"
#include "planner/io/cluster_io.h"
#include "planner/io/error_bands_io.h"
#include "planner/io/format.h"
#include "planner/io/input_error.h"
#include "planner/io/model_io.h"
#include "planner/io/presets.h"
#include "planner/io/runs_file_io.h"
#include "planner/io/suggest.h"

namespace planner {
namespace {

// --chinchilla-budget's first guess of MFU, as `planner chinchilla`'s default (well-tuned
// Megatron-LM runs of 100B+ models report 0.38-0.52); the search's MFU then replaces it.
constexpr double kFirstGuessMfu = 0.40;
// Choosing N again at the searched MFU converges when the two differ by less than this.
constexpr double kMfuTolerance = 0.005;
constexpr int kMaxChinchillaSweeps = 3;
constexpr double kMinChinchillaUsd = 100;   // a few GPU-hours: below, N is a toy
constexpr double kMaxChinchillaUsd = 1e11;  // beyond any training run's budget
constexpr double kMaxBudgetUsd = 1e15;      // as `planner chinchilla --budget-usd`
constexpr double kMaxBatchTokens = 1e10;
constexpr int64_t kMaxGpusLimit = int64_t{1} << 22;

struct Request {
  std::optional<std::string> model_arg;
  std::optional<double> tokens;
  std::optional<double> chinchilla_usd;
  std::optional<int64_t> global_batch;  // sequences
  std::optional<double> batch_tokens;   // else kDefaultGlobalBatchTokens
  SizingCriteria criteria;
  int64_t max_gpus = kDefaultMaxGpus;
  std::optional<GpuCountSpec> gpu_counts;  // --gpus
  double time_limit_s = kDefaultTimeLimit_s;  // for all GPU types together
  std::vector<std::string> gpu_args;
  bool gpus_are_default = true;
  bool knee_is_default = true;
  bool max_gpus_is_default = true;
  OutlookFlags outlook;
  StackSpec stack;  // --stack (default kDefaultStack): prices and restricts every layout
};

// One GPU type: its cluster, the model and tokens sized on it, and the sweep.
struct GpuType {
  std::string arg;
  ClusterSpec cluster;
  std::string price_source;
  PricingClass pricing;  // --pricing on this cluster
  ErrorBand band;        // its step-time band
  ModelSpec model;
  ParamCount params;
  double tokens = 0;
  int64_t global_batch = 0;
  std::optional<ChinchillaSizing> chinchilla;
  double chinchilla_mfu = kFirstGuessMfu;  // the MFU `chinchilla` was chosen at
  int64_t mfu_gpus = 0;     // the count of the cheapest run, whose planned MFU that is (0: none)
  bool mfu_converged = true;
  std::vector<int64_t> counts;  // --gpus on this type; empty: the node grid
  ClusterSizing sizing;
  size_t first_row = 0;  // of its rows in the flat list MarkRows sees
};

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.8g", v);
  return buf;
}

std::string Dollars(double usd) { return "$" + GroupedRound(usd); }

double SuffixedFlag(const po::variables_map& vm, const std::string& flag, double max_value,
                    const std::string& example) {
  const std::string text = vm[flag].as<std::string>();
  const std::optional<double> v = ParseSuffixedNumber(text);
  if (!v) {
    throw InputError("--" + flag, "must be a positive number such as " + example + ", got '" +
                                      text + "'");
  }
  if (*v > max_value) {
    throw InputError("--" + flag, "'" + text + "' is implausibly large (limit " +
                                      Sci(max_value, 1) + ")");
  }
  return *v;
}

double FractionFlag(const po::variables_map& vm, const std::string& flag) {
  const double v = vm[flag].as<double>();
  if (!(v > 0 && v <= 1)) {
    throw InputError("--" + flag, "must be in (0, 1], got " + Number(v));
  }
  return v;
}

// Flags that make no sense together are input errors, named by the flag to drop.
void CheckCombinations(const po::variables_map& vm, bool chinchilla) {
  if (chinchilla) {
    if (vm.count("tokens")) {
      throw InputError("--tokens", "not with --chinchilla-budget, which picks the tokens");
    }
    if (vm.count("budget-usd")) {
      throw InputError("--budget-usd",
                       "not with --chinchilla-budget, which is the budget the marks use");
    }
  } else {
    if (!vm.count("tokens")) {
      throw InputError("--tokens", "is required (training tokens, e.g. 1.4T), unless "
                                   "--chinchilla-budget picks them");
    }
  }
  if (vm.count("mfu")) {
    throw InputError("--mfu", "size takes the MFU from its layout search, the one it prices "
                              "with; `planner chinchilla --mfu` sizes at an assumed MFU");
  }
  if (vm.count("gpus") && !vm["max-gpus"].defaulted()) {
    throw InputError("--max-gpus", "not with --gpus, which lists the counts");
  }
  if (vm.count("global-batch") && vm.count("global-batch-tokens")) {
    throw InputError("--global-batch", "give --global-batch (sequences) or --global-batch-tokens, "
                                       "not both");
  }
}

std::vector<std::string> GpuArgs(const po::variables_map& vm) {
  std::vector<std::string> out;
  if (!vm.count("gpu")) return out;
  for (const std::string& list : vm["gpu"].as<std::vector<std::string>>()) {
    size_t start = 0;
    while (start <= list.size()) {
      const size_t comma = std::min(list.find(',', start), list.size());
      const std::string name = list.substr(start, comma - start);
      if (name.empty()) throw InputError("--gpu", "empty GPU type in '" + list + "'");
      if (std::find(out.begin(), out.end(), name) != out.end()) {
        throw InputError("--gpu", "'" + name + "' is listed twice");
      }
      out.push_back(name);
      start = comma + 1;
    }
  }
  return out;
}

Request ParseRequest(const po::variables_map& vm, bool chinchilla) {
  CheckCombinations(vm, chinchilla);
  Request r;
  r.stack = StackFromFlags(vm);
  if (chinchilla) {
    r.chinchilla_usd = SuffixedFlag(vm, "chinchilla-budget", kMaxChinchillaUsd, "10M");
    if (*r.chinchilla_usd < kMinChinchillaUsd) {
      throw InputError("--chinchilla-budget", "$" + Number(*r.chinchilla_usd) +
                                                  " buys a few GPU-hours at most (minimum $100)");
    }
  } else {
    r.model_arg = vm["model"].as<std::string>();
    r.tokens = SuffixedFlag(vm, "tokens", 1e17, "1.4T");
    if (*r.tokens < 1e3) throw InputError("--tokens", "is implausibly small (limit 1e+03)");
  }
  if (vm.count("deadline-days")) r.criteria.deadline_days = PositiveDoubleFlag(vm, "deadline-days");
  if (vm.count("budget-usd")) {
    r.criteria.budget_usd = SuffixedFlag(vm, "budget-usd", kMaxBudgetUsd, "5M");
  }
  r.criteria.knee_efficiency = FractionFlag(vm, "knee-efficiency");
  r.knee_is_default = vm["knee-efficiency"].defaulted();
  r.max_gpus = PositiveFlag(vm, "max-gpus", kMaxGpusLimit);
  r.max_gpus_is_default = vm["max-gpus"].defaulted();
  if (vm.count("gpus")) {
    r.gpu_counts = ParseGpuCounts(vm["gpus"].as<std::string>());
    r.max_gpus = 0;
    for (const GpuCountItem& item : r.gpu_counts->items) r.max_gpus = std::max(r.max_gpus, item.hi);
  }
  r.time_limit_s = TimeLimitFlag(vm);
  if (vm.count("global-batch")) r.global_batch = PositiveFlag(vm, "global-batch", int64_t{1} << 30);
  if (vm.count("global-batch-tokens")) {
    r.batch_tokens = SuffixedFlag(vm, "global-batch-tokens", kMaxBatchTokens, "4M");
  }
  r.gpu_args = GpuArgs(vm);
  r.gpus_are_default = r.gpu_args.empty();
  r.outlook = ParseOutlookFlags(vm);
  return r;
}

// The default GPU types: every cluster preset whose GPU has a bf16 peak (V100 has none).
std::vector<std::string> DefaultGpuArgs() {
  std::vector<std::string> out;
  for (const std::string& name : PresetNames("clusters")) {
    if (LoadCluster(name).gpu.peak(Dtype::kBf16) > 0) out.push_back(name);
  }
  return out;
}

GpuType LoadGpuType(const std::string& arg, const Request& r,
                    const std::optional<ModelSpec>& model) {
  GpuType g;
  g.arg = arg;
  std::error_code ec;
  const bool path = arg.find('/') != std::string::npos || arg.ends_with(".yaml") ||
                    arg.ends_with(".yml");
  if (!path && !FindPreset("clusters", arg) && !std::filesystem::exists(arg, ec)) {
    throw InputError("--gpu", "no cluster preset or file named '" + arg + "'" +
                                  DidYouMean(arg, PresetNames("clusters")) +
                                  "; `planner presets --kind clusters` lists them");
  }
  g.cluster = LoadCluster(arg);
  g.price_source = PriceSource(arg);
  g.pricing = ApplyOutlookFlags(r.outlook, &g.cluster);
  g.band = StepBandFor(g.cluster, r.stack.name);
  if (g.cluster.gpu.peak(TrainingDtype(g.cluster.gpu)) <= 0) {
    throw InputError(arg, "GPU " + g.cluster.gpu.name + " lists no bf16 or fp16 peak_tflops");
  }
  if (r.gpu_counts) g.counts = GpuCountsFor(*r.gpu_counts, g.cluster.gpus_per_node, g.cluster.name);
  if (r.chinchilla_usd) {
    g.chinchilla = ChinchillaForBudget(*r.chinchilla_usd, g.cluster, g.chinchilla_mfu);
    if (!g.chinchilla) {
      throw InputError("--chinchilla-budget", "no compute-optimal model shape for $" +
                                                  Number(*r.chinchilla_usd) + " on " + arg +
                                                  " (is its price_per_gpu_hour_usd set?)");
    }
    g.model = g.chinchilla->shape;
    g.tokens = g.chinchilla->optimum.tokens;
  } else {
    g.model = *model;
    g.tokens = *r.tokens;
  }
  g.params = CountParams(g.model);
  g.global_batch = r.global_batch
                       ? *r.global_batch
                       : GlobalBatchForTokens(r.batch_tokens.value_or(kDefaultGlobalBatchTokens),
                                              g.model.seq_len);
  return g;
}

std::vector<GpuType> LoadGpuTypes(const Request& r) {
  std::optional<ModelSpec> model;
  if (r.model_arg) model = LoadModel(*r.model_arg);
  std::vector<GpuType> out;
  for (const std::string& arg : r.gpus_are_default ? DefaultGpuArgs() : r.gpu_args) {
    out.push_back(LoadGpuType(arg, r, model));
  }
  const bool any_node_fits = std::any_of(out.begin(), out.end(), [&](const GpuType& g) {
    return g.cluster.gpus_per_node <= r.max_gpus;
  });
  if (!any_node_fits) {
    throw InputError("--max-gpus", std::to_string(r.max_gpus) +
                                       " is less than one node of every GPU type (" +
                                       std::to_string(out.front().cluster.gpus_per_node) +
                                       " GPUs on " + out.front().cluster.name + ")");
  }
  return out;
}

// The cheapest fitting run of a sweep: the one whose planned MFU --chinchilla-budget sizes at.
const SizingRow* CheapestFit(const ClusterSizing& s) {
  const SizingRow* best = nullptr;
  for (const SizingRow& row : s.rows) {
    if (row.fits && (!best || row.run.cost_usd < best->run.cost_usd)) best = &row;
  }
  return best;
}

// The rows' run costs for g->tokens (step times unchanged).
void CostAgain(GpuType* g) {
  for (SizingRow& row : g->sizing.rows) {
    if (!row.fits) continue;
    row.run = CostOfRun(g->tokens, g->global_batch, g->model.seq_len, row.step_time_s, row.gpus,
                        g->cluster.price_per_gpu_hour_usd);
  }
}

// Chooses N and D again at `mfu`. When the shape is the one swept, only the tokens change: the
// rows keep their step times and are costed again (true). Otherwise the new shape needs a sweep.
bool ChooseAgain(GpuType* g, const Request& r, double mfu) {
  std::optional<ChinchillaSizing> next = ChinchillaForBudget(*r.chinchilla_usd, g->cluster, mfu);
  if (!next) return true;
  const bool same_shape =
      next->shape.n_layers == g->model.n_layers && next->shape.d_model == g->model.d_model;
  g->chinchilla = next;
  g->chinchilla_mfu = mfu;
  g->tokens = next->optimum.tokens;
  if (!same_shape) {
    g->model = next->shape;
    g->params = CountParams(g->model);
    return false;
  }
  CostAgain(g);
  return true;
}

// One GPU type's sweep. With --chinchilla-budget, N was chosen at a guessed MFU: it is chosen
// again at the MFU the search plans for the cheapest run, until the two agree, so the model is
// chosen and priced at one MFU.
void ConvergeMfu(GpuType* g, const Request& r, const SizingRequest& req,
                 const SizingProgress& progress) {
  for (int sweeps = 1; !g->sizing.truncated; ++sweeps) {
    const SizingRow* cheapest = CheapestFit(g->sizing);
    if (!cheapest) return;
    g->mfu_gpus = cheapest->gpus;
    const double mfu = cheapest->mfu;
    if (std::abs(mfu - g->chinchilla_mfu) < kMfuTolerance) return;
    if (sweeps == kMaxChinchillaSweeps) {
      g->mfu_converged = false;
      return;
    }
    if (ChooseAgain(g, r, mfu)) return;
    g->sizing = SizeOnCluster(g->model, g->cluster, req, progress);
    CostAgain(g);  // req has the first guess's tokens
  }
}

// The model chosen trains on the tokens the budget buys on its cheapest run (ideal cost, before
// failures), so that run costs the budget. That is D_opt scaled by 6ND's cost over the planned
// cost: the plan counts attention FLOPs and the shape's exact N, which 6 N_opt D leaves out.
void SpendBudget(GpuType* g, double budget_usd) {
  const SizingRow* cheapest = CheapestFit(g->sizing);
  if (!cheapest || !(cheapest->run.cost_usd > 0)) return;
  g->tokens *= budget_usd / cheapest->run.cost_usd;
  CostAgain(g);
}

void SizeType(GpuType* g, const Request& r, const SizingRequest& req,
              const SizingProgress& progress) {
  g->sizing = SizeOnCluster(g->model, g->cluster, req, progress);
  if (!r.chinchilla_usd) return;
  ConvergeMfu(g, r, req, progress);
  SpendBudget(g, *r.chinchilla_usd);
}

// Runs every sweep under one progress bar; returns the rows of all GPU types, in order.
std::vector<SizingRow> Sweep(std::vector<GpuType>* types, const Request& r, bool quiet) {
  ProgressBar bar("planner size", quiet);
  const auto start = std::chrono::steady_clock::now();
  int64_t layouts = 0;
  std::vector<SizingRow> rows;
  const double n = static_cast<double>(types->size());
  for (size_t k = 0; k < types->size(); ++k) {
    GpuType& g = (*types)[k];
    SizingRequest req;
    req.tokens = g.tokens;
    req.global_batch = g.global_batch;
    req.max_gpus = r.max_gpus;
    req.gpu_counts = g.counts;
    req.stack = r.stack;
    // The time limit is shared out: each GPU type gets an even part of what is left.
    if (r.time_limit_s > 0) {
      const std::chrono::duration<double> used = std::chrono::steady_clock::now() - start;
      req.time_limit_s = std::max(1e-3, (r.time_limit_s - used.count()) / (n - k));
    }
    // The bar wants (done, total) in layouts; scale what is done by the fraction behind us.
    SizeType(&g, r, req, [&](double f, int64_t done) {
      const double fraction = (static_cast<double>(k) + f) / n;
      if (fraction > 0) bar.Update(layouts + done, static_cast<int64_t>((layouts + done) / fraction));
    });
    layouts += g.sizing.layouts_searched;
    g.first_row = rows.size();
    rows.insert(rows.end(), g.sizing.rows.begin(), g.sizing.rows.end());
    if (g.sizing.truncated) {
      std::cerr << "planner size: " << g.cluster.name << ": stopped at --time-limit (shared by "
                << "the GPU types) after " << Grouped(g.sizing.layouts_searched)
                << " layouts; its largest GPU counts are missing or partly searched\n";
    }
  }
  return rows;
}

using Outlooks = std::vector<std::optional<Outlook>>;

// Each fitting row's goodput-adjusted figures replace its ideal ones, so the marks, the table and
// the messages use what the run is expected to take; the outlook keeps both.
Outlooks ApplyOutlooks(const std::vector<GpuType>& types, std::vector<SizingRow>* rows) {
  Outlooks out(rows->size());
  for (const GpuType& g : types) {
    for (size_t i = g.first_row; i < g.first_row + g.sizing.rows.size(); ++i) {
      SizingRow& r = (*rows)[i];
      if (!r.fits) continue;
      ClusterSpec c = g.cluster;
      SetGpuCount(&c, r.gpus);
      out[i] = OutlookOfLayout(g.model, c, r.layout, g.tokens, r.run.steps, r.step_time_s, r.mfu,
                               g.pricing, g.band);
      r.run.days = out[i]->expected.days;
      r.run.gpu_hours = out[i]->expected.gpu_hours;
      r.run.cost_usd = out[i]->expected.cost_usd;
    }
  }
  return out;
}

// The row the outlook block describes: the one the criteria pick, else the cheapest.
std::optional<size_t> OutlookRow(const SizingMarks& m) {
  if (m.cheapest_meeting_both) return m.cheapest_meeting_both;
  if (m.cheapest_meeting_deadline) return m.cheapest_meeting_deadline;
  if (m.fastest_within_budget) return m.fastest_within_budget;
  return m.cheapest;
}

std::vector<std::string> MarksOf(size_t i, const SizingMarks& m) {
  std::vector<std::string> out;
  if (m.cheapest_meeting_both == i) out.push_back("cheapest meeting both");
  if (m.cheapest_meeting_deadline == i) out.push_back("cheapest on time");
  if (m.fastest_within_budget == i) out.push_back("fastest in budget");
  if (std::find(m.knees.begin(), m.knees.end(), i) != m.knees.end()) out.push_back("knee");
  return out;
}

std::string Join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string s;
  for (size_t i = 0; i < parts.size(); ++i) s += (i ? sep : "") + parts[i];
  return s;
}

std::string Describe(const SizingRow& row) {
  return row.fits ? planner::Describe(row.layout)
                  : std::string("no layout fits (mostly: ") + ToString(row.top_rejection) + ")";
}

// Keys as in the JSON (gpu_types[].cluster, model.name, tokens; rows[]).
Table RowsTable(const std::vector<GpuType>& types, const std::vector<SizingRow>& rows,
                const Outlooks& outlooks, const SizingMarks& marks) {
  Table t;
  t.columns = {{"GPU type", false, "cluster"}, {"model", false, "name", Shown::kData},
               {"tokens", true, "tokens", Shown::kData}, {"GPUs", true, "gpus"},
               {"layout", false, "describe"}, {"step (s)", true, "step_time_s"},
               {"MFU", true, "mfu"}, {"tokens/s/GPU", true, "tokens_per_s_per_gpu"},
               {"days"}, {"ideal days", true, "ideal_days"}, {"goodput"},
               {"GPU-hours", true, "gpu_hours"}, {"cost (USD)", true, "cost_usd"},
               {"ideal cost", true, "ideal_cost_usd"}, {"scaling", true, "scaling_efficiency"},
               {"marginal", true, "marginal_efficiency"}, {"mark", false, "marks"}};
  for (const GpuType& g : types) {
    if (&g != &types.front()) t.AddRule();
    for (size_t i = g.first_row; i < g.first_row + g.sizing.rows.size(); ++i) {
      const SizingRow& r = rows[i];
      std::vector<Cell> row = {g.cluster.name, g.model.name, Cell(HumanCount(g.tokens), g.tokens),
                               Cell(Grouped(r.gpus), static_cast<double>(r.gpus)), Describe(r)};
      if (!r.fits) {
        row.resize(t.columns.size());
      } else {
        const Outlook& o = *outlooks[i];
        const auto num = [](std::string text, double v) { return Cell(std::move(text), v); };
        row.insert(row.end(),
                   {num(Fixed(r.step_time_s, 2), r.step_time_s), num(Percent(r.mfu), r.mfu),
                    num(GroupedRound(r.tokens_per_s_per_gpu), r.tokens_per_s_per_gpu),
                    num(DaysText(r.run.days), r.run.days), num(DaysText(o.ideal.days), o.ideal.days),
                    num(Percent(o.goodput.goodput), o.goodput.goodput),
                    num(GroupedRound(r.run.gpu_hours), r.run.gpu_hours),
                    num(GroupedRound(r.run.cost_usd), r.run.cost_usd),
                    num(GroupedRound(o.ideal.cost_usd), o.ideal.cost_usd),
                    num(Percent(r.scaling_efficiency, 0), r.scaling_efficiency),
                    r.marginal_efficiency
                        ? num(Percent(*r.marginal_efficiency, 0), *r.marginal_efficiency)
                        : Cell(),
                    Join(MarksOf(i, marks), "; ")});
      }
      t.AddRow(std::move(row));
    }
  }
  return t;
}

std::string RowText(const SizingRow& r) {
  return Grouped(r.gpus) + " x " + r.cluster + ": " + DaysText(r.run.days) + " days, " +
         Dollars(r.run.cost_usd) + " (" + planner::Describe(r.layout) + ")";
}

// Why the outlook row is the one to buy, as the end of the choice sentence.
std::string ChoiceReason(const Request& r, const std::vector<SizingRow>& rows,
                         const SizingMarks& m) {
  const SizingCriteria& c = r.criteria;
  if (m.cheapest_meeting_both) {
    return "the cheapest run that finishes within " + Number(*c.deadline_days) +
           " days and costs at most " + Dollars(*c.budget_usd);
  }
  if (m.cheapest_meeting_deadline) {
    return "the cheapest run that finishes within " + Number(*c.deadline_days) + " days";
  }
  if (m.fastest_within_budget) {
    return "the fastest run that costs at most " + Dollars(*c.budget_usd);
  }
  const size_t fitting = std::count_if(rows.begin(), rows.end(),
                                       [](const SizingRow& row) { return row.fits; });
  if (r.chinchilla_usd) {
    return "the cheapest run, the one " + Dollars(*r.chinchilla_usd) +
           " pays for before failures (larger counts cost more)";
  }
  if (fitting == 1) {
    return r.gpu_counts && rows.size() == 1 ? "the count asked for (--gpus)"
                                            : "the only count that fits of those searched";
  }
  return "the cheapest run searched (no --deadline-days or --budget-usd to trade cost for time)";
}

// One sentence: the run recommended and why; empty when nothing fits.
std::string ChoiceSentence(const Request& r, const std::vector<SizingRow>& rows,
                           const SizingMarks& m) {
  const std::optional<size_t> i = OutlookRow(m);
  if (!i) return "";
  return "Choice: " + RowText(rows[*i]) + ", " + ChoiceReason(r, rows, m) + ".";
}

// Which GPU counts were searched, in words.
std::string CountsText(const Request& r) {
  if (r.gpu_counts) return "GPU counts " + r.gpu_counts->text + " (--gpus)";
  return "whole nodes 1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, ... up to " +
         Grouped(r.max_gpus) + " GPUs";
}

std::string Title(const std::vector<GpuType>& types, const Request& r) {
  const GpuType& g = types.front();
  const std::string batch = Grouped(g.global_batch) + " x " + Grouped(g.model.seq_len) + " tokens";
  if (r.chinchilla_usd) {
    return "Sizing the Chinchilla-optimal model for " + Dollars(*r.chinchilla_usd) +
           " on each GPU type (table above); batch " + batch + "; " + CountsText(r);
  }
  return "Sizing " + g.model.name + " (" + HumanCount(static_cast<double>(g.params.total)) +
         " parameters) for " + HumanCount(g.tokens) + " tokens: batch " + batch + "; " +
         CountsText(r);
}

Table ChinchillaTable(const std::vector<GpuType>& types, const Request& r) {
  Table t;
  t.title = "Chinchilla approach 3 optimum for " + Dollars(*r.chinchilla_usd) +
            " per GPU type, at the MFU planned for its cheapest run";
  t.columns = {{"GPU type", false}, {"$/GPU-h"}, {"MFU"},   {"at GPUs"},
               {"GPU-hours"},        {"C (FLOPs)"}, {"N_opt"}, {"D_opt"},
               {"shape", false},     {"N (shape)"}, {"D (trained)"}};
  for (const GpuType& g : types) {
    const ChinchillaSizing& c = *g.chinchilla;
    t.AddRow({g.cluster.name, Fixed(g.cluster.price_per_gpu_hour_usd, 2),
              Fixed(g.chinchilla_mfu, 3), g.mfu_gpus ? Grouped(g.mfu_gpus) : "-",
              GroupedRound(c.gpu_hours), Sci(c.flops), HumanCount(c.optimum.params),
              HumanCount(c.optimum.tokens),
              std::to_string(g.model.n_layers) + " x " + std::to_string(g.model.d_model),
              HumanCount(static_cast<double>(g.params.total)), HumanCount(g.tokens)});
  }
  return t;
}

std::vector<std::string> ChinchillaNotes(const std::vector<GpuType>& types, const Request& r) {
  if (!r.chinchilla_usd) return {};
  std::vector<std::string> notes = {
      "C = budget / price x 3,600 s x dense peak x MFU, the MFU the layout search plans for the "
      "cheapest run of the model chosen (N chosen first at " +
          Fixed(kFirstGuessMfu, 2) + ", then again at the planned MFU until the two agree within " +
          Fixed(kMfuTolerance, 3) + "); N_opt, D_opt: Chinchilla approach 3 (" +
          Info(ScalingFit::kChinchillaApproach3).source + ")",
      "shape: Chinchilla 70B's d_model / n_layers = 102.4, n_layers a multiple of 8, d_model "
      "a multiple of 1,024 nearest N_opt, head_dim 128, d_ff 4 d_model, GELU, RMSNorm, tied "
      "32,000-token embeddings, 2,048-token context, rotary positions (docs/sizing.md)",
      "D (trained): the tokens " + Dollars(*r.chinchilla_usd) +
          " buys on the cheapest run (ideal cost, before failures), near D_opt: the plan also "
          "counts attention FLOPs and the shape's exact N; each row is priced at its own planned "
          "MFU, so larger counts cost more"};
  for (const GpuType& g : types) {
    if (!g.mfu_converged) {
      notes.push_back(g.cluster.name + ": the planned MFU still moved after " +
                      std::to_string(kMaxChinchillaSweeps) + " sweeps; N was chosen at " +
                      Fixed(g.chinchilla_mfu, 3));
    }
  }
  return notes;
}

std::vector<std::string> Notes(const std::vector<GpuType>& types, const Request& r,
                               const std::vector<SizingRow>& rows, const SizingMarks& m) {
  std::vector<std::string> notes;
  if (m.cheapest_meeting_both) {
    notes.push_back("cheapest run meeting both: " + RowText(rows[*m.cheapest_meeting_both]));
  }
  if (m.cheapest_meeting_deadline) {
    notes.push_back("cheapest run within " + Number(*r.criteria.deadline_days) + " days: " +
                    RowText(rows[*m.cheapest_meeting_deadline]));
  }
  if (m.fastest_within_budget) {
    notes.push_back("fastest run within " + Dollars(*r.criteria.budget_usd) + ": " +
                    RowText(rows[*m.fastest_within_budget]));
  }
  std::vector<std::string> knees;
  for (size_t i : m.knees) knees.push_back(rows[i].cluster + " at " + Grouped(rows[i].gpus));
  notes.push_back("knee (the largest count reached by steps that each buy at least " +
                  Percent(r.criteria.knee_efficiency, 0) + " of the ideal extra throughput" +
                  (r.knee_is_default ? ", default threshold; --knee-efficiency" : "") +
                  ", when a larger count was not): " + (knees.empty() ? "none" : Join(knees, ", ")));
  notes.push_back("scaling = tokens/s per GPU over that at the type's smallest count; marginal = "
                  "extra tokens/s per extra GPU over tokens/s per GPU at the previous count");
  notes.push_back(std::string(r.gpus_are_default
                                  ? "GPU types: every cluster preset with a bf16 peak (default; "
                                    "--gpu to choose)"
                                  : "GPU types: from --gpu") +
                  "; counts: " + CountsText(r) +
                  (r.gpu_counts ? ""
                   : r.max_gpus_is_default ? " (default; --max-gpus, or --gpus to list counts)"
                                           : " (--max-gpus)"));
  for (const GpuType& g : types) {
    std::string line = g.cluster.name + " (" + g.cluster.gpu.name + ", " +
                       ToString(TrainingDtype(g.cluster.gpu)) + "): $" +
                       Fixed(g.cluster.price_per_gpu_hour_usd, 2) + "/GPU-h, " + g.price_source;
    if (g.sizing.rows.empty()) {
      line += "; no layout fits at " + (r.gpu_counts ? "the --gpus counts" : "up to " + Grouped(r.max_gpus) + " GPUs");
    } else if (!g.sizing.counts_too_small.empty()) {
      const std::vector<int64_t>& small = g.sizing.counts_too_small;
      line += "; nothing fits at " + Grouped(small.front()) +
              (small.size() > 1 ? "-" + Grouped(small.back()) : "") + " GPUs";
    }
    notes.push_back(line);
  }
  const double requested = r.batch_tokens.value_or(kDefaultGlobalBatchTokens);
  notes.push_back(r.global_batch
                      ? "batch: --global-batch sequences"
                      : "batch: the power-of-two number of sequences nearest " +
                            HumanCount(requested) + " tokens / seq_len" +
                            (r.batch_tokens ? "" : " (default 4M tokens, Llama 2's)") +
                            ", fixed across GPU counts so every run trains the same way");
  for (std::string& n : ChinchillaNotes(types, r)) notes.push_back(std::move(n));
  notes.push_back("ideal days = D / (batch x seq_len) steps x step time / 86,400; days = ideal "
                  "days / goodput; GPU-hours = days x 24 x GPUs; cost = GPU-hours x price; put "
                  "your own price in a copy of the cluster file and pass it to --gpu");
  notes.push_back(OutlookAssumptions(types.front().cluster));
  return notes;
}

nlohmann::ordered_json RowRef(const std::vector<SizingRow>& rows, std::optional<size_t> i) {
  if (!i) return nullptr;
  return {{"cluster", rows[*i].cluster}, {"gpus", rows[*i].gpus}};
}

nlohmann::ordered_json RowJson(const SizingRow& r, const std::optional<Outlook>& o, size_t i,
                               const SizingMarks& m) {
  nlohmann::ordered_json j = {{"gpus", r.gpus}, {"fits", r.fits}};
  if (!r.fits) {
    j["reason"] = ToString(r.top_rejection);
    return j;
  }
  const ParallelConfig& l = r.layout;
  j["layout"] = {{"describe", planner::Describe(l)}, {"dp", l.dp}, {"tp", l.tp}, {"pp", l.pp},
                 {"cp", l.cp}, {"ep", l.ep}, {"vpp", l.vpp}, {"micro_batch", l.micro_batch},
                 {"zero", l.zero}, {"recompute", ToString(l.recompute)}, {"sp", l.sp},
                 {"dtype", ToString(l.dtype)}};
  j["step_time_s"] = r.step_time_s;
  j["mfu"] = r.mfu;
  j["tokens_per_s_per_gpu"] = r.tokens_per_s_per_gpu;
  j["steps"] = r.run.steps;
  j["days"] = r.run.days;
  j["gpu_hours"] = r.run.gpu_hours;
  j["cost_usd"] = r.run.cost_usd;
  j["ideal_days"] = o->ideal.days;
  j["ideal_cost_usd"] = o->ideal.cost_usd;
  j["goodput"] = o->goodput.goodput;
  j["scaling_efficiency"] = r.scaling_efficiency;
  j["marginal_efficiency"] =
      r.marginal_efficiency ? nlohmann::ordered_json(*r.marginal_efficiency) : nullptr;
  j["marks"] = MarksOf(i, m);
  j["outlook"] = OutlookJson(*o);
  return j;
}

nlohmann::ordered_json GpuTypeJson(const GpuType& g, const std::vector<SizingRow>& rows,
                                   const Outlooks& outlooks, const SizingMarks& m) {
  nlohmann::ordered_json rs = nlohmann::ordered_json::array();
  for (size_t i = g.first_row; i < g.first_row + g.sizing.rows.size(); ++i) {
    rs.push_back(RowJson(rows[i], outlooks[i], i, m));
  }
  nlohmann::ordered_json j = {
      {"cluster", g.cluster.name}, {"gpu", g.cluster.gpu.name},
      {"dtype", ToString(TrainingDtype(g.cluster.gpu))},
      {"price_per_gpu_hour_usd", g.cluster.price_per_gpu_hour_usd},
      {"price_source", g.price_source},
      {"model", {{"name", g.model.name}, {"params", CountJson(g.params.total)},
                 {"n_layers", g.model.n_layers}, {"d_model", g.model.d_model},
                 {"seq_len", g.model.seq_len}}},
      {"tokens", g.tokens}, {"global_batch", g.global_batch}};
  if (g.chinchilla) {
    const ChinchillaSizing& c = *g.chinchilla;
    j["chinchilla"] = {{"mfu", g.chinchilla_mfu},
                       {"mfu_gpus", g.mfu_gpus},
                       {"mfu_converged", g.mfu_converged},
                       {"gpu_hours", c.gpu_hours}, {"flops", c.flops},
                       {"params_opt", c.optimum.params}, {"tokens_opt", c.optimum.tokens}};
  } else {
    j["chinchilla"] = nullptr;
  }
  j["counts_too_small"] = g.sizing.counts_too_small;
  j["rows"] = rs;
  return j;
}

nlohmann::ordered_json SizeJson(const std::vector<GpuType>& types, const Request& r,
                                const std::vector<SizingRow>& rows, const Outlooks& outlooks,
                                const SizingMarks& m) {
  nlohmann::ordered_json ts = nlohmann::ordered_json::array();
  for (const GpuType& g : types) ts.push_back(GpuTypeJson(g, rows, outlooks, m));
  nlohmann::ordered_json knees = nlohmann::ordered_json::array();
  for (size_t i : m.knees) knees.push_back(RowRef(rows, i));
  const auto opt = [](std::optional<double> v) {
    return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
  };
  return {{"schema_version", 1},
          {"criteria", {{"deadline_days", opt(r.criteria.deadline_days)},
                        {"budget_usd", opt(r.criteria.budget_usd)},
                        {"chinchilla_budget_usd", opt(r.chinchilla_usd)},
                        {"gpu_counts", r.gpu_counts ? nlohmann::ordered_json(r.gpu_counts->text)
                                                    : nlohmann::ordered_json(nullptr)},
                        {"knee_efficiency", r.criteria.knee_efficiency},
                        {"max_gpus", r.max_gpus}}},
          {"marks", {{"cheapest_meeting_deadline", RowRef(rows, m.cheapest_meeting_deadline)},
                     {"fastest_within_budget", RowRef(rows, m.fastest_within_budget)},
                     {"cheapest_meeting_both", RowRef(rows, m.cheapest_meeting_both)},
                     {"cheapest", RowRef(rows, m.cheapest)},
                     {"fastest", RowRef(rows, m.fastest)},
                     {"knees", knees}}},
          {"pricing", r.outlook.pricing},
          {"outlook_row", RowRef(rows, OutlookRow(m))},
          {"choice", ChoiceSentence(r, rows, m)},
          {"gpu_types", ts},
          {"truncated", std::any_of(types.begin(), types.end(),
                                    [](const GpuType& g) { return g.sizing.truncated; })},
          {"notes", Notes(types, r, rows, m)}};
}

// Exit 1 with the nearest feasible alternative when the criteria leave nothing.
void FailIfNothingMeets(const Request& r, const std::vector<SizingRow>& rows,
                        const SizingMarks& m) {
  if (!m.cheapest) {
    throw NoResult(r.gpu_counts
                       ? "no layout fits on any GPU type at --gpus " + r.gpu_counts->text +
                             "; try larger counts or GPUs with more memory"
                       : "no layout fits on any GPU type at up to " + Grouped(r.max_gpus) +
                             " GPUs; raise --max-gpus or choose GPUs with more memory");
  }
  const SizingCriteria& c = r.criteria;
  if (c.deadline_days && !m.cheapest_meeting_deadline) {
    throw NoResult("nothing finishes within " + Number(*c.deadline_days) +
                   " days; fastest possible: " + RowText(rows[*m.fastest]) +
                   (rows[*m.fastest].gpus * 2 <= r.max_gpus ? ""
                                                            : "; more than " +
                                                                  Grouped(r.max_gpus) +
                                                                  " GPUs may be faster"));
  }
  if (c.budget_usd && !m.fastest_within_budget) {
    throw NoResult("nothing trains within " + Dollars(*c.budget_usd) +
                   "; cheapest possible: " + RowText(rows[*m.cheapest]));
  }
  if (c.deadline_days && c.budget_usd && !m.cheapest_meeting_both) {
    const SizingRow& on_time = rows[*m.cheapest_meeting_deadline];
    const SizingRow& in_budget = rows[*m.fastest_within_budget];
    throw NoResult("nothing meets both " + Number(*c.deadline_days) + " days and " +
                   Dollars(*c.budget_usd) + "; cheapest on time: " + RowText(on_time) + ", " +
                   Dollars(on_time.run.cost_usd - *c.budget_usd) + " over; fastest in budget: " +
                   RowText(in_budget) + ", " + Fixed(in_budget.run.days - *c.deadline_days, 1) +
                   " days late");
  }
}

void AddOptions(po::options_description* options) {
  AddStackOptions(options);
  options->add_options()
      ("tokens", po::value<std::string>(), "training tokens D, e.g. 1.4T or 300e9 (required "
                                           "unless --chinchilla-budget)")
      ("deadline-days", po::value<double>(), "mark the cheapest run finishing within this many days")
      ("budget-usd", po::value<std::string>(), "mark the fastest run costing at most this, e.g. 5M")
      ("gpu", po::value<std::vector<std::string>>()->composing(),
       "GPU type: cluster preset or file; repeat or comma-separate (default: every preset with "
       "a bf16 peak)")
      ("max-gpus", po::value<int64_t>()->default_value(kDefaultMaxGpus),
       "largest GPU count to try (whole nodes on a grid: 1, 2, 3, 4, 5, 6, 8, 10, 12, 16, ... "
       "nodes)")
      ("gpus", po::value<std::string>(),
       "GPU counts to size at instead: N, a list N,M,..., a range LO-HI (the grid's counts in "
       "it and both ends) or LO-HI:STEP (STEP in nodes), e.g. 2560, 2048,2560,3072, 1024-4096")
      ("global-batch", po::value<int64_t>(), "sequences per step (default: 4M tokens, rounded)")
      ("global-batch-tokens", po::value<std::string>(),
       "tokens per step, rounded to a power-of-two number of sequences (default 4M)")
      ("knee-efficiency", po::value<double>()->default_value(kDefaultKneeEfficiency, "0.80"),
       "marginal scaling efficiency below which adding GPUs stops paying")
      ("chinchilla-budget", po::value<std::string>(),
       "US dollars: size Chinchilla approach 3's optimal N and D for this budget on each GPU "
       "type (no MODEL, no --tokens)")
      ("mfu", po::value<std::string>(), "not for size (see `planner chinchilla --mfu`)")
      ("quiet", po::bool_switch(), "no progress bar on stderr");
  AddOutlookOptions(options);
  AddTimeLimitOption(options);
  AddFormatOption(options);
}

void Print(OutputFormat format, const std::vector<GpuType>& types, const Request& r,
           const std::vector<SizingRow>& rows, const Outlooks& outlooks,
           const SizingMarks& marks) {
  switch (format) {
    case OutputFormat::kJson:
      std::cout << SizeJson(types, r, rows, outlooks, marks).dump(2) << "\n";
      break;
    case OutputFormat::kCsv:
      RenderCsv(RowsTable(types, rows, outlooks, marks), std::cout);
      break;
    case OutputFormat::kTable: {
      if (r.chinchilla_usd) {
        RenderText(ChinchillaTable(types, r), std::cout);
        std::cout << "\n";
      }
      Table t = RowsTable(types, rows, outlooks, marks);
      t.title = Title(types, r);
      t.notes = Notes(types, r, rows, marks);
      RenderText(t, std::cout);
      if (const std::string choice = ChoiceSentence(r, rows, marks); !choice.empty()) {
        std::cout << "\n" << choice << "\n";
      }
      if (const std::optional<size_t> i = OutlookRow(marks)) {
        const std::vector<std::string> why = MarksOf(*i, marks);
        std::cout << "\nOutlook of " << Grouped(rows[*i].gpus) << " x " << rows[*i].cluster
                  << " (" << (why.empty() ? "the cheapest" : Join(why, ", ")) << "):\n";
        for (const std::string& line : OutlookLines(*outlooks[*i])) {
          std::cout << "  " << line << "\n";
        }
        for (const GpuType& g : types) {
          if (g.cluster.name != rows[*i].cluster) continue;
          for (const std::string& w :
               PredictionWarnings(g.cluster, rows[*i].mfu, rows[*i].layout.dtype)) {
            std::cout << "warning: " << w << "\n";
          }
        }
      }
      break;
    }
  }
}

}  // namespace

int RunSize(const std::vector<std::string>& args) {
  po::options_description options("planner size options");
  AddOptions(&options);
  const bool chinchilla = HasFlag(args, "--chinchilla-budget");
  if (chinchilla) {
    if (const std::optional<std::string> model = FirstPositional(args, options)) {
      throw InputError("--chinchilla-budget", "derives the model from the budget: drop MODEL ('" +
                                                  *model + "')");
    }
  }
  po::variables_map vm;
  if (!ParseCommandLine("size",
                        "MODEL --tokens D [--deadline-days X] [--budget-usd Y] [--gpu TYPE ...] "
                        "[--max-gpus N | --gpus COUNTS]\n       planner size --chinchilla-budget USD "
                        "[--deadline-days X] [--gpu TYPE ...]\n\nSee docs/sizing.md.",
                        options, chinchilla ? std::vector<std::string>{}
                                            : std::vector<std::string>{"model"},
                        args, &vm)) {
    return 0;
  }
  const OutputFormat format = FormatFlag(vm);
  const Request request = ParseRequest(vm, chinchilla);
  std::vector<GpuType> types = LoadGpuTypes(request);
  std::vector<SizingRow> rows =
      Sweep(&types, request, vm["quiet"].as<bool>() || format != OutputFormat::kTable);
  const Outlooks outlooks = ApplyOutlooks(types, &rows);
  const SizingMarks marks = MarkRows(rows, request.criteria);
  Print(format, types, request, rows, outlooks, marks);
  FailIfNothingMeets(request, rows, marks);
  return 0;
}

}  // namespace planner
