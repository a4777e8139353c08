// planner compare RUNS.yaml | --run NAME:MODEL:TOKENS[:CLUSTER[:GPUS[:DTYPE]]] ...: candidate
// training runs side by side. Scaling: parameters, tokens, tokens per parameter, FLOPs (6ND and the
// exact per-matmul count), PF-days and the loss each fit predicts. On the cluster: the fastest
// layout the plan search finds, its step time and MFU, and the run's wall-clock days, GPU-hours and
// cost.
#include <algorithm>
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
#include "planner/cli/progress.h"
#include "planner/cli/stack_flags.h"
#include "planner/core/params.h"
#include "planner/core/scaling_laws.h"
#include "planner/core/search.h"
#include "planner/core/sizing.h"
#include "planner/core/step_time.h"
#include "planner/core/units.h"
#include "planner/io/emit.h"
#include "planner/io/error_bands_io.h"
#include "planner/io/format.h"
#include "planner/io/input_error.h"
#include "planner/io/runs_file_io.h"

namespace planner {
namespace {

// Everything one row of the comparison shows.
struct RunResult {
  const CompareRun& in;
  ParamCount params;
  ComparedRun laws;
  double exact_flops = 0;   // per-matmul forward + backward, full attention, as MFU counts
  SearchResult search;      // the fastest few
  RunCost cost;             // with the best plan, when there is one: goodput-adjusted
  std::optional<Outlook> outlook;  // ... with the ideal figures, goodput, energy and bands

  const Plan* best() const { return FastestPlan(search); }
};

std::vector<CompareRun> ReadRuns(const po::variables_map& vm) {
  CompareDefaults flags;
  flags.cluster_option = "--cluster";
  flags.gpus_option = FlagName(LayoutField::kGpus);
  flags.run_option = "--run";
  if (vm.count("cluster")) flags.cluster = vm["cluster"].as<std::string>();
  if (vm.count("gpus")) flags.gpus = vm["gpus"].as<int64_t>();
  flags.dtype_option = "--dtype";
  if (vm.count("dtype")) flags.dtype = vm["dtype"].as<std::string>();
  if (vm.count("global-batch-tokens")) {
    const std::string text = vm["global-batch-tokens"].as<std::string>();
    flags.global_batch_tokens = ParseSuffixedNumber(text);
    if (!flags.global_batch_tokens || *flags.global_batch_tokens > 1e10) {
      throw InputError("--global-batch-tokens",
                       "must be a positive number up to 1e10 such as 4M, got '" + text + "'");
    }
  }
  if (vm.count("runs")) return ReadCompareFile(vm["runs"].as<std::string>(), flags);
  std::vector<CompareRun> runs;
  for (const std::string& r : vm["run"].as<std::vector<std::string>>()) {
    runs.push_back(ParseRunFlag(r, flags));
    for (size_t i = 0; i + 1 < runs.size(); ++i) {
      if (runs[i].name == runs.back().name) {
        throw InputError("--run", "duplicate run name '" + runs.back().name + "'");
      }
    }
  }
  return runs;
}

RunComparison CompareLaws(const std::vector<CompareRun>& runs,
                          const std::vector<ParamCount>& params) {
  std::vector<TrainingRun> in;
  for (size_t i = 0; i < runs.size(); ++i) {
    in.push_back({runs[i].name, static_cast<double>(params[i].total),
                  static_cast<double>(params[i].non_embedding), runs[i].tokens});
  }
  RunComparison c = CompareRuns(in);
  if (c.error) throw InputError("planner compare", c.error->message);
  return c;
}

SearchResult BestLayout(const CompareRun& r, const StackSpec& stack,
                        const std::function<void(double, int64_t)>& progress) {
  SearchSpace space;
  space.global_batch = r.global_batch;
  space.dtypes = {r.dtype};
  SearchOptions options;
  options.top_k = kTieCandidates;
  options.stack = stack;
  options.step = StackOptions(stack, r.cluster);
  options.progress = [&](int64_t done, int64_t total) {
    progress(total > 0 ? static_cast<double>(done) / total : 0, done);
  };
  return Search(r.model, r.cluster, space, options);
}

std::vector<RunResult> Evaluate(const std::vector<CompareRun>& runs, const StackSpec& stack,
                                const std::vector<ParamCount>& params, const RunComparison& laws,
                                bool quiet) {
  ProgressBar bar("planner compare", quiet);
  int64_t layouts = 0;
  std::vector<RunResult> out;
  for (size_t i = 0; i < runs.size(); ++i) {
    const CompareRun& r = runs[i];
    // The bar wants (done, total) in layouts; the total is unknown until each search starts, so
    // scale what is done by the fraction of runs behind us.
    const auto progress = [&](double inner, int64_t done) {
      const double fraction = (static_cast<double>(i) + inner) / static_cast<double>(runs.size());
      if (fraction > 0) bar.Update(layouts + done, static_cast<int64_t>((layouts + done) / fraction));
    };
    RunResult res{r, params[i], laws.runs[i], 0, BestLayout(r, stack, progress), {}, {}};
    layouts += res.search.configs_total;
    res.exact_flops = FlopsPerSequence(r.model, Recompute::kNone).model * r.tokens /
                      static_cast<double>(r.model.seq_len);
    if (const Plan* p = res.best()) {
      res.cost = CostOfRun(r.tokens, r.global_batch, r.model.seq_len, p->time.step_time_s,
                           r.cluster.total_gpus(), r.cluster.price_per_gpu_hour_usd);
      res.outlook =
          OutlookOfLayout(r.model, r.cluster, p->layout, stack, r.tokens, res.cost.steps,
                          p->time.step_time_s, p->time.mfu, *FindPricing(r.cluster, kOnDemand),
                          StepBandFor(r.cluster, stack.name, r.model));
      res.cost.days = res.outlook->expected.days;
      res.cost.gpu_hours = res.outlook->expected.gpu_hours;
      res.cost.cost_usd = res.outlook->expected.cost_usd;
    }
    out.push_back(std::move(res));
  }
  return out;
}

std::vector<ScalingFit> LossFits() {
  std::vector<ScalingFit> fits;
  for (ScalingFit f : kAllScalingFits) {
    if (Info(f).has_loss) fits.push_back(f);
  }
  return fits;
}

// Keys as in the JSON's runs[] (nested ones as paths: loss_nats.kaplan).
Table ScalingTable(const std::vector<RunResult>& rs) {
  Table t;
  t.title = "Scaling: N = all parameters, D = training tokens, 6ND and the exact count (forward + "
            "backward matmuls, full attention), PF-days of 6ND";
  t.columns = {{"run", false, "name"},        {"model", false},
               {"N (params)", true, "params"}, {"D (tokens)", true, "tokens"},
               {"tokens/param", true, "tokens_per_param"},
               {"6ND (FLOPs)", true, "flops_6nd"}, {"exact (FLOPs)", true, "flops_exact"},
               {"exact/6ND", true, "exact_over_6nd"}, {"PF-days", true, "pf_days"}};
  for (ScalingFit f : LossFits()) {
    t.columns.push_back({std::string("loss ") + Info(f).id, true,
                         std::string("loss_nats.") + Info(f).id});
  }
  for (const RunResult& r : rs) {
    const double n = static_cast<double>(r.params.total);
    std::vector<Cell> row = {r.in.name, r.in.model.name, HumanCountCell(n),
                             HumanCountCell(r.in.tokens), FixedCell(r.laws.tokens_per_param, 2),
                             SciCell(r.laws.flops), SciCell(r.exact_flops),
                             FixedCell(r.exact_flops / r.laws.flops, 3),
                             GroupedRoundCell(r.laws.pf_days)};
    for (const FitLoss& l : r.laws.losses) row.push_back(FixedCell(l.loss_nats, 3));
    t.AddRow(std::move(row));
  }
  return t;
}

std::string BatchText(const CompareRun& r) {
  return Grouped(r.global_batch) + " x " + Grouped(r.model.seq_len);
}

// Where ClusterTable puts each band, beside its figure (positions in the columns before any band
// is inserted; inserted from the right, so that each counts the base columns).
constexpr size_t kStepBandAt = 7, kDaysBandAt = 9, kCostBandAt = 13;

Table ClusterTable(const std::vector<RunResult>& rs) {
  Table t;
  t.title = "On the cluster: the fastest layout the plan search finds; ideal days = steps x step "
            "time, days = ideal / goodput";
  t.columns = {{"run", false, "name"},          {"cluster", false, "cluster.name"},
               {"GPUs", true, "cluster.gpus"},   {"batch (seq x len)", true, "global_batch.sequences"},
               {"layout", false},                {"dtype", false, "dtype"},
               {"step (s)", true, "step_time_s"}, {"MFU", true, "mfu"},
               {"days"},                          {"ideal days", true, "ideal_days"},
               {"goodput"},                       {"GPU-hours", true, "gpu_hours"},
               {"cost (USD)", true, "cost_usd"},  {"ideal cost", true, "ideal_cost_usd"}};
  InsertAt(&t.columns, kCostBandAt, BandColumns("cost P10-P90", "cost_usd_p10", "cost_usd_p90"));
  InsertAt(&t.columns, kDaysBandAt, BandColumns("days P10-P90", "days_p10", "days_p90"));
  InsertAt(&t.columns, kStepBandAt,
           BandColumns("step P10-P90", "step_time_p10_s", "step_time_p90_s"));
  for (const RunResult& r : rs) {
    const ClusterSpec& c = r.in.cluster;
    std::vector<Cell> row = {r.in.name, c.name,
                             Cell(std::to_string(c.total_gpus()), static_cast<double>(c.total_gpus())),
                             Cell(BatchText(r.in), static_cast<double>(r.in.global_batch))};
    const Plan* p = r.best();
    if (!p) {
      row.push_back("no layout fits (see the notes)");
      row.resize(t.columns.size());
    } else {
      const Outlook& o = *r.outlook;
      row.insert(row.end(),
                 {Describe(p->layout), ToString(p->layout.dtype), FixedCell(p->time.step_time_s, 2),
                  PercentCell(p->time.mfu), Cell(DaysText(r.cost.days), r.cost.days),
                  Cell(DaysText(o.ideal.days), o.ideal.days), PercentCell(o.goodput.goodput),
                  GroupedRoundCell(r.cost.gpu_hours), GroupedRoundCell(r.cost.cost_usd),
                  GroupedRoundCell(o.ideal.cost_usd)});
      InsertAt(&row, kCostBandAt, CostBandCells(o));
      InsertAt(&row, kDaysBandAt, DaysBandCells(o));
      InsertAt(&row, kStepBandAt, StepBandCells(o.step_band, p->time.step_time_s));
    }
    t.AddRow(std::move(row));
  }
  return t;
}

// One note per way the runs got their global batch.
std::vector<std::string> BatchNotes(const std::vector<RunResult>& rs) {
  std::vector<std::string> given, rounded;
  double requested = 0;
  bool is_default = false;
  for (const RunResult& r : rs) {
    if (r.in.batch_source == BatchSource::kRun) {
      given.push_back(r.in.name);
    } else {
      rounded.push_back(r.in.name);
      requested = r.in.batch_tokens_requested;
      is_default = r.in.batch_source == BatchSource::kDefaultTokens;
    }
  }
  std::vector<std::string> notes;
  if (!rounded.empty()) {
    notes.push_back("batch: " + HumanCount(requested) + " tokens per step" +
                    (is_default ? " (default: Llama 2's, Touvron et al. 2023 sec. 2.2)" : "") +
                    ", rounded to the power-of-two number of sequences nearest " +
                    HumanCount(requested) + " / seq_len, so every power-of-two dp divides it" +
                    (given.empty() ? "" : " (all runs but those below)"));
  }
  for (const std::string& name : given) {
    notes.push_back("batch of " + name + ": global_batch in sequences, from the runs file");
  }
  return notes;
}

std::vector<std::string> Notes(const std::vector<RunResult>& rs, const RunComparison& laws) {
  std::vector<std::string> notes;
  for (const FitWinner& w : laws.lowest_loss) {
    notes.push_back(std::string("lowest predicted loss, ") + Info(w.fit).name + ": " +
                    rs[w.run_index].in.name);
  }
  notes.push_back("losses: nats per token on each paper's own data; compare orderings across "
                  "fits, not values; Kaplan 2020 reads non-embedding N, the others all of N");
  for (const RunResult& r : rs) {
    if (!r.laws.kaplan_enough_tokens) {
      notes.push_back(r.in.name + ": D below Kaplan's overfitting bound 5e3 N^0.74 = " +
                      HumanCount(r.laws.kaplan_min_tokens) + " tokens (Kaplan et al. 2020 eq. 4.4)");
    }
  }
  for (std::string& n : BatchNotes(rs)) notes.push_back(std::move(n));
  std::vector<std::string> seen;
  for (const RunResult& r : rs) {
    const ClusterSpec& c = r.in.cluster;
    if (std::find(seen.begin(), seen.end(), r.in.cluster_arg) != seen.end()) continue;
    seen.push_back(r.in.cluster_arg);
    notes.push_back(c.name + ": $" + Fixed(c.price_per_gpu_hour_usd, 2) + " per GPU-hour, " +
                    r.in.price_source + "; put your own price in a copy of the cluster file");
  }
  for (const RunResult& r : rs) {
    if (!r.best()) {
      notes.push_back(r.in.name + ": no layout fits " + r.in.cluster.name + " x " +
                      Grouped(r.in.cluster.total_gpus()) + " GPUs; `planner plan " +
                      r.in.cluster_arg + " " + r.in.model_arg + " --gpus " +
                      std::to_string(r.in.cluster.total_gpus()) + " --global-batch " +
                      std::to_string(r.in.global_batch) + "` says why and what would fit");
    }
  }
  for (const RunResult& r : rs) {
    const Plan* p = r.best();
    const std::string above =
        p ? AboveMeasuredMfuText(r.in.cluster, p->layout.dtype, p->time.mfu) : "";
    if (!above.empty()) {
      notes.push_back(r.in.name + ": " + above + "; treat its days and cost as optimistic");
    }
  }
  notes.push_back(
      "layout: the fastest of `planner plan`'s search (tp, pp, cp, dp, vpp, "
      "micro-batch, ZeRO 0-3, recompute, sp) in the run's dtype: its own (dtype, "
      "--run's sixth field), else --dtype, else bf16 (fp16 on GPUs without bf16)");
  notes.push_back("steps = D / (global batch x seq_len); ideal days = steps x step time / 86,400; "
                  "days = ideal days / goodput; GPU-hours = days x 24 x GPUs; cost = GPU-hours x "
                  "price");
  if (!rs.empty()) notes.push_back(OutlookAssumptions(rs.front().in.cluster));
  return notes;
}

// CSV: one row per run, the scaling columns then the cluster ones.
Table CsvTable(const std::vector<RunResult>& rs) {
  Table t = ScalingTable(rs);
  const Table c = ClusterTable(rs);
  t.columns.insert(t.columns.end(), c.columns.begin() + 1, c.columns.end());
  for (size_t i = 0; i < t.rows.size(); ++i) {
    t.rows[i].insert(t.rows[i].end(), c.rows[i].begin() + 1, c.rows[i].end());
  }
  return t;
}

nlohmann::ordered_json PlanJson(const RunResult& r) {
  const Plan* p = r.best();
  if (!p) return nullptr;
  nlohmann::ordered_json j = {{"layout", Describe(p->layout)},
                              {"tp", p->layout.tp},
                              {"pp", p->layout.pp},
                              {"dp", p->layout.dp},
                              {"cp", p->layout.cp},
                              {"vpp", p->layout.vpp},
                              {"micro_batch", p->layout.micro_batch},
                              {"zero", p->layout.zero},
                              {"dp_shard", p->layout.dp_shard_size()},
                              {"recompute", ToString(p->layout.recompute)},
                              {"sp", p->layout.sp},
                              {"dtype", ToString(p->layout.dtype)},
                              {"step_time_s", p->time.step_time_s},
                              {"mfu", p->time.mfu},
                              {"tokens_per_s_per_gpu", p->time.tokens_per_s_per_gpu},
                              {"steps", r.cost.steps},
                              {"days", r.cost.days},
                              {"gpu_hours", r.cost.gpu_hours},
                              {"cost_usd", r.cost.cost_usd},
                              {"ideal_days", r.outlook->ideal.days},
                              {"goodput", r.outlook->goodput.goodput},
                              {"ideal_cost_usd", r.outlook->ideal.cost_usd}};
  AddBandFields(*r.outlook, p->time.step_time_s, &j);
  j["outlook"] = OutlookJson(*r.outlook);
  return j;
}

nlohmann::ordered_json RunJson(const RunResult& r) {
  nlohmann::ordered_json losses = nlohmann::ordered_json::object();
  for (const FitLoss& l : r.laws.losses) losses[Info(l.fit).id] = l.loss_nats;
  const CompareRun& in = r.in;
  return {{"name", in.name}, {"model", in.model.name}, {"model_source", in.model_arg},
          {"params", CountJson(r.params.total)},
          {"non_embedding_params", CountJson(r.params.non_embedding)},
          {"tokens", in.tokens}, {"tokens_per_param", r.laws.tokens_per_param},
          {"flops_6nd", r.laws.flops}, {"flops_exact", r.exact_flops},
          {"exact_over_6nd", r.exact_flops / r.laws.flops}, {"pf_days", r.laws.pf_days},
          {"loss_nats", losses}, {"kaplan_min_tokens", r.laws.kaplan_min_tokens},
          {"cluster", {{"name", in.cluster.name}, {"gpu", in.cluster.gpu.name},
                       {"gpus", in.cluster.total_gpus()},
                       {"price_per_gpu_hour_usd", in.cluster.price_per_gpu_hour_usd},
                       {"price_source", in.price_source}}},
          {"global_batch", {{"sequences", in.global_batch},
                            {"tokens", in.global_batch * in.model.seq_len},
                            {"requested_tokens", in.batch_source == BatchSource::kRun
                                                     ? nlohmann::ordered_json(nullptr)
                                                     : nlohmann::ordered_json(
                                                           in.batch_tokens_requested)}}},
          {"plan", PlanJson(r)}};
}

nlohmann::ordered_json CompareJson(const std::vector<RunResult>& rs, const RunComparison& laws) {
  nlohmann::ordered_json runs = nlohmann::ordered_json::array();
  for (const RunResult& r : rs) runs.push_back(RunJson(r));
  nlohmann::ordered_json lowest = nlohmann::ordered_json::object();
  for (const FitWinner& w : laws.lowest_loss) lowest[Info(w.fit).id] = rs[w.run_index].in.name;
  return {
      {"schema_version", 1}, {"runs", runs}, {"lowest_loss", lowest}, {"notes", Notes(rs, laws)}};
}

}  // namespace

int RunCompare(const std::vector<std::string>& args) {
  po::options_description options("planner compare options");
  // One option a line, as the --help it prints.
  // clang-format off
  options.add_options()
      ("run", po::value<std::vector<std::string>>()->composing(),
       "NAME:MODEL:TOKENS[:CLUSTER[:GPUS[:DTYPE]]], repeatable, instead of RUNS.yaml")
      ("cluster", po::value<std::string>(), "default cluster (overrides RUNS.yaml's top level)")
      ("gpus", po::value<int64_t>(), "default GPU count (overrides RUNS.yaml's top level)")
      ("global-batch-tokens", po::value<std::string>(),
       "default tokens per step, e.g. 4M (rounded to a power-of-two number of sequences)")
      ("dtype", po::value<std::string>(),
       "default compute dtype of the runs: bf16, fp16, fp8 or fp4 (NVFP4, Blackwell) (default: "
       "each cluster's 16-bit one; a run's own dtype wins)")
      ("quiet", po::bool_switch(), "no progress bar on stderr");
  // clang-format on
  AddStackOptions(&options);
  AddFormatOption(&options);
  po::variables_map vm;
  // The run list comes from RUNS.yaml or from --run flags: a positional argument only without them.
  const bool flags_only = HasFlag(args, "--run");
  if (flags_only) {
    if (const std::optional<std::string> file = FirstPositional(args, options)) {
      throw InputError("planner compare", "give RUNS.yaml or --run flags, not both (got '" +
                                              *file + "' and --run)");
    }
  }
  const std::optional<OutputFormat> format = ParseFormattedCommandLine(
      "compare",
      "RUNS.yaml [--cluster X] [--gpus N] [--format F]\n"
      "       planner compare --run NAME:MODEL:TOKENS[:CLUSTER[:GPUS[:DTYPE]]] ... "
      "[--cluster X] [--gpus N]\n\nRUNS.yaml format: docs/sizing.md",
      options, flags_only ? std::vector<std::string>{} : std::vector<std::string>{"runs"}, args,
      &vm);
  if (!format) return 0;
  const std::vector<CompareRun> runs = ReadRuns(vm);
  std::vector<Dtype> dtypes;
  for (const CompareRun& r : runs) dtypes.push_back(r.dtype);
  const StackSpec stack = StackFromFlags(vm);
  CheckStackDtypes(stack, dtypes);
  std::vector<ParamCount> params;
  for (const CompareRun& r : runs) params.push_back(CountParams(r.model));
  const RunComparison laws = CompareLaws(runs, params);
  const std::vector<RunResult> results =
      Evaluate(runs, stack, params, laws,
               vm["quiet"].as<bool>() || *format != OutputFormat::kTable);
  Emit(*format, {[&] { return CompareJson(results, laws); }, [&] { return CsvTable(results); },
                 [&](std::ostream& out) {
                   RenderText(ScalingTable(results), out);
                   out << "\n";
                   Table cluster = ClusterTable(results);
                   cluster.notes = Notes(results, laws);
                   RenderText(cluster, out);
                 }});
  return 0;
}

}  // namespace planner
