// planner validate --bench FRESH.json --cluster C [--model M --micro-batch B --tp N]: the
// planner's collective times (CollectiveSeconds, with C's fits) against a commbench run it was
// not calibrated on, row by row; with --model, the one number the step-time model takes from it:
// the tensor-parallel all-reduce of one layer's activations.
#include <cmath>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "planner/cli/bench_flags.h"
#include "planner/cli/command.h"
#include "planner/core/collectives.h"
#include "planner/core/fit.h"
#include "planner/core/limits.h"
#include "planner/core/step_time.h"
#include "planner/io/bench_io.h"
#include "planner/io/cluster_io.h"
#include "planner/io/emit.h"
#include "planner/io/format.h"
#include "planner/io/input_error.h"
#include "planner/io/model_io.h"

namespace planner {

namespace {

struct RowCheck {
  std::string collective;
  int64_t bytes = 0;
  double measured_s = 0;
  double predicted_s = 0;
  std::string priced_by;  // the fit or the link the planner used
  double error() const { return predicted_s / measured_s - 1; }
};

struct TpCheck {
  std::string model;
  int64_t micro_batch = 1, tp = 1, seq = 0, d_model = 0;
  double bytes = 0;
  double measured_s = 0;
  double predicted_s = 0;
  double error() const { return predicted_s / measured_s - 1; }
};

struct BenchReport {
  CommbenchRun run;
  std::string cluster_arg;
  ClusterSpec cluster;
  std::string level;
  Placement placement = Placement::kOutOfPlace;
  std::vector<RowCheck> rows;
  std::vector<std::string> notes;
  std::optional<TpCheck> tp;
};

// Ranks `stride` apart span `level` and nothing inside it: one per domain of the level below.
int64_t StrideFor(const ClusterSpec& c, int level) {
  return level == 0 ? 1 : c.network[level - 1].size;
}

std::string PricedBy(const ClusterSpec& c, Collective op, int level, int64_t n, int64_t stride) {
  // The outermost level holds any group (CollectiveSeconds runs its last stage there).
  const bool outermost = level + 1 == static_cast<int>(c.network.size());
  if (!outermost && MembersWithinLevel(c, level, n, stride) < n) return "several levels";
  if (const CollectiveFit* f = FindCollectiveFit(c, op, level, n)) {
    return "fit " + f->level + " " + std::to_string(f->nranks) + " ranks";
  }
  const NetworkLevel& l = c.network[level];
  return l.name + " link " + Fixed(l.bw_GBps, 0) + " GB/s x " +
         Fixed(c.efficiency.collective_bw_fraction, 2);
}

void CheckRows(BenchReport* r) {
  const int level = LevelIndex(r->cluster, r->level);
  const int64_t stride = StrideFor(r->cluster, level);
  std::map<std::string, int> skipped;
  for (const CommbenchRow& row : r->run.rows) {
    // No step of training runs a reduce, so the step-time model has no price for one.
    if (row.collective == Collective::kReduce) {
      ++skipped[ToString(row.collective)];
      continue;
    }
    if (row.size_bytes <= 0) continue;
    for (double t_us : SelectedTimesUs(row, r->placement)) {
      if (t_us <= 0) continue;
      const double predicted = CollectiveSeconds(r->cluster, row.collective, r->run.nranks, stride,
                                                 static_cast<double>(row.size_bytes));
      r->rows.push_back({ToString(row.collective), row.size_bytes, t_us * 1e-6, predicted,
                         PricedBy(r->cluster, row.collective, level, r->run.nranks, stride)});
    }
  }
  for (const auto& [name, n] : skipped) {
    r->notes.push_back(name + ": " + std::to_string(n) +
                       " rows skipped (the step-time model has no " + name + ")");
  }
  if (r->rows.empty()) {
    throw InputError(r->run.file,
                     "no rows the planner can predict (sizes and times > 0 of "
                     "collectives it models)");
  }
}

// The tensor-parallel all-reduce of one layer, as the step-time model prices it (tp innermost,
// stride 1), against the fresh run's all_reduce rows of exactly that size.
TpCheck CheckTp(const BenchReport& r, const po::variables_map& vm) {
  const ModelSpec m = LoadModel(vm["model"].as<std::string>());
  TpCheck t;
  t.model = m.name;
  t.micro_batch = PositiveFlag(vm, "micro-batch", kMaxGpus);
  t.tp = vm.count("tp") ? PositiveFlag(vm, "tp", kMaxGpus) : r.run.nranks;
  t.seq = m.seq_len;
  t.d_model = m.d_model;
  t.bytes = static_cast<double>(t.seq) * t.micro_batch * t.d_model * kActivationBytes;
  if (t.tp != r.run.nranks) {
    throw InputError("--tp", std::to_string(t.tp) + " ranks, but " + r.run.file + " ran on " +
                                 std::to_string(r.run.nranks) + "; measure at the TP size");
  }
  std::vector<double> times_s;
  for (const CommbenchRow& row : r.run.rows) {
    if (row.collective != Collective::kAllReduce) continue;
    if (static_cast<double>(row.size_bytes) != t.bytes) continue;
    for (double t_us : SelectedTimesUs(row, r.placement)) times_s.push_back(t_us * 1e-6);
  }
  const std::string bytes = std::to_string(static_cast<int64_t>(t.bytes));
  if (times_s.empty()) {
    throw InputError(r.run.file, "no all_reduce row of " + bytes + " bytes (one " + m.name +
                                     " layer's activations at micro-batch " +
                                     std::to_string(t.micro_batch) +
                                     "); measure it with "
                                     "`mpirun -n " +
                                     std::to_string(t.tp) + " commbench -b " + bytes + " -e " +
                                     bytes + " --json FILE all_reduce`");
  }
  double sum = 0;
  for (double s : times_s) sum += s;
  t.measured_s = sum / static_cast<double>(times_s.size());
  t.predicted_s = CollectiveSeconds(r.cluster, Collective::kAllReduce, t.tp, 1, t.bytes);
  return t;
}

std::vector<double> Errors(const BenchReport& r, const std::string& collective) {
  std::vector<double> e;
  for (const RowCheck& row : r.rows) {
    if (collective.empty() || row.collective == collective) e.push_back(row.error());
  }
  return e;
}

Table RowsTable(const BenchReport& r) {
  Table t;
  t.title = "Planner vs commbench " + r.run.file + " (" + r.run.backend + ", " +
            std::to_string(r.run.nranks) + " ranks, " + r.run.level + " as " + r.level + ", " +
            r.run.start_time + ") with cluster " + r.cluster_arg;
  t.columns = {{"collective", false}, {"size (bytes)"}, {"measured (us)"},
               {"predicted (us)"},    {"error"},        {"priced by", false}};
  for (const RowCheck& row : r.rows) {
    t.AddRow({row.collective, Grouped(row.bytes), Fixed(row.measured_s * 1e6, 1),
              Fixed(row.predicted_s * 1e6, 1), SignedPercent(row.error()), row.priced_by});
  }
  t.notes = r.notes;
  return t;
}

Table SummaryTable(const BenchReport& r) {
  Table t;
  t.title = "Error per collective (MAPE = mean |predicted / measured - 1|)";
  t.columns = {{"collective", false}, {"rows"}, {"MAPE"}, {"worst"}};
  std::vector<std::string> order;
  for (const RowCheck& row : r.rows) {
    if (std::find(order.begin(), order.end(), row.collective) == order.end()) {
      order.push_back(row.collective);
    }
  }
  auto add = [&](const std::string& name, const std::vector<double>& e) {
    double worst = 0;
    for (double x : e) worst = std::abs(x) > std::abs(worst) ? x : worst;
    t.AddRow({name, std::to_string(e.size()), Percent(Mape(e), 1), SignedPercent(worst)});
  };
  for (const std::string& c : order) add(c, Errors(r, c));
  t.AddRule();
  add("all", Errors(r, ""));
  return t;
}

std::string TpLine(const TpCheck& t) {
  return "TP all-reduce of one " + t.model + " layer (seq " + std::to_string(t.seq) +
         " x micro-batch " + std::to_string(t.micro_batch) + " x d_model " +
         std::to_string(t.d_model) + " x 2 bytes = " + Grouped(static_cast<Count>(t.bytes)) +
         " bytes, tp " + std::to_string(t.tp) + "): predicted " + Fixed(t.predicted_s * 1e3, 3) +
         " ms, measured " + Fixed(t.measured_s * 1e3, 3) + " ms, error " + SignedPercent(t.error());
}

nlohmann::ordered_json ReportJson(const BenchReport& r) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const RowCheck& row : r.rows) {
    rows.push_back({{"collective", row.collective},
                    {"size_bytes", row.bytes},
                    {"measured_us", row.measured_s * 1e6},
                    {"predicted_us", row.predicted_s * 1e6},
                    {"error", row.error()},
                    {"priced_by", row.priced_by}});
  }
  nlohmann::ordered_json j = {
      {"schema_version", 1}, {"bench", r.run.file},    {"cluster", r.cluster_arg},
      {"level", r.level},    {"nranks", r.run.nranks}, {"mape", Mape(Errors(r, ""))},
      {"rows", rows},        {"notes", r.notes}};
  if (r.tp) {
    j["tp_allreduce"] = {{"model", r.tp->model},
                         {"micro_batch", r.tp->micro_batch},
                         {"tp", r.tp->tp},
                         {"bytes", r.tp->bytes},
                         {"measured_us", r.tp->measured_s * 1e6},
                         {"predicted_us", r.tp->predicted_s * 1e6},
                         {"error", r.tp->error()}};
  }
  return j;
}

BenchReport BuildReport(const po::variables_map& vm) {
  if (!vm.count("cluster")) {
    throw InputError("--cluster", "missing: give the (calibrated) cluster to predict with");
  }
  BenchReport r;
  r.run = ReadCommbench(vm["bench"].as<std::string>());
  r.cluster_arg = vm["cluster"].as<std::string>();
  r.cluster = LoadCluster(r.cluster_arg);
  std::optional<std::string> level;
  if (vm.count("level")) level = vm["level"].as<std::string>();
  r.level = ResolveLevel(r.cluster, r.run, level, "--level");
  r.placement = PlacementFlag(vm);
  CheckRows(&r);
  if (vm.count("model")) r.tp = CheckTp(r, vm);
  return r;
}

}  // namespace

int RunValidateBench(const std::vector<std::string>& args) {
  po::options_description options("planner validate --bench options");
  options.add_options()("bench", po::value<std::string>(),
                        "a fresh commbench --json run to predict")(
      "cluster,c", po::value<std::string>(), "cluster YAML (calibrated) or preset")(
      "level", po::value<std::string>(),
      "network level of the cluster the run spans (default: from the run's level)")(
      "placement", po::value<std::string>()->default_value("out"),
      "commbench times to compare: out (of place), in (place) or both")(
      "model", po::value<std::string>(),
      "also compare the TP all-reduce of one layer of this model (seq x b x d_model x 2 bytes)")(
      "micro-batch", po::value<int64_t>()->default_value(1), "micro-batch size b for --model")(
      "tp", po::value<int64_t>(), "tensor-parallel size for --model (default: the run's ranks)");
  AddFormatOption(&options);
  po::variables_map vm;
  const std::optional<OutputFormat> format = ParseFormattedCommandLine(
      "validate",
      "--bench FRESH.json --cluster C [--level L] [--model M [--micro-batch B] "
      "[--tp N]] [--format F]",
      options, {}, args, &vm);
  if (!format) return 0;
  const BenchReport r = BuildReport(vm);
  Emit(*format, {[&] { return ReportJson(r); }, [&] { return RowsTable(r); },
                 [&](std::ostream& out) {
                   RenderText(RowsTable(r), out);
                   out << "\n";
                   RenderText(SummaryTable(r), out);
                   if (r.tp) out << "\n" << TpLine(*r.tp) << "\n";
                 }});
  return 0;
}

}  // namespace planner
