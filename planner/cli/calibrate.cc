// planner calibrate --commbench RUN.json [--commbench ...] [--matbench SWEEP.json] --cluster C
// -o OUT.yaml: fits t = alpha + beta * bus bytes per collective, network level and rank count to
// commbench runs, and the GEMM efficiency curve to a matbench sweep (planner/core/calibrate.h),
// writes them into the cluster's efficiency block, and prints each fit with its error on sizes
// it did not see. explain, plan and the rest use OUT.yaml's fits wherever collective and level
// match (CollectiveSeconds).
#include "planner/core/calibrate.h"

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>

#include "planner/cli/bench_flags.h"
#include "planner/cli/command.h"
#include "planner/core/enum_names.h"
#include "planner/io/bench_io.h"
#include "planner/io/cluster_io.h"
#include "planner/io/emit.h"
#include "planner/io/format.h"
#include "planner/io/input_error.h"
#include "planner/io/output_file.h"
#include "planner/io/yaml_strict.h"

namespace planner {

namespace {

// One collective's fits: on every size (what OUT.yaml gets) and on alternate sizes (to measure
// the error on the sizes in between).
struct CommFit {
  calib::AlphaBetaFit all;
  std::optional<calib::AlphaBetaFit> half;
};

struct GemmFit {
  const MatbenchRun* run = nullptr;
  Dtype dtype = Dtype::kFp32;
  calib::GemmEfficiencyFit all;
  std::optional<calib::GemmEfficiencyFit> half;
};

struct Inputs {
  ClusterSpec cluster;
  std::vector<CommbenchRun> runs;
  std::vector<std::string> levels;  // the cluster level of each run
  std::optional<MatbenchRun> matbench;
  SampleFilter filter;
  int segments = 1;
  bool force = false;  // write fits that fail calib::FindFitProblem, with a warning
};

struct Calibration {
  std::vector<CommFit> comm;
  std::vector<std::string> notes;
  std::optional<GemmFit> gemm;
  ClusterSpec cluster;            // the base with the fits merged in
  std::vector<std::string> problems;  // fits written only because of --force
};

bool SameGroup(const calib::AlphaBetaFit& a, const calib::AlphaBetaFit& b) {
  return a.collective == b.collective && a.level == b.level && a.nranks == b.nranks;
}

std::vector<CommFit> FitCollectives(const Inputs& in) {
  std::vector<calib::CommSample> samples;
  for (size_t i = 0; i < in.runs.size(); ++i) {
    for (const calib::CommSample& s : CommSamples(in.runs[i], in.levels[i], in.filter)) {
      samples.push_back(s);
    }
  }
  calib::FitOptions every, alternate;
  every.hold_out_alternate = false;
  every.max_segments = alternate.max_segments = in.segments;
  const std::vector<calib::AlphaBetaFit> halves = calib::FitAllAlphaBeta(samples, alternate);
  std::vector<CommFit> fits;
  for (const calib::AlphaBetaFit& f : calib::FitAllAlphaBeta(samples, every)) {
    CommFit cf{f, std::nullopt};
    for (const calib::AlphaBetaFit& h : halves) {
      if (SameGroup(f, h)) cf.half = h;
    }
    fits.push_back(std::move(cf));
  }
  if (fits.empty()) {
    throw InputError("--commbench",
                     "nothing to fit: each collective needs at least two distinct "
                     "sizes with a time (check --min-bytes/--max-bytes)");
  }
  return fits;
}

std::string Sig4(double v) {  // 0.0784, 312, 19.5
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

GemmFit FitGemm(const ClusterSpec& c, const MatbenchRun& run) {
  GemmFit g;
  g.run = &run;
  g.dtype = MatbenchDtype(run);
  const double peak = c.gpu.peak(g.dtype) * 1e12;
  if (peak <= 0) {
    throw InputError(run.file, "cluster " + c.name + " has no " + ToString(g.dtype) +
                                   " peak (gpu.peak_tflops) to fit the " + run.dtype +
                                   " GEMM sweep against");
  }
  calib::FitOptions every;
  every.hold_out_alternate = false;
  const auto all = calib::FitGemmEfficiency(GemmSamples(run), peak, every);
  if (!all) {
    throw InputError(run.file,
                     "gemm_sweep needs at least two shapes of different FLOPs with a "
                     "time (run matbench with --mode sweep)");
  }
  if (!(all->eff_max > 0 && all->eff_max <= 1)) {
    throw InputError(run.file, "the sweep's GEMMs approach " + Percent(all->eff_max) + " of " +
                                   c.name + "'s " + ToString(g.dtype) + " peak (" +
                                   Sig4(peak / 1e12) +
                                   " TFLOP/s per GPU): that cluster "
                                   "spec is not the machine measured, or its peak is too low");
  }
  g.all = *all;
  g.half = calib::FitGemmEfficiency(GemmSamples(run), peak);
  return g;
}

// Four significant digits: the measurements are good to a few percent at best, and the YAML
// stays readable.
double Round4(double v) {
  if (v == 0 || !std::isfinite(v)) return v;
  const double scale = std::pow(10.0, 3 - std::floor(std::log10(std::abs(v))));
  return std::round(v * scale) / scale;
}

// Binary units, as commbench's -b/-e: 4 MiB, 24 MiB, 96 KiB, 1000 B.
std::string BytesText(double bytes) {
  const int64_t b = static_cast<int64_t>(bytes);
  if (b >= (1 << 20) && b % (1 << 10) == 0)
    return Fixed(bytes / (1 << 20), b % (1 << 20) ? 2 : 0) + " MiB";
  if (b >= (1 << 10) && b % (1 << 10) == 0) return std::to_string(b >> 10) + " KiB";
  return std::to_string(b) + " B";
}

std::string Today() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", std::localtime(&now));
  return buf;
}

// Which commbench times a fit used, as the report and the table title say it.
constexpr EnumName<Placement> kPlacementTexts[] = {{Placement::kOutOfPlace, "out-of-place"},
                                                   {Placement::kInPlace, "in-place"},
                                                   {Placement::kBoth, "out-of-place and in-place"}};

std::string PlacementText(Placement p) { return NameIn(kPlacementTexts, p); }

std::string SourceText(const Inputs& in, const std::string& base) {
  std::string s = "planner calibrate " + Today() + ":";
  for (size_t i = 0; i < in.runs.size(); ++i) {
    const CommbenchRun& r = in.runs[i];
    s += " commbench " + r.file + " (" + r.backend + ", " + std::to_string(r.nranks) + " ranks, " +
         r.level + " as " + in.levels[i] + ", " + r.machine + ", " + r.start_time + ");";
  }
  s += " " + PlacementText(in.filter.placement) + " times";
  if (in.filter.min_bytes > 0 || in.filter.max_bytes < std::numeric_limits<int64_t>::max()) {
    s += " of " + std::to_string(in.filter.min_bytes) + ".." +
         (in.filter.max_bytes < std::numeric_limits<int64_t>::max()
              ? std::to_string(in.filter.max_bytes)
              : "") +
         " bytes";
  }
  if (in.matbench) {
    s += "; matbench " + in.matbench->file + " (" + in.matbench->dtype + " on " +
         in.matbench->engine + ", " + in.matbench->start_time + ")";
  }
  return s + "; base " + base;
}

double DatasheetGBps(const ClusterSpec& c, const std::string& level) {
  for (const NetworkLevel& l : c.network) {
    if (l.name == level) return l.bw_GBps;
  }
  return 0;
}

// The commbench file a fit's samples came from (the first of several), for the error message.
std::string RunFile(const Inputs& in, const calib::AlphaBetaFit& f) {
  for (size_t i = 0; i < in.runs.size(); ++i) {
    if (in.levels[i] == f.level && in.runs[i].nranks == f.nranks) return in.runs[i].file;
  }
  return "--commbench";
}

// Fits that predict their own held-out sizes badly, or whose bandwidth no link of that level
// could have, are refused (exit 2) unless --force; then they are listed in the file.
std::vector<std::string> CheckFits(const Inputs& in, const std::vector<CommFit>& fits) {
  std::vector<std::string> problems;
  for (const CommFit& f : fits) {
    std::optional<double> heldout;
    if (f.half && f.half->quality.n_heldout > 0) heldout = f.half->quality.heldout_mape;
    auto problem = calib::FindFitProblem(f.all, heldout, DatasheetGBps(in.cluster, f.all.level));
    if (!problem) continue;
    if (!in.force) throw InputError(RunFile(in, f.all), *problem + "; --force writes it anyway");
    problems.push_back(*problem);
  }
  return problems;
}

Calibration Calibrate(const Inputs& in, const std::string& base) {
  Calibration cal;
  cal.comm = FitCollectives(in);
  cal.problems = CheckFits(in, cal.comm);
  cal.cluster = in.cluster;
  std::vector<CollectiveFit> fits;
  for (const CommFit& f : cal.comm) {
    const double busbw = f.all.busbw_GBps();
    const std::string name = ToString(f.all.collective);
    if (!std::isfinite(busbw) || busbw <= 0) {
      cal.notes.push_back(name + " on " + std::to_string(f.all.nranks) +
                          " ranks: time does not "
                          "grow with size here (beta clamped to 0), so no bandwidth to write");
      continue;
    }
    fits.push_back(
        {f.all.collective, f.all.level, f.all.nranks, Round4(f.all.alpha_us()), Round4(busbw)});
    if (f.all.collective == Collective::kReduce) {
      cal.notes.push_back("reduce: written, but the step-time model has no reduce");
    }
  }
  MergeCollectiveFits(fits, &cal.cluster.efficiency);
  if (in.matbench) {
    cal.gemm = FitGemm(in.cluster, *in.matbench);
    cal.cluster.efficiency.gemm_max = Round4(cal.gemm->all.eff_max);
    cal.cluster.efficiency.gemm_half_flops = Round4(cal.gemm->all.flops_half);
  }
  cal.cluster.efficiency.source = SourceText(in, base);
  if (!cal.problems.empty()) {
    cal.cluster.efficiency.source += "; WRITTEN WITH --force despite " +
                                     std::to_string(cal.problems.size()) + " implausible fit" +
                                     (cal.problems.size() > 1 ? "s" : "");
  }
  return cal;
}

std::string SizeRange(const calib::FitQuality& q) {
  if (q.points.empty()) return "";
  return BytesText(q.points.front().x) + " - " + BytesText(q.points.back().x);
}

Table CommTable(const Calibration& cal, Placement placement) {
  Table t;
  t.title = "Collective fits: t = alpha + size x bus factor / busbw (commbench " +
            PlacementText(placement) + " times)";
  // Keys as in the JSON's collectives[] (all_sizes, alternate_sizes: the two fits' quality).
  t.columns = {{"collective", false},
               {"level", false},
               {"ranks", true, "nranks"},
               {"sizes", true, "all_sizes.n_train"},
               {"bytes", false, "", Shown::kText},
               {"alpha (us)", true, "alpha_us"},
               {"busbw (GB/s)", true, "bus_bw_GBps"},
               {"MAPE all sizes", true, "all_sizes.train_mape"},
               {"MAPE fitted half", true, "alternate_sizes.train_mape"},
               {"MAPE held out", true, "alternate_sizes.heldout_mape"},
               {"worst held out", true, "alternate_sizes.heldout_max_abs_rel_error"}};
  for (const CommFit& f : cal.comm) {
    const calib::FitQuality& q = f.all.quality;
    std::vector<Cell> row = {ToString(f.all.collective),
                             f.all.level,
                             Cell(std::to_string(f.all.nranks), f.all.nranks),
                             Cell(std::to_string(q.points.size()), q.points.size()),
                             SizeRange(q),
                             FixedCell(f.all.alpha_us(), 1),
                             FixedCell(f.all.busbw_GBps(), 3),
                             PercentCell(q.train_mape, 1)};
    if (f.half && f.half->quality.n_heldout > 0) {
      const calib::FitQuality& h = f.half->quality;
      row.insert(row.end(), {PercentCell(h.train_mape, 1), PercentCell(h.heldout_mape, 1),
                             PercentCell(h.heldout_max_abs_rel_error, 1)});
    } else {
      row.resize(t.columns.size());
    }
    t.AddRow(std::move(row));
  }
  t.notes.push_back(
      "alpha and busbw are fitted on every size; that fit is what the cluster "
      "file gets.");
  t.notes.push_back(
      "held out: fitted on alternate sizes (smallest, third, ...), the sizes in "
      "between predicted; |predicted / measured - 1|.");
  for (const CommFit& f : cal.comm) {
    if (f.all.segments.size() <= 1) continue;
    std::string s = std::string(ToString(f.all.collective)) + " regimes:";
    for (const calib::AlphaBetaSegment& seg : f.all.segments) {
      s += " up to " + (std::isfinite(seg.max_bytes) ? Si(seg.max_bytes, 3) + "B" : "any size") +
           " alpha " + Fixed(seg.alpha_s * 1e6, 1) + " us busbw " +
           (seg.beta_s_per_byte > 0 ? Fixed(1e-9 / seg.beta_s_per_byte, 3) : "inf") + " GB/s;";
    }
    t.notes.push_back(s + " the cluster file gets the last");
  }
  for (const std::string& n : cal.notes) t.notes.push_back(n);
  return t;
}

// Mean of the per-fit held-out MAPEs, and how many fits have held-out sizes.
std::pair<double, int> MeanHeldOut(const Calibration& cal) {
  double sum = 0;
  int n = 0;
  for (const CommFit& f : cal.comm) {
    if (!f.half || f.half->quality.n_heldout == 0) continue;
    sum += f.half->quality.heldout_mape;
    ++n;
  }
  return {n ? sum / n : 0.0, n};
}

std::string GemmTitle(const GemmFit& g, const ClusterSpec& c) {
  return "GEMM efficiency: eff(F) = eff_max F / (F + F_half), F = 2mnk; matbench " + g.run->file +
         " (" + g.run->dtype + " on " + g.run->engine + ") against " + c.name + "'s " +
         ToString(g.dtype) + " peak, " + Sig4(c.gpu.peak(g.dtype)) + " TFLOP/s per GPU";
}

Table GemmTable(const GemmFit& g, const ClusterSpec& c) {
  Table t;
  t.title = GemmTitle(g, c);
  t.columns = {{"shapes"},   {"eff_max"},          {"F_half (FLOP)"}, {"overhead (us)"},
               {"MAPE all"}, {"MAPE fitted half"}, {"MAPE held out"}, {"worst held out"}};
  std::vector<std::string> row = {std::to_string(g.all.quality.points.size()),
                                  Fixed(g.all.eff_max, 3), Sci(g.all.flops_half, 3),
                                  Fixed(g.all.overhead_s * 1e6, 2),
                                  Percent(g.all.quality.train_mape, 1)};
  if (g.half && g.half->quality.n_heldout > 0) {
    row.insert(row.end(),
               {Percent(g.half->quality.train_mape, 1), Percent(g.half->quality.heldout_mape, 1),
                Percent(g.half->quality.heldout_max_abs_rel_error, 1)});
  } else {
    row.insert(row.end(), {"", "", ""});
  }
  t.AddRow(row);
  if (g.run->peak_tflops && std::abs(*g.run->peak_tflops / c.gpu.peak(g.dtype) - 1) > 1e-6) {
    t.notes.push_back("matbench reported efficiency against --peak-tflops " +
                      Sig4(*g.run->peak_tflops) + "; the fit uses the cluster's peak");
  }
  t.notes.push_back("written as gemm_max and gemm_half_flops (fitted on every shape)");
  return t;
}

void PrintText(const Calibration& cal, const Inputs& in, const std::string& out_path,
               std::ostream& out) {
  RenderText(CommTable(cal, in.filter.placement), out);
  const auto [mean, n] = MeanHeldOut(cal);
  if (n > 0) {
    out << "mean held-out MAPE: " << Percent(mean, 1) << " over " << n << " fit"
        << (n > 1 ? "s" : "") << "\n";
  }
  if (cal.gemm) {
    out << "\n";
    RenderText(GemmTable(*cal.gemm, in.cluster), out);
  }
  out << "\nwrote " << out_path << ": cluster " << cal.cluster.name << " with "
      << cal.cluster.efficiency.collectives.size() << " collective fit"
      << (cal.cluster.efficiency.collectives.size() == 1 ? "" : "s")
      << (cal.gemm ? " and the GEMM curve" : "") << "; use it with -c " << out_path << "\n";
}

nlohmann::ordered_json QualityJson(const calib::FitQuality& q) {
  return {{"n_train", q.n_train},
          {"n_heldout", q.n_heldout},
          {"train_mape", q.train_mape},
          {"heldout_mape", q.heldout_mape},
          {"heldout_max_abs_rel_error", q.heldout_max_abs_rel_error}};
}

nlohmann::ordered_json ReportJson(const Calibration& cal, const std::string& out_path) {
  nlohmann::ordered_json comm = nlohmann::ordered_json::array();
  for (const CommFit& f : cal.comm) {
    comm.push_back({{"collective", ToString(f.all.collective)},
                    {"level", f.all.level},
                    {"nranks", f.all.nranks},
                    {"alpha_us", f.all.alpha_us()},
                    {"bus_bw_GBps", f.all.busbw_GBps()},
                    {"all_sizes", QualityJson(f.all.quality)},
                    {"alternate_sizes", f.half ? QualityJson(f.half->quality) : nullptr}});
  }
  nlohmann::ordered_json j = {{"schema_version", 1},
                              {"output", out_path},
                              {"collectives", comm},
                              {"mean_heldout_mape", MeanHeldOut(cal).first}};
  if (cal.gemm) {
    const GemmFit& g = *cal.gemm;
    j["gemm"] = {{"dtype", ToString(g.dtype)},
                 {"peak_tflops", g.all.peak_flops_per_s / 1e12},
                 {"eff_max", g.all.eff_max},
                 {"flops_half", g.all.flops_half},
                 {"overhead_us", g.all.overhead_s * 1e6},
                 {"all_shapes", QualityJson(g.all.quality)},
                 {"alternate_shapes", g.half ? QualityJson(g.half->quality) : nullptr}};
  }
  j["notes"] = cal.notes;
  j["forced_despite"] = cal.problems;
  return j;
}

std::string OutputYaml(const Calibration& cal, const std::string& base) {
  std::ostringstream text;
  for (const std::string& p : cal.problems) {
    text << "# WARNING: written with --force although " << p << "\n";
  }
  text << "# Calibrated by `planner calibrate` (see efficiency.source) from\n"
       << "#   " << base << "\n"
       << "# with only the efficiency block changed. collectives: fitted alpha (us) and bus\n"
       << "# bandwidth (GB/s) per collective, network level and rank count, which the step-time\n"
       << "# model uses wherever collective and level match.\n"
       << ClusterToYaml(cal.cluster);
  // The file must load as a cluster; check before writing rather than leave a broken file.
  ReadClusterSpec(ParseYaml("planner calibrate output", text.str()));
  return text.str();
}

// Every file this run reads: -o must not overwrite one of them.
std::vector<std::string> InputPaths(const po::variables_map& vm) {
  std::vector<std::string> paths = vm["commbench"].as<std::vector<std::string>>();
  if (vm.count("matbench")) paths.push_back(vm["matbench"].as<std::string>());
  paths.push_back(vm["cluster"].as<std::string>());
  return paths;
}

Inputs ReadInputs(const po::variables_map& vm) {
  if (!vm.count("commbench")) {
    throw InputError("--commbench", "missing: give at least one commbench --json file");
  }
  if (!vm.count("cluster")) {
    throw InputError("--cluster", "missing: give the cluster (file or preset) to calibrate");
  }
  if (!vm.count("output")) {
    throw InputError("-o", "missing: give the calibrated cluster YAML to write (-o OUT.yaml)");
  }
  Inputs in;
  in.filter.placement = PlacementFlag(vm);
  if (vm.count("min-bytes")) in.filter.min_bytes = BytesFlag(vm, "min-bytes");
  if (vm.count("max-bytes")) in.filter.max_bytes = BytesFlag(vm, "max-bytes");
  in.segments = static_cast<int>(PositiveFlag(vm, "segments", 8));
  in.force = vm["force"].as<bool>();
  in.cluster = LoadCluster(vm["cluster"].as<std::string>());
  std::optional<std::string> level;
  if (vm.count("level")) level = vm["level"].as<std::string>();
  for (const std::string& path : vm["commbench"].as<std::vector<std::string>>()) {
    in.runs.push_back(ReadCommbench(path));
    in.levels.push_back(ResolveLevel(in.cluster, in.runs.back(), level, "--level"));
  }
  if (vm.count("matbench")) in.matbench = ReadMatbench(vm["matbench"].as<std::string>());
  return in;
}

}  // namespace

int RunCalibrate(const std::vector<std::string>& args) {
  po::options_description options("planner calibrate options");
  options.add_options()("commbench", po::value<std::vector<std::string>>()->composing(),
                        "commbench --json file (repeat for several runs: rank counts, levels)")(
      "matbench", po::value<std::string>(), "matbench --json file with a GEMM sweep")(
      "cluster,c", po::value<std::string>(), "cluster YAML file or preset name to calibrate")(
      "output,o", po::value<std::string>(), "calibrated cluster YAML to write")(
      "level", po::value<std::string>(),
      "network level of the cluster the runs span (default: from each run's level)")(
      "placement", po::value<std::string>()->default_value("out"),
      "commbench times to fit: out (of place), in (place) or both")(
      "min-bytes", po::value<std::string>(), "fit sizes from this many bytes (e.g. 4M)")(
      "max-bytes", po::value<std::string>(), "fit sizes up to this many bytes")(
      "segments", po::value<int64_t>()->default_value(1),
      "size regimes per collective (the cluster file gets the largest sizes' one)")(
      "force", po::bool_switch(),
      "write fits that fail the checks (held-out MAPE above 50%, bus bandwidth outside 5% to "
      "150% of the level's datasheet figure), with a warning in the file");
  AddFormatOption(&options);
  po::variables_map vm;
  const std::optional<OutputFormat> format =
      ParseFormattedCommandLine("calibrate",
                                "--commbench RUN.json [--commbench ...] [--matbench SWEEP.json] "
                                "--cluster C -o OUT.yaml [flags]\n\n"
                                "Fits alpha-beta per collective and network level, and the GEMM "
                                "efficiency curve,\ninto C's efficiency block; prints the error on "
                                "held-out sizes. See docs/calibrate.md.",
                                options, {}, args, &vm);
  if (!format) return 0;
  const Inputs in = ReadInputs(vm);
  const std::string base = vm["cluster"].as<std::string>();
  const std::string out_path = vm["output"].as<std::string>();
  const Calibration cal = Calibrate(in, base);
  WriteOutputFile("-o", out_path, OutputYaml(cal, base), InputPaths(vm));
  for (const std::string& p : cal.problems) {
    std::cerr << "planner: warning: written with --force although " << p << "\n";
  }
  Emit(*format, {[&] { return ReportJson(cal, out_path); },
                 [&] { return CommTable(cal, in.filter.placement); },
                 [&](std::ostream& out) { PrintText(cal, in, out_path, out); }});
  return 0;
}

}  // namespace planner
