// planner plan CLUSTER MODEL --gpus N --global-batch B: search every layout, rank those that fit,
// and count the rest by the reason they were rejected. Exit 1 (with the smallest change that
// would fit) when none does.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "planner/cli/command.h"
#include "planner/cli/layout_flags.h"
#include "planner/cli/outlook_report.h"
#include "planner/cli/plan_inputs.h"
#include "planner/cli/progress.h"
#include "planner/cli/report.h"
#include "planner/cli/search_flags.h"
#include "planner/cli/stack_flags.h"
#include "planner/core/pipeline_stages.h"
#include "planner/core/search.h"
#include "planner/core/sizing.h"
#include "planner/core/units.h"
#include "planner/io/cluster_io.h"
#include "planner/io/emit.h"
#include "planner/io/error_bands_io.h"
#include "planner/io/format.h"
#include "planner/io/input_error.h"
#include "planner/io/model_io.h"

namespace planner {
namespace {

struct PlanRun {
  const ModelSpec& model;
  const ClusterSpec& cluster;
  const SearchSpace& space;
  const SearchOptions& options;
  SearchResult result;
  double elapsed_s = 0;
  std::string constraints;  // the search flags given, as typed (SearchConstraintsText)
  std::string stack_args;   // " --stack NAME [--stack-set K=V ...]" for the explain command
  std::string cluster_arg, model_arg;  // as the user typed them: the explain line repeats them
  const PlanInputs* inputs = nullptr;  // batch, tokens to train, --seq, what was assumed
  ErrorBand band = {};                 // step-time band of the cluster's generation and stack
  std::string stack_name = "";
};

// Warnings about the best plan's prediction (PredictionWarnings); where it uses a layout feature
// no validating run of the generation used, also the fastest kept plan that uses none.
std::vector<std::string> BestPlanWarnings(const PlanRun& r) {
  const std::vector<Plan>& plans = r.result.plans;
  std::vector<std::string> out =
      PredictionWarnings(r.cluster, r.stack_name, plans[0].time.mfu, plans[0].layout);
  if (UnvalidatedFeatures(r.cluster, plans[0].layout).empty()) return out;
  for (size_t i = 1; i < plans.size(); ++i) {
    if (!UnvalidatedFeatures(r.cluster, plans[i].layout).empty()) continue;
    const double slower = plans[i].time.step_time_s / plans[0].time.step_time_s - 1;
    out.push_back("the fastest plan here without unvalidated features is #" +
                  std::to_string(i + 1) + " (" + Describe(plans[i].layout) + "), " +
                  Fixed(100 * slower, 1) + "% slower");
    break;
  }
  return out;
}

// "assumed: ..." lines for what the two files and the flags left open; the training tokens'
// days and dollars at the best layout when the model file's training block gives them.
void PrintAssumptions(const PlanRun& r, std::ostream& out) {
  for (const std::string& a : r.inputs->assumed) out << "assumed: " << a << "\n";
  if (!r.inputs->tokens) return;
  const Plan& best = r.result.plans[0];
  const RunCost cost =
      CostOfRun(*r.inputs->tokens, best.layout.global_batch, r.model.seq_len, best.time.step_time_s,
                best.layout.gpus(), r.cluster.price_per_gpu_hour_usd);
  out << "training " << Si(*r.inputs->tokens) << " tokens (the model file's training.tokens) at "
      << "the best layout: " << GroupedRound(cost.steps) << " steps, " << Fixed(cost.days, 1)
      << " days, $" << GroupedRound(cost.cost_usd) << " at $"
      << Fixed(r.cluster.price_per_gpu_hour_usd, 2) << " per GPU-hour, without failures\n";
}

std::string ExplainCommand(const PlanRun& r, const ParallelConfig& p) {
  std::string s = "planner explain " + ShellWord(r.cluster_arg) + " " + ShellWord(r.model_arg) +
                  LayoutCommand(p);
  s += r.stack_args;
  if (r.inputs && r.inputs->seq_override) s += " --seq " + std::to_string(*r.inputs->seq_override);
  // --no-sp (stack_flags.cc) where the stack would turn sequence parallelism on by itself.
  return p.sp ? s + " " + FlagName(LayoutField::kSp) : p.tp > 1 ? s + " --no-sp" : s;
}

// Where the plans table puts the step time's band: beside the step time (a position in the base
// columns, inserted before the optional ones, which all sit to its left).
constexpr size_t kStepBandAt = 13;

Table PlansTable(const PlanRun& r) {
  Table t;
  t.title = r.model.name + " on " + r.cluster.name + " x " +
            std::to_string(r.cluster.total_gpus()) + " GPUs, global batch " +
            std::to_string(r.space.global_batch) + " x " + std::to_string(r.model.seq_len) +
            " tokens: best layouts";
  // Layers per stage ("5+6x10+5"), shown only when some plan splits them unevenly; the ZeRO
  // shard group only when some plan shards over part of dp (HSDP).
  bool uneven = false, hybrid = false, offload = false;
  for (const Plan& p : r.result.plans) {
    uneven = uneven || !StagesText(StageLayers(r.model.n_layers, p.layout)).empty();
    hybrid = hybrid || p.layout.dp_replicas() > 1;
    offload = offload || p.layout.offload_layers > 0;  // CPU activation offloading
  }
  // Keys as in the JSON's plans[] (layout fields, memory.total_GiB).
  t.columns = {{"#", true, "rank"},
               {"dp"},
               {"tp"},
               {"pp"},
               {"cp"},
               {"ep"},
               {"vpp"},
               {"mb", true, "micro_batch"},
               {"zero"},
               {"recompute", false},
               {"sp", false},
               {"dtype", false},
               {"step (s)", true, "step_time_s"},
               {"MFU", true, "mfu"},
               {"tokens/s/GPU", true, "tokens_per_s_per_gpu"},
               {"memory (GiB)", true, "total_GiB"},
               {"$/step", true, "cost_per_step_usd"},
               {"bound", false},
               {"equiv", true, "equivalent_layouts"}};
  // Expert TP, for MoE models (the search folds the experts onto etp 1 where tp > 1).
  const bool moe = r.model.is_moe();
  // Inserted from the right, so that each position counts the base columns.
  InsertAt(&t.columns, kStepBandAt,
           BandColumns("P10-P90 (s)", "step_time_p10_s", "step_time_p90_s"));
  if (offload) t.columns.insert(t.columns.begin() + 10, Column{"offload", true, "offload_layers"});
  if (hybrid) t.columns.insert(t.columns.begin() + 9, Column{"dp_shard"});
  if (moe) t.columns.insert(t.columns.begin() + 6, Column{"etp"});
  if (uneven) {
    t.columns.insert(t.columns.begin() + 4,
                     {{"stages", false, "", Shown::kText},
                      {"first stage", true, "first_stage_layers", Shown::kData},
                      {"last stage", true, "last_stage_layers", Shown::kData}});
  }
  int rank = 0;
  const auto count = [](int64_t v) { return Cell(std::to_string(v), static_cast<double>(v)); };
  for (const Plan& p : r.result.plans) {
    const ParallelConfig& l = p.layout;
    const double step_s = p.time.step_time_s;
    std::vector<Cell> row = {
        count(++rank),
        count(l.dp),
        count(l.tp),
        count(l.pp),
        count(l.cp),
        count(l.ep),
        count(l.vpp),
        count(l.micro_batch),
        count(l.zero),
        ToString(l.recompute),
        l.sp ? "yes" : "no",
        ToString(l.dtype),
        Cell(Fixed(step_s, 3), step_s),
        Cell(Percent(p.time.mfu), p.time.mfu),
        Cell(GroupedRound(p.time.tokens_per_s_per_gpu), p.time.tokens_per_s_per_gpu),
        Cell(Fixed(BytesToGiB(p.memory.total), 1), BytesToGiB(p.memory.total)),
        Cell(Fixed(p.cost_per_step_usd, 2), p.cost_per_step_usd),
        p.time.bound,
        count(p.equivalent_layouts)};
    InsertAt(&row, kStepBandAt, StepBandCells(r.band, step_s));
    if (offload) row.insert(row.begin() + 10, count(l.offload_layers));
    if (hybrid) row.insert(row.begin() + 9, count(l.dp_shard_size()));
    if (moe) row.insert(row.begin() + 6, count(l.expert_tp()));
    if (uneven) {
      const std::string stages = StagesText(StageLayers(r.model.n_layers, l));
      row.insert(row.begin() + 4, {Cell(stages.empty() ? "even" : stages),
                                   count(l.first_stage_layers), count(l.last_stage_layers)});
    }
    t.AddRow(std::move(row));
  }
  if (std::any_of(r.result.plans.begin(), r.result.plans.end(),
                  [](const Plan& p) { return p.equivalent_layouts > 1; })) {
    t.notes.push_back(
        "equiv: layouts with the same step time and memory shown as one row, the simplest (least "
        "cp, then pp, tp, ep, etp, vpp, ZeRO, recompute)");
  }
  if (!r.constraints.empty()) t.notes.push_back("search limited to " + r.constraints);
  return t;
}

Table RejectedTable(const SearchResult& s) {
  Table t;
  t.columns = {{"rejected because", false}, {"layouts"}};
  for (int i = 0; i < kNumLayoutIssues; ++i) {
    if (s.rejected[i] > 0) {
      t.AddRow({ToString(static_cast<LayoutIssue>(i)), Grouped(s.rejected[i])});
    }
  }
  return t;
}

std::string StatsLine(const PlanRun& r) {
  const SearchResult& s = r.result;
  const double elapsed_s = std::max(r.elapsed_s, 1e-9);
  return "searched " + Grouped(s.configs_total) + " layouts in " + Fixed(r.elapsed_s, 2) + " s (" +
         Si(static_cast<double>(s.configs_total) / elapsed_s) + " layouts/s, " +
         Si(static_cast<double>(s.configs_evaluated) / elapsed_s) +
         " evaluated/s): " + Grouped(s.configs_evaluated) + " evaluated, " +
         Grouped(s.configs_feasible) + " fit in " +
         Fixed(BytesToGiB(MemoryLimitBytes(r.cluster, r.space)), 1) + " GiB";
}

nlohmann::ordered_json PlanJson(const PlanRun& r) {
  nlohmann::ordered_json plans = nlohmann::ordered_json::array();
  for (const Plan& p : r.result.plans) {
    plans.push_back({{"rank", plans.size() + 1},
                     {"layout", LayoutJson(p.layout)},
                     {"step_time_s", p.time.step_time_s},
                     {"step_time_p10_s", p.time.step_time_s * r.band.p10_factor},
                     {"step_time_p90_s", p.time.step_time_s * r.band.p90_factor},
                     {"mfu", p.time.mfu},
                     {"hfu", p.time.hfu},
                     {"tokens_per_s_per_gpu", p.time.tokens_per_s_per_gpu},
                     {"model_tflops_per_gpu", p.time.model_tflops_per_gpu},
                     {"cost_per_step_usd", p.cost_per_step_usd},
                     {"bound", p.time.bound},
                     {"equivalent_layouts", p.equivalent_layouts},
                     {"memory", MemoryJson(p.memory)},
                     {"time", TimeJson(p.time)}});
  }
  nlohmann::ordered_json rejected = nlohmann::ordered_json::object();
  for (int i = 0; i < kNumLayoutIssues; ++i) {
    if (r.result.rejected[i] > 0)
      rejected[ToString(static_cast<LayoutIssue>(i))] = r.result.rejected[i];
  }
  const SearchResult& s = r.result;
  nlohmann::ordered_json dtypes = nlohmann::ordered_json::array();
  for (Dtype d : r.space.dtypes) dtypes.push_back(ToString(d));
  return {{"schema_version", 1},
          {"model", r.model.name},
          {"cluster", r.cluster.name},
          {"gpus", r.cluster.total_gpus()},
          {"global_batch", r.space.global_batch},
          {"seq_len", r.model.seq_len},
          {"objective", r.options.objective == Objective::kCost ? "cost" : "time"},
          {"top", r.options.top_k},
          {"dtypes", dtypes},
          {"usable_GiB", BytesToGiB(UsableHbmBytes(r.cluster))},
          {"memory_limit_GiB", BytesToGiB(MemoryLimitBytes(r.cluster, r.space))},
          {"price_per_gpu_hour_usd", r.cluster.price_per_gpu_hour_usd},
          {"stats",
           {{"configs_total", s.configs_total},
            {"configs_evaluated", s.configs_evaluated},
            {"configs_feasible", s.configs_feasible},
            {"elapsed_s", r.elapsed_s},
            {"configs_total/s", s.configs_total / std::max(r.elapsed_s, 1e-9)},
            {"configs_evaluated/s", s.configs_evaluated / std::max(r.elapsed_s, 1e-9)},
            {"configs_planned", s.configs_planned},
            {"truncated", s.truncated}}},
          {"plans", plans},
          {"rejected", rejected},
          {"assumptions", r.inputs ? r.inputs->assumed : std::vector<std::string>{}},
          {"stack", r.stack_name},
          {"band_basis", r.band.records > 0 ? r.band.basis : "no validation data"},
          {"efficiency_source", r.cluster.efficiency.source},
          {"warnings", r.result.plans.empty() ? std::vector<std::string>{} : BestPlanWarnings(r)}};
}

// The smallest GPU count (whole nodes, doubling, up to 64x) at which some layout fits.
// Within `time_limit_s` (0: none) in all, up to the largest valid cluster; *timed_out says
// whether the limit cut the answer short, *searched how many counts were searched.
std::optional<int64_t> GpusThatFit(const ModelSpec& m, const ClusterSpec& c,
                                   const SearchSpace& space, const SearchOptions& options,
                                   double time_limit_s, bool* timed_out, int* searched) {
  SearchOptions quiet = options;
  quiet.top_k = 1;
  quiet.progress = nullptr;
  const auto start = std::chrono::steady_clock::now();
  for (int64_t gpus = c.total_gpus() * 2; gpus <= c.total_gpus() * 64; gpus *= 2) {
    ClusterSpec bigger = c;
    if (gpus >= c.gpus_per_node && gpus % c.gpus_per_node != 0) continue;
    bigger.nodes = std::max<int64_t>(1, gpus / c.gpus_per_node);
    if (Validate(bigger)) break;  // more GPUs than any cluster
    if (time_limit_s > 0) {
      const std::chrono::duration<double> used = std::chrono::steady_clock::now() - start;
      quiet.time_limit_s = time_limit_s - used.count();
      *timed_out = quiet.time_limit_s <= 0;
      if (*timed_out) break;
    }
    const SearchResult s = Search(m, bigger, space, quiet);
    ++*searched;
    if (!s.plans.empty()) return bigger.total_gpus();
    *timed_out = s.truncated;
    if (*timed_out) break;
  }
  return std::nullopt;
}

// A search stopped at --time-limit: said on stderr whatever the format (JSON: stats.truncated).
void WarnTruncated(const PlanRun& r) {
  const SearchResult& s = r.result;
  const std::string considered = Sci(static_cast<double>(s.configs_total)) + " of " +
                                 Sci(static_cast<double>(s.configs_planned)) +
                                 " layouts considered";
  if (s.plans.empty()) {
    throw NoResult("no layout found within --time-limit " + Fixed(r.options.time_limit_s, 0) +
                   " s (" + considered + "); raise --time-limit or search fewer GPUs");
  }
  std::cerr << "planner plan: stopped at --time-limit " << Fixed(r.options.time_limit_s, 0)
            << " s (" << considered << "): the plans are the best of those, not of all\n";
}

[[noreturn]] void NothingFits(const PlanRun& r) {
  std::string msg = "no layout of " + r.model.name + " fits " + r.cluster.name + " x " +
                    std::to_string(r.cluster.total_gpus()) + " GPUs (" +
                    Fixed(BytesToGiB(MemoryLimitBytes(r.cluster, r.space)), 1) +
                    " GiB usable each)";
  if (!r.constraints.empty()) msg += " within " + r.constraints;
  if (r.result.least_memory) {
    const Plan& p = *r.result.least_memory;
    msg += "\n  the smallest footprint, " + Describe(p.layout) + ", needs " +
           Fixed(BytesToGiB(p.memory.total), 1) + " GiB per GPU";
  } else {
    msg += "\n  no layout divides the model and batch: change --global-batch or --gpus";
  }
  // What is left of --time-limit goes to the larger GPU counts.
  const double left_s = std::max(1e-3, r.options.time_limit_s - r.elapsed_s);
  bool timed_out = false;
  int searched = 0;
  if (auto gpus = GpusThatFit(r.model, r.cluster, r.space, r.options,
                              r.options.time_limit_s > 0 ? left_s : 0, &timed_out, &searched)) {
    msg += "\n  smallest change that fits: --gpus " + std::to_string(*gpus);
  } else if (timed_out) {
    msg += "\n  larger GPU counts were not all searched within --time-limit " +
           Fixed(r.options.time_limit_s, 0) + " s";
  } else if (searched == 0) {
    msg +=
        "\n  twice the GPUs is beyond the largest cluster the planner models (4,194,304): "
        "use GPUs with more memory or a smaller model";
  } else {
    msg += "\n  even 64x the GPUs does not fit: use GPUs with more memory or a smaller model";
  }
  throw NoResult(msg);
}

}  // namespace

int RunPlan(const std::vector<std::string>& args) {
  po::options_description options("planner plan options");
  options.add_options()("gpus", po::value<int64_t>(), "GPUs (default: the cluster's; whole nodes)")(
      "global-batch", po::value<int64_t>(),
      "sequences per step (default: the model file's training block, else 4M tokens)")(
      "objective", po::value<std::string>()->default_value("time"),
      "rank by step time or by cost (USD per step at the cluster's price)")(
      "top", po::value<int64_t>()->default_value(10), "layouts to show")(
      "threads", po::value<int64_t>()->default_value(0), "worker threads (0: all cores)")(
      "quiet", po::bool_switch(), "no progress bar on stderr");
  AddTimeLimitOption(&options);
  AddPlanInputOptions(&options);
  AddSearchConstraintOptions(&options);
  AddStackOptions(&options);
  AddFormatOption(&options);
  po::variables_map vm;
  const std::optional<OutputFormat> format =
      ParseFormattedCommandLine("plan",
                                "CLUSTER MODEL [--gpus N] [--global-batch B | "
                                "--global-batch-tokens 4M] [--seq T] [--objective time|cost] "
                                "[--top K] [--tp 4,8 ...] [--max-zero Z] [--memory-headroom 10%] "
                                "[--format F]",
                                options, {"cluster", "model"}, args, &vm);
  if (!format) return 0;
  SearchSpace space;
  SearchOptions so;
  so.collapse_equivalent = true;
  so.top_k = static_cast<int>(PositiveFlag(vm, "top", 1000));
  so.objective = EnumFlag<Objective>(vm, "objective",
                                     {{"time", Objective::kTime}, {"cost", Objective::kCost}});
  const int64_t threads = vm["threads"].as<int64_t>();
  if (threads < 0 || threads > 1024) throw InputError("--threads", "must be between 0 and 1024");
  so.threads = static_cast<int>(threads);
  const std::string model_arg = vm["model"].as<std::string>();
  ModelSpec m = LoadModel(model_arg);
  const ClusterSpec c = ClusterFromFlags(vm);
  const PlanInputs inputs = ResolvePlanInputs(vm, model_arg, c, &m);
  space.global_batch = inputs.global_batch;
  ApplySearchConstraints(vm, m, c, &space);
  const StackSpec stack = StackFromFlags(vm);
  CheckStackDtypes(stack, space.dtypes);
  CheckStackRecomputes(stack, space.recomputes);
  so.stack = stack;
  so.step = StackOptions(stack, c);
  so.time_limit_s = TimeLimitFlag(vm);
  ProgressBar bar("planner plan", vm["quiet"].as<bool>() || *format != OutputFormat::kTable,
                  so.time_limit_s);
  so.progress = bar.Callback();
  const auto start = std::chrono::steady_clock::now();
  PlanRun run{m,
              c,
              space,
              so,
              Search(m, c, space, so),
              0,
              SearchConstraintsText(vm),
              StackArgs(vm, stack),
              vm["cluster"].as<std::string>(),
              model_arg,
              &inputs};
  run.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  run.band = StepTimeBand(c, stack.name, m.is_moe());
  run.stack_name = stack.name;
  so.progress = nullptr;
  if (run.result.plans.empty() && *format == OutputFormat::kTable) {
    RenderText(RejectedTable(run.result), std::cout);
  }
  if (run.result.truncated) WarnTruncated(run);
  if (run.result.plans.empty()) NothingFits(run);
  Emit(
      *format, {[&] { return PlanJson(run); }, [&] { return PlansTable(run); },
                [&](std::ostream& out) {
                  out << StackLine(vm, stack) << "\n";
                  RenderText(PlansTable(run), out);
                  out << "\n" << StatsLine(run) << "\n";
                  if (run.band.records > 0) {
                    out << "P10-P90: the step time's band from out-of-sample residuals ("
                        << run.band.basis << ")" << BandSideNote(run.band) << "\n";
                  }
                  for (const std::string& w : BestPlanWarnings(run)) {
                    out << "warning: " << w << "\n";
                  }
                  PrintAssumptions(run, out);
                  out << "\n";
                  RenderText(RejectedTable(run.result), out);
                  out << "\nbest layout in full:\n  "
                      << ExplainCommand(run, run.result.plans[0].layout) << "\n";
                }});
  return 0;
}

}  // namespace planner
