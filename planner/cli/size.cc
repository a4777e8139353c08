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
#include "planner/cli/layout_flags.h"
#include "planner/cli/outlook_report.h"
#include "planner/cli/progress.h"
#include "planner/cli/size_report.h"
#include "planner/cli/stack_flags.h"
#include "planner/core/limits.h"
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

constexpr double kMinChinchillaUsd = 100;   // a few GPU-hours: below, N is a toy
constexpr double kMaxChinchillaUsd = 1e11;  // beyond any training run's budget
constexpr double kMaxBudgetUsd = 1e15;      // as `planner chinchilla --budget-usd`
constexpr double kMaxBatchTokens = 1e10;

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
    throw InputError("--" + flag, "must be in (0, 1], got " + SizeNumber(v));
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

SizeRequest ParseRequest(const po::variables_map& vm, bool chinchilla) {
  CheckCombinations(vm, chinchilla);
  SizeRequest r;
  r.stack = StackFromFlags(vm);
  if (chinchilla) {
    r.chinchilla_usd = SuffixedFlag(vm, "chinchilla-budget", kMaxChinchillaUsd, "10M");
    if (*r.chinchilla_usd < kMinChinchillaUsd) {
      throw InputError("--chinchilla-budget", "$" + SizeNumber(*r.chinchilla_usd) +
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
  r.max_gpus = PositiveFlag(vm, "max-gpus", kMaxGpus);
  r.max_gpus_is_default = vm["max-gpus"].defaulted();
  if (vm.count("gpus")) {
    r.gpu_counts = ParseGpuCounts(vm["gpus"].as<std::string>());
    r.max_gpus = 0;
    for (const GpuCountItem& item : r.gpu_counts->items) r.max_gpus = std::max(r.max_gpus, item.hi);
  }
  r.time_limit_s = TimeLimitFlag(vm);
  if (vm.count("dtype")) {
    r.dtype = EnumFlag<Dtype>(vm, "dtype", Choices(kDtypeNames, kTrainingDtypes));
    CheckStackDtypes(r.stack, {*r.dtype});
  }
  if (vm.count("global-batch")) r.global_batch = PositiveFlag(vm, "global-batch", kMaxGlobalBatch);
  if (vm.count("global-batch-tokens")) {
    r.batch_tokens = SuffixedFlag(vm, "global-batch-tokens", kMaxBatchTokens, "4M");
  }
  r.gpu_args = GpuArgs(vm);
  r.gpus_are_default = r.gpu_args.empty();
  r.outlook = ParseOutlookFlags(vm);
  return r;
}

// The default GPU types: every cluster preset whose GPU has a peak in --dtype, else a bf16 peak
// (V100 has none).
std::vector<std::string> DefaultGpuArgs(const SizeRequest& r) {
  std::vector<std::string> out;
  for (const std::string& name : PresetNames("clusters")) {
    if (LoadCluster(name).gpu.peak(r.dtype.value_or(Dtype::kBf16)) > 0) out.push_back(name);
  }
  return out;
}

SizeGpuType LoadGpuType(const std::string& arg, const SizeRequest& r,
                    const std::optional<ModelSpec>& model) {
  SizeGpuType g;
  g.arg = arg;
  std::error_code ec;
  if (!LooksLikePath(arg) && !FindPreset("clusters", arg) && !std::filesystem::exists(arg, ec)) {
    throw InputError("--gpu", "no cluster preset or file named '" + arg + "'" +
                                  DidYouMean(arg, PresetNames("clusters")) +
                                  "; `planner presets --kind clusters` lists them");
  }
  g.cluster = LoadCluster(arg);
  g.price_source = PriceSource(arg);
  g.pricing = ApplyOutlookFlags(r.outlook, &g.cluster);
  g.dtype = r.dtype.value_or(TrainingDtype(g.cluster.gpu));
  if (g.cluster.gpu.peak(g.dtype) <= 0) {
    if (r.dtype) {
      throw InputError("--dtype", UnsupportedDtypeText(g.dtype, g.cluster.gpu, arg));
    }
    throw InputError(arg, "GPU " + g.cluster.gpu.name + " lists no bf16 or fp16 peak_tflops");
  }
  if (r.gpu_counts) g.counts = GpuCountsFor(*r.gpu_counts, g.cluster.gpus_per_node, g.cluster.name);
  if (r.chinchilla_usd) {
    g.chinchilla = ChinchillaForBudget(*r.chinchilla_usd, g.cluster, g.chinchilla_mfu);
    if (!g.chinchilla) {
      throw InputError("--chinchilla-budget", "no compute-optimal model shape for $" +
                                                  SizeNumber(*r.chinchilla_usd) + " on " + arg +
                                                  " (is its price_per_gpu_hour_usd set?)");
    }
    g.model = g.chinchilla->shape;
    g.tokens = g.chinchilla->optimum.tokens;
  } else {
    g.model = *model;
    g.tokens = *r.tokens;
  }
  g.params = CountParams(g.model);
  g.band = StepBandFor(g.cluster, r.stack.name, g.model);
  g.mfu_ceiling = MeasuredMfuCeiling(g.cluster, g.dtype);
  g.global_batch = r.global_batch
                       ? *r.global_batch
                       : GlobalBatchForTokens(r.batch_tokens.value_or(kDefaultGlobalBatchTokens),
                                              g.model.seq_len);
  return g;
}

std::vector<SizeGpuType> LoadGpuTypes(const SizeRequest& r) {
  std::optional<ModelSpec> model;
  if (r.model_arg) model = LoadModel(*r.model_arg);
  std::vector<SizeGpuType> out;
  for (const std::string& arg : r.gpus_are_default ? DefaultGpuArgs(r) : r.gpu_args) {
    out.push_back(LoadGpuType(arg, r, model));
  }
  const bool any_node_fits = std::any_of(out.begin(), out.end(), [&](const SizeGpuType& g) {
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
void CostAgain(SizeGpuType* g) {
  for (SizingRow& row : g->sizing.rows) {
    if (!row.fits) continue;
    row.run = CostOfRun(g->tokens, g->global_batch, g->model.seq_len, row.step_time_s, row.gpus,
                        g->cluster.price_per_gpu_hour_usd);
  }
}

// Chooses N and D again at `mfu`. When the shape is the one swept, only the tokens change: the
// rows keep their step times and are costed again (true). Otherwise the new shape needs a sweep.
bool ChooseAgain(SizeGpuType* g, const SizeRequest& r, double mfu) {
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
void ConvergeMfu(SizeGpuType* g, const SizeRequest& r, const SizingRequest& req,
                 const SizingProgress& progress) {
  for (int sweeps = 1; !g->sizing.truncated; ++sweeps) {
    const SizingRow* cheapest = CheapestFit(g->sizing);
    if (!cheapest) return;
    g->mfu_gpus = cheapest->gpus;
    const double mfu = cheapest->mfu;
    if (std::abs(mfu - g->chinchilla_mfu) < kSizeMfuTolerance) return;
    if (sweeps == kSizeMaxChinchillaSweeps) {
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
void SpendBudget(SizeGpuType* g, double budget_usd) {
  const SizingRow* cheapest = CheapestFit(g->sizing);
  if (!cheapest || !(cheapest->run.cost_usd > 0)) return;
  g->tokens *= budget_usd / cheapest->run.cost_usd;
  CostAgain(g);
}

void SizeType(SizeGpuType* g, const SizeRequest& r, const SizingRequest& req,
              const SizingProgress& progress) {
  g->sizing = SizeOnCluster(g->model, g->cluster, req, progress);
  if (!r.chinchilla_usd) return;
  ConvergeMfu(g, r, req, progress);
  SpendBudget(g, *r.chinchilla_usd);
}

// Runs every sweep under one progress bar; returns the rows of all GPU types, in order.
std::vector<SizingRow> Sweep(std::vector<SizeGpuType>* types, const SizeRequest& r, bool quiet) {
  ProgressBar bar("planner size", quiet);
  const auto start = std::chrono::steady_clock::now();
  int64_t layouts = 0;
  std::vector<SizingRow> rows;
  const double n = static_cast<double>(types->size());
  for (size_t k = 0; k < types->size(); ++k) {
    SizeGpuType& g = (*types)[k];
    SizingRequest req;
    req.tokens = g.tokens;
    req.global_batch = g.global_batch;
    req.max_gpus = r.max_gpus;
    req.gpu_counts = g.counts;
    req.stack = r.stack;
    req.dtype = g.dtype;
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


// Each fitting row's goodput-adjusted figures replace its ideal ones, so the marks, the table and
// the messages use what the run is expected to take; the outlook keeps both.
SizeOutlooks ApplyOutlooks(const std::vector<SizeGpuType>& types, const StackSpec& stack,
                           std::vector<SizingRow>* rows) {
  SizeOutlooks out(rows->size());
  for (const SizeGpuType& g : types) {
    for (size_t i = g.first_row; i < g.first_row + g.sizing.rows.size(); ++i) {
      SizingRow& r = (*rows)[i];
      if (!r.fits) continue;
      ClusterSpec c = g.cluster;
      SetGpuCount(&c, r.gpus, FlagName(LayoutField::kGpus));
      out[i] = OutlookOfLayout(g.model, c, r.layout, stack, g.tokens, r.run.steps, r.step_time_s,
                               r.mfu, g.pricing, g.band);
      r.run.days = out[i]->expected.days;
      r.run.gpu_hours = out[i]->expected.gpu_hours;
      r.run.cost_usd = out[i]->expected.cost_usd;
    }
  }
  return out;
}

// Exit 1 with the nearest feasible alternative when the criteria leave nothing.
void FailIfNothingMeets(const SizeRequest& r, const std::vector<SizingRow>& rows,
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
    // More GPUs may be faster only when the fastest is its type's largest count searched.
    const size_t f = *m.fastest;
    const bool largest = f + 1 == rows.size() || rows[f + 1].cluster != rows[f].cluster;
    throw NoResult("nothing finishes within " + SizeNumber(*c.deadline_days) +
                   " days; fastest possible: " + SizeRowText(rows[f]) +
                   (largest ? "; more than " + Grouped(rows[f].gpus) + " GPUs may be faster"
                            : ""));
  }
  if (c.budget_usd && !m.fastest_within_budget) {
    throw NoResult("nothing trains within " + SizeDollars(*c.budget_usd) +
                   "; cheapest possible: " + SizeRowText(rows[*m.cheapest]));
  }
  if (c.deadline_days && c.budget_usd && !m.cheapest_meeting_both) {
    const SizingRow& on_time = rows[*m.cheapest_meeting_deadline];
    const SizingRow& in_budget = rows[*m.fastest_within_budget];
    throw NoResult("nothing meets both " + SizeNumber(*c.deadline_days) + " days and " +
                   SizeDollars(*c.budget_usd) + "; cheapest on time: " + SizeRowText(on_time) + ", " +
                   SizeDollars(on_time.run.cost_usd - *c.budget_usd) + " over; fastest in budget: " +
                   SizeRowText(in_budget) + ", " + Fixed(in_budget.run.days - *c.deadline_days, 1) +
                   " days late");
  }
}

void AddOptions(po::options_description* options) {
  AddStackOptions(options);
  // One option a line, as the --help it prints.
  // clang-format off
  options->add_options()
      ("tokens", po::value<std::string>(), "training tokens D, e.g. 1.4T or 300e9 (required "
                                           "unless --chinchilla-budget)")
      ("deadline-days", po::value<double>(), "mark the cheapest run finishing within this many days")
      ("budget-usd", po::value<std::string>(), "mark the fastest run costing at most this, e.g. 5M")
      ("gpu", po::value<std::vector<std::string>>()->composing(),
       "GPU type: cluster preset or file; repeat or comma-separate (default: every preset with "
       "a bf16 peak, or with a --dtype peak)")
      ("dtype", po::value<std::string>(),
       "compute dtype of every layout: bf16, fp16, fp8 or fp4 (NVFP4, Blackwell) (default: "
       "each GPU's 16-bit one)")
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
  // clang-format on
  AddOutlookOptions(options);
  AddTimeLimitOption(options);
  AddFormatOption(options);
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
  const std::optional<OutputFormat> format = ParseFormattedCommandLine(
      "size",
      "MODEL --tokens D [--deadline-days X] [--budget-usd Y] [--gpu TYPE ...] "
      "[--max-gpus N | --gpus COUNTS]\n       planner size --chinchilla-budget USD "
      "[--deadline-days X] [--gpu TYPE ...]\n\nSee docs/sizing.md.",
      options, chinchilla ? std::vector<std::string>{} : std::vector<std::string>{"model"}, args,
      &vm);
  if (!format) return 0;
  const SizeRequest request = ParseRequest(vm, chinchilla);
  std::vector<SizeGpuType> types = LoadGpuTypes(request);
  std::vector<SizingRow> rows =
      Sweep(&types, request, vm["quiet"].as<bool>() || *format != OutputFormat::kTable);
  const SizeOutlooks outlooks = ApplyOutlooks(types, request.stack, &rows);
  SizingMarks marks = MarkRows(rows, request.criteria);
  MarkAboveMeasuredMfu(types, rows, &marks);
  PrintSize(*format, types, request, rows, outlooks, marks);
  FailIfNothingMeets(request, rows, marks);
  return 0;
}

}  // namespace planner
