// planner chinchilla: the compute-optimal (N, D) for one budget (FLOPs, GPU-hours, dollars, a
// model size or a token count) under each published scaling fit, side by side.
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "planner/cli/command.h"
#include "planner/core/cluster_spec.h"
#include "planner/core/scaling_laws.h"
#include "planner/core/units.h"
#include "planner/io/cluster_io.h"
#include "planner/io/emit.h"
#include "planner/io/format.h"
#include "planner/io/input_error.h"
#include "planner/io/presets.h"
#include "planner/io/quantity.h"

namespace planner {
namespace {


struct BudgetFlag {
  const char* flag;
  ChinchillaInput input;
  const char* help;
  // Far outside any training run (the largest are ~5e25 FLOPs on ~1e5 GPUs; a toy model has
  // thousands of parameters): a value beyond these is a typo (5.76 for 5.76e23), and the fits'
  // power laws would answer it with fractions of a parameter or overflow. 0: any positive value.
  double min_value;
  double max_value;
};

// The order here is the order of the error message and of --help.
const BudgetFlag kBudgetFlags[] = {
    {"flops", ChinchillaInput::kFlops, "training compute C in FLOPs, e.g. 5.76e23", 1e6, 1e35},
    {"gpu-hours", ChinchillaInput::kGpuHours, "GPU-hours on --cluster, e.g. 1e6 or 2.5M", 0, 1e13},
    {"budget-usd", ChinchillaInput::kBudgetUsd,
     "US dollars at --cluster's price per GPU-hour, e.g. 10M", 0, 1e15},
    {"params", ChinchillaInput::kParams,
     "model size N, e.g. 70e9 or 70B: the tokens and compute it is optimal for", 1e3, 1e17},
    {"tokens", ChinchillaInput::kTokens,
     "token count D, e.g. 1.4T: the model size and compute it is optimal for", 1e3, 1e17},
};

std::string BudgetFlagList() {
  std::string s;
  const size_t n = std::size(kBudgetFlags);
  for (size_t i = 0; i < n; ++i) {
    s += (i == 0 ? "" : i + 1 == n ? " or " : ", ") + std::string("--") + kBudgetFlags[i].flag;
  }
  return s;
}

bool NamesNonFinite(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.erase(0, 1);
  return s.starts_with("nan") || s.starts_with("inf");
}

// A finite decimal number (5.76e23, 70e9, 0.4), with a K/M/B/T suffix where `allow_suffix`.
// No hex, no nan/inf, no trailing text: the error names `flag`.
double ParseFiniteFlag(const std::string& flag, const std::string& text, bool allow_suffix) {
  const std::string where = "--" + flag;
  std::string digits = text;
  double scale = 1;
  if (allow_suffix && !digits.empty() && SuffixScale(digits.back()) != 1) {
    scale = SuffixScale(digits.back());
    digits.pop_back();
  }
  if (NamesNonFinite(digits)) {
    throw InputError(where, "must be a finite positive number, got '" + text + "'");
  }
  double value = 0;
  const char* end = digits.data() + digits.size();
  const auto [ptr, ec] = std::from_chars(digits.data(), end, value);
  if (digits.empty() || ptr != end || ec == std::errc::invalid_argument) {
    throw InputError(where, allow_suffix
                                ? "expected a number such as 5.76e23, 70e9, 70B or 1.4T "
                                  "(suffixes K, M, B, T), got '" + text + "'"
                                : "expected a number such as 0.4, got '" + text + "'");
  }
  value *= scale;
  if (ec == std::errc::result_out_of_range || !std::isfinite(value)) {
    throw InputError(where, "'" + text + "' is out of range");
  }
  return value;
}

double ParseBudgetFlag(const BudgetFlag& b, const std::string& text) {
  const std::string where = "--" + std::string(b.flag);
  const double value = ParseFiniteFlag(b.flag, text, true);
  if (value <= 0) throw InputError(where, "must be positive, got '" + text + "'");
  if (value < b.min_value) {
    throw InputError(where, "'" + text + "' is implausibly small (limit " + Sci(b.min_value, 1) +
                                ")");
  }
  if (value > b.max_value) {
    throw InputError(where, "'" + text + "' is implausibly large (limit " + Sci(b.max_value, 1) +
                                ")");
  }
  return value;
}

// The cluster a GPU-hour or dollar budget is spent on, with where each assumed number came from.
struct ClusterContext {
  ClusterSpec spec;
  std::string price_source;  // "the dgx-h100 preset's list-price default", "cluster.yaml"
  Dtype dtype = Dtype::kBf16;
  double mfu = kDefaultMfu;
  bool mfu_is_default = true;

  double peak_tflops() const { return spec.gpu.peak(dtype); }
  double achieved_flops_per_gpu_s() const { return peak_tflops() * kFlopsPerTflop * mfu; }
  double GpuHours(double flops) const {
    return flops / (achieved_flops_per_gpu_s() * kSecondsPerHour);
  }
};

// Mirrors LoadSpecDoc: a path (or an existing file) is read as a file, anything else a preset.
bool IsClusterFile(const std::string& arg) {
  std::error_code ec;
  return LooksLikePath(arg) || std::filesystem::exists(arg, ec);
}

ClusterContext LoadClusterContext(const po::variables_map& vm) {
  const std::string arg = vm["cluster"].as<std::string>();
  ClusterContext c;
  c.spec = LoadCluster(arg);
  c.price_source = IsClusterFile(arg) ? "price_per_gpu_hour_usd in " + arg
                                      : "the " + arg + " preset's list-price default";
  // Training runs in bf16; GPUs without it (V100) train in fp16 at its peak.
  c.dtype = c.spec.gpu.peak(Dtype::kBf16) > 0 ? Dtype::kBf16 : Dtype::kFp16;
  if (c.peak_tflops() <= 0) {
    throw InputError(arg, "GPU " + c.spec.gpu.name +
                              " lists no bf16 or fp16 peak_tflops, which a GPU-hour budget needs");
  }
  c.mfu_is_default = vm["mfu"].defaulted();
  if (!c.mfu_is_default) {
    const std::string text = vm["mfu"].as<std::string>();
    c.mfu = ParseFiniteFlag("mfu", text, false);
    if (!(c.mfu > 0 && c.mfu <= 1)) {
      throw InputError("--mfu", "must be in (0, 1] (a fraction of peak), got '" + text + "'");
    }
  }
  return c;
}

struct Request {
  ChinchillaInput input;
  const char* flag;
  double value;
  std::optional<ClusterContext> cluster;
};

Request ParseRequest(const po::variables_map& vm) {
  std::vector<const BudgetFlag*> given;
  for (const BudgetFlag& b : kBudgetFlags) {
    if (vm.count(b.flag)) given.push_back(&b);
  }
  if (given.size() != 1) {
    std::string got = given.empty() ? "none" : "";
    for (size_t i = 0; i < given.size(); ++i) {
      got += (i ? " and --" : "--") + std::string(given[i]->flag);
    }
    throw InputError("planner chinchilla",
                     "give exactly one of " + BudgetFlagList() + "; got " + got);
  }
  const BudgetFlag& b = *given.front();
  Request r{b.input, b.flag, ParseBudgetFlag(b, vm[b.flag].as<std::string>()), {}};
  const bool needs_cluster =
      b.input == ChinchillaInput::kGpuHours || b.input == ChinchillaInput::kBudgetUsd;
  if (needs_cluster && !vm.count("cluster")) {
    throw InputError("--" + std::string(b.flag),
                     "needs --cluster (a cluster YAML file or preset name, for its peak FLOP/s" +
                         std::string(b.input == ChinchillaInput::kBudgetUsd ? " and price" : "") +
                         "); `planner presets` lists them");
  }
  if (!vm.count("cluster") && !vm["mfu"].defaulted()) {
    throw InputError("--mfu", "only applies with --cluster");
  }
  if (vm.count("cluster")) r.cluster = LoadClusterContext(vm);
  return r;
}

// Turns a core validation failure back into an error about the flag the user typed.
[[noreturn]] void FailScaling(const Request& r, const ScalingError& e) {
  if (e.key == "mfu") throw InputError("--mfu", e.message);
  if (e.key == "peak_flops_per_gpu_s" || e.key == "usd_per_gpu_hour") {
    throw InputError("--cluster", e.message);
  }
  throw InputError("--" + std::string(r.flag), e.message);
}

ChinchillaAnswer Answer(const Request& r) {
  ChinchillaQuery q{r.input, r.value, {}};
  if (r.cluster) {
    q.cluster = {r.cluster->peak_tflops() * kFlopsPerTflop, r.cluster->mfu,
                 r.cluster->spec.price_per_gpu_hour_usd};
  }
  ChinchillaAnswer a = AnswerChinchilla(q);
  if (a.error) FailScaling(r, *a.error);
  // A GPU-hour or dollar budget becomes FLOPs on the cluster; those must lie where --flops may.
  const BudgetFlag& flops = kBudgetFlags[0];
  if (r.cluster && a.budget_flops &&
      !(*a.budget_flops >= flops.min_value && *a.budget_flops <= flops.max_value)) {
    throw InputError("--" + std::string(r.flag),
                     Sci(r.value) + " is " + Sci(*a.budget_flops) + " FLOPs on " +
                         r.cluster->spec.name + ", outside the range the fits answer (" +
                         Sci(flops.min_value, 1) + " to " + Sci(flops.max_value, 1) + " FLOPs)");
  }
  return a;
}

// Three significant figures from 1 up (1.00, 12.3, 123), grouped once there are no decimals
// left (6,806), two decimals down to 0.01 (0.40): PF-days, tokens per parameter, GPU-hours and
// dollars span decades. Beyond that, scientific notation rather than a wall of digits.
std::string SigFigCell(double v) {
  if (v >= 1e15 || v < 0.01) return Sci(v);
  if (v >= 999.5) return GroupedRound(v);
  const int int_digits = v >= 99.95 ? 3 : v >= 9.995 ? 2 : 1;
  return Fixed(v, 3 - int_digits);
}

// Parameters and tokens as papers write them (70.0B, 1.40T) while a suffix fits (up to Q).
std::string CountCell(double v) { return v >= 999.5e15 || v < 1 ? Sci(v) : HumanCount(v); }

std::string Title(const Request& r, const ChinchillaAnswer& a) {
  const auto flops = [](double c) {
    return Sci(c) + " FLOPs (" + SigFigCell(FlopsToPfDays(c)) + " PF-days)";
  };
  switch (r.input) {
    case ChinchillaInput::kFlops:
      return "Compute-optimal N and D for C = " + flops(r.value);
    case ChinchillaInput::kGpuHours:
      return "Compute-optimal N and D for " + SigFigCell(r.value) + " GPU-hours on " +
             r.cluster->spec.name + ": C = " + flops(*a.budget_flops);
    case ChinchillaInput::kBudgetUsd:
      return "Compute-optimal N and D for $" + SigFigCell(r.value) + " on " +
             r.cluster->spec.name + ": " + SigFigCell(*a.gpu_hours) + " GPU-hours, C = " +
             flops(*a.budget_flops);
    case ChinchillaInput::kParams:
      return "Compute-optimal D (and C) for N = " + CountCell(r.value) + " parameters";
    case ChinchillaInput::kTokens:
      return "Compute-optimal N (and C) for D = " + CountCell(r.value) + " tokens";
  }
  return "";
}

std::vector<std::string> ClusterNotes(const ClusterContext& c) {
  return {
      "GPU-hours <-> FLOPs: " + c.spec.name + " (" + c.spec.gpu.name + ") " + ToString(c.dtype) +
          " dense peak " + Fixed(c.peak_tflops(), 1) + " TFLOP/s x MFU " + Fixed(c.mfu, 2) +
          " x 3,600 s per GPU-hour",
      c.mfu_is_default ? "MFU " + Fixed(c.mfu, 2) +
                             ": assumed default, typical of well-tuned Megatron runs "
                             "(see `planner validate`); set --mfu to change it"
                       : "MFU " + Fixed(c.mfu, 2) + ": from --mfu",
      "$" + Fixed(c.spec.price_per_gpu_hour_usd, 2) + " per GPU-hour: " + c.price_source +
          "; put your own price in a copy of the cluster file",
  };
}

std::vector<std::string> Notes(const Request& r) {
  std::vector<std::string> notes = {
      "C = 6 N D training FLOPs (Kaplan et al. 2020 sec. 2.1); 1 PF-day = 8.64e19 FLOPs"};
  if (r.cluster) {
    for (std::string& n : ClusterNotes(*r.cluster)) notes.push_back(std::move(n));
  }
  notes.push_back("sources:");
  for (ScalingFit fit : kAllScalingFits) {
    notes.push_back("  " + std::string(Info(fit).name) + ": " + Info(fit).source);
  }
  for (ScalingFit fit : kAllScalingFits) {
    if (Info(fit).non_embedding_params) {
      notes.push_back(std::string(Info(fit).name) +
                      " counts non-embedding parameters in N; the other fits count all of them");
    }
  }
  // An older write-up of approach 3 prints E = 1.61, a typo; the paper's eq. 10 has 1.69.
  notes.push_back("Chinchilla approach 3 uses E = " + Fixed(kHoffmann2022Loss.e_nats, 2) +
                  " (Hoffmann et al. 2022 eq. 10)");
  notes.push_back(
      "losses are nats per token on each paper's own data and tokenizer: compare orderings "
      "across fits, not values; \xE2\x80\x94 = the fit predicts no loss");
  return notes;
}

// Text: counts the way papers write them. CSV: plain numbers for scripts.
// Keys as in the JSON's fits[].
Table FitTable(const Request& r, const ChinchillaAnswer& a) {
  Table t;
  t.title = Title(r, a);
  t.columns = {{"fit_id", false, "id", Shown::kData}, {"fit", false, "name"},
               {"N (params)", true, "params"}, {"D (tokens)", true, "tokens"},
               {"tokens/param", true, "tokens_per_param"}, {"C (FLOPs)", true, "flops"},
               {"PF-days", true, "pf_days"}};
  if (r.cluster) {
    t.columns.insert(t.columns.end(), {{"GPU-hours", true, "gpu_hours"},
                                       {"cost (USD)", true, "cost_usd"}});
  }
  // Last and left-aligned: the em dash is one column wide but three bytes long.
  t.columns.push_back({"loss (nats)", false, "loss_nats"});
  for (const ComputeOptimalPoint& p : a.points) {
    std::vector<Cell> row = {Info(p.fit).id, Info(p.fit).name, Cell(CountCell(p.params), p.params),
                             Cell(CountCell(p.tokens), p.tokens),
                             Cell(SigFigCell(p.tokens_per_param), p.tokens_per_param),
                             SciCell(p.flops), Cell(SigFigCell(p.pf_days), p.pf_days)};
    if (r.cluster) {
      const double hours = r.cluster->GpuHours(p.flops);
      const double usd = hours * r.cluster->spec.price_per_gpu_hour_usd;
      row.push_back(Cell(SigFigCell(hours), hours));
      row.push_back(Cell(SigFigCell(usd), usd));
    }
    // An em dash for people where a fit has no loss; an empty cell (null) for scripts.
    row.push_back(p.loss_nats ? FixedCell(*p.loss_nats, 3) : Cell("\xE2\x80\x94", NAN));
    t.AddRow(std::move(row));
  }
  t.notes = Notes(r);
  return t;
}

const char* InputName(ChinchillaInput input) {
  for (const BudgetFlag& b : kBudgetFlags) {
    if (b.input == input) return b.flag;
  }
  return "";
}

nlohmann::ordered_json ClusterJson(const ClusterContext& c) {
  return {{"name", c.spec.name},
          {"gpu", c.spec.gpu.name},
          {"peak_dtype", ToString(c.dtype)},
          {"peak_tflops_per_gpu", c.peak_tflops()},
          {"mfu", c.mfu},
          {"mfu_source", c.mfu_is_default ? "assumed default, typical of well-tuned Megatron runs "
                                            "(see planner validate)"
                                          : "--mfu"},
          {"usd_per_gpu_hour", c.spec.price_per_gpu_hour_usd},
          {"price_source", c.price_source}};
}

nlohmann::ordered_json PointJson(const Request& r, const ComputeOptimalPoint& p) {
  const ScalingFitInfo& info = Info(p.fit);
  nlohmann::ordered_json j = {{"id", info.id},
                              {"name", info.name},
                              {"source", info.source},
                              {"non_embedding_params", info.non_embedding_params},
                              {"params", p.params},
                              {"tokens", p.tokens},
                              {"tokens_per_param", p.tokens_per_param},
                              {"flops", p.flops},
                              {"pf_days", p.pf_days}};
  if (r.cluster) {
    const double hours = r.cluster->GpuHours(p.flops);
    j["gpu_hours"] = hours;
    j["cost_usd"] = hours * r.cluster->spec.price_per_gpu_hour_usd;
  }
  j["loss_nats"] = p.loss_nats ? nlohmann::ordered_json(*p.loss_nats) : nullptr;
  return j;
}

nlohmann::ordered_json ChinchillaJson(const Request& r, const ChinchillaAnswer& a) {
  nlohmann::ordered_json fits = nlohmann::ordered_json::array();
  for (const ComputeOptimalPoint& p : a.points) fits.push_back(PointJson(r, p));
  nlohmann::ordered_json j = {{"schema_version", 1},
                              {"input", {{"kind", InputName(r.input)}, {"value", r.value}}}};
  j["cluster"] = r.cluster ? ClusterJson(*r.cluster) : nullptr;
  j["gpu_hours"] = a.gpu_hours ? nlohmann::ordered_json(*a.gpu_hours) : nullptr;
  j["budget_flops"] = a.budget_flops ? nlohmann::ordered_json(*a.budget_flops) : nullptr;
  j["flops_per_pf_day"] = kFlopsPerPfDay;
  j["fits"] = fits;
  j["notes"] = Notes(r);
  return j;
}

}  // namespace

int RunChinchilla(const std::vector<std::string>& args) {
  po::options_description options("planner chinchilla options (exactly one of the first five)");
  for (const BudgetFlag& b : kBudgetFlags) {
    options.add_options()(b.flag, po::value<std::string>(), b.help);
  }
  options.add_options()
      ("cluster", po::value<std::string>(),
       "cluster YAML file or preset name: its bf16 dense peak and price per GPU-hour")
      ("mfu", po::value<std::string>()->default_value("0.40"),
       "model FLOPs utilisation assumed on --cluster (default 0.40, typical of well-tuned "
       "Megatron runs; see planner validate)");
  AddFormatOption(&options);
  po::variables_map vm;
  const std::optional<OutputFormat> format = ParseFormattedCommandLine(
      "chinchilla",
      "(--flops C | --gpu-hours H --cluster X | --budget-usd USD --cluster X |\n"
      "                   --params N | --tokens D) [--mfu F] [--format F]\n\n"
      "Numbers take scientific notation and K/M/B/T suffixes: 5.76e23, 70B, "
      "1.4T.",
      options, {}, args, &vm);
  if (!format) return 0;
  const Request request = ParseRequest(vm);
  const ChinchillaAnswer answer = Answer(request);
  Emit(*format,
       {[&] { return ChinchillaJson(request, answer); }, [&] { return FitTable(request, answer); },
        [&](std::ostream& out) { RenderText(FitTable(request, answer), out); }});
  return 0;
}

}  // namespace planner
