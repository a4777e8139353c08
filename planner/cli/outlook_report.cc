#include "planner/cli/outlook_report.h"

#include <cmath>
#include <cstdio>

#include "planner/core/units.h"
#include "planner/io/error_bands_io.h"
#include "planner/io/format.h"
#include "planner/io/input_error.h"

namespace planner {
namespace {

constexpr double kMaxGridKgPerKwh = 2;  // as the cluster file's power.grid_kg_per_kWh

std::string RangeText(const Band& b, std::string (*f)(double)) { return f(b.p10) + "-" + f(b.p90); }

// Three significant figures below 100 (0.00412, 2.84, 62.6), grouped whole numbers above.
std::string Sig3(double v) {
  if (v >= 99.95) return GroupedRound(v);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

std::string HoursText(double seconds) {
  if (seconds < 120) return Sig3(seconds) + " s";
  if (seconds < 7200) return Fixed(seconds / 60, 1) + " min";
  return Fixed(seconds / kSecondsPerHour, 2) + " h";
}

std::string Mwh(double v) { return Sig3(v); }
std::string Tonnes(double v) { return Sig3(v); }

nlohmann::ordered_json BandJson(const Band& b) { return {{"p10", b.p10}, {"p90", b.p90}}; }

nlohmann::ordered_json FiguresJson(const RunFigures& f) {
  return {{"days", f.days}, {"gpu_hours", f.gpu_hours}, {"cost_usd", f.cost_usd}};
}

// JSON has no infinity: a run that never finishes is null.
nlohmann::ordered_json Finite(double v) {
  return std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json(nullptr);
}

}  // namespace

void AddOutlookOptions(po::options_description* options) {
  options->add_options()(
      "pricing", po::value<std::string>()->default_value(kOnDemand),
      "pricing class: on-demand (price_per_gpu_hour_usd) or one of the cluster file's pricing "
      "classes (e.g. reserved, spot: spot adds its preemption rate to the failure rate)")(
      "grid-kg-per-kwh", po::value<double>(),
      "grid carbon intensity, kg CO2e per kWh (default: the cluster's power.grid_kg_per_kWh, "
      "0.373 = US average, EPA eGRID2022)");
}

OutlookFlags ParseOutlookFlags(const po::variables_map& vm) {
  OutlookFlags f;
  f.pricing = vm["pricing"].as<std::string>();
  if (vm.count("grid-kg-per-kwh")) {
    const double v = vm["grid-kg-per-kwh"].as<double>();
    if (!(v >= 0 && v <= kMaxGridKgPerKwh)) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%g", v);
      throw InputError("--grid-kg-per-kwh", std::string("must lie between 0 and 2 kg CO2e/kWh, "
                                                        "got ") +
                                                buf);
    }
    f.grid_kg_per_kWh = v;
  }
  return f;
}

PricingClass ApplyOutlookFlags(const OutlookFlags& f, ClusterSpec* c) {
  if (f.grid_kg_per_kWh) c->power.grid_kg_per_kWh = *f.grid_kg_per_kWh;
  if (const std::optional<PricingClass> p = FindPricing(*c, f.pricing)) return *p;
  std::string names = kOnDemand;
  for (const PricingClass& p : c->pricing) names += ", " + p.name;
  throw InputError("--pricing", "'" + f.pricing + "' is not a pricing class of " + c->name + " (" +
                                    names + "; add classes under pricing: in the cluster file)");
}

Outlook OutlookOfLayout(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p,
                        const StackSpec& stack, double tokens, double steps, double step_time_s,
                        double mfu, const PricingClass& pricing, const ErrorBand& band) {
  OutlookInputs in;
  in.tokens = tokens;
  in.steps = steps;
  in.step_time_s = step_time_s;
  in.mfu = mfu;
  SetCheckpoint(m, c, p, StackOptions(stack, c).memory, &in);
  return ComputeOutlook(c, p.gpus(), in, pricing, band);
}

std::optional<Outlook> ExplainOutlook(const po::variables_map& vm, const ModelSpec& m,
                                      const ClusterSpec& c, const ParallelConfig& p,
                                      const StackSpec& stack, const StepTime& t,
                                      std::optional<double> tokens) {
  if (!tokens) return std::nullopt;
  ClusterSpec priced = c;
  const PricingClass pricing = ApplyOutlookFlags(ParseOutlookFlags(vm), &priced);
  const double steps = *tokens / (static_cast<double>(p.global_batch) * m.seq_len);
  return OutlookOfLayout(m, priced, p, stack, *tokens, steps, t.step_time_s, t.mfu, pricing,
                         StepBandFor(priced, stack.name, m));
}

void PrintOutlook(const Outlook& o, std::ostream& out) {
  out << "\nExpected run (goodput-adjusted; the wall-clock figure above is the ideal):\n";
  for (const std::string& line : OutlookLines(o)) out << "  " << line << "\n";
}

ErrorBand StepBandFor(const ClusterSpec& c, const std::string& stack, const ModelSpec& m) {
  return StepTimeBand(c, stack, m.is_moe());
}

std::string BandSideNote(const ErrorBand& band) {
  if (band.records <= 0) return "";
  if (band.p90_factor < 1)
    return "; the prediction lies above it: those records ran faster than predicted";
  if (band.p10_factor > 1)
    return "; the prediction lies below it: those records ran slower than predicted";
  return "";
}

std::string DaysText(double days) {
  if (!std::isfinite(days)) return "never";
  if (days >= 99.95) return GroupedRound(days);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", days);
  return buf;
}

std::string UsdText(double usd) { return std::isfinite(usd) ? "$" + GroupedRound(usd) : "never"; }

std::vector<std::string> OutlookLines(const Outlook& o) {
  const Goodput& g = o.goodput;
  std::vector<std::string> lines;
  lines.push_back("expected days: " + DaysText(o.expected.days) + " (P10-P90 " +
                  RangeText(o.bands.days, DaysText) + "; ideal " + DaysText(o.ideal.days) +
                  " without failures)");
  lines.push_back("expected cost: " + UsdText(o.expected.cost_usd) + " (P10-P90 " +
                  RangeText(o.bands.cost_usd, UsdText) + "; ideal " + UsdText(o.ideal.cost_usd) +
                  ") at $" + Fixed(o.pricing.usd_per_gpu_hour, 2) + "/GPU-h " + o.pricing.name +
                  ", " + GroupedRound(o.expected.gpu_hours) + " GPU-hours");
  lines.push_back("goodput: " + Percent(g.goodput) + " (P10-P90 " + Percent(o.bands.goodput.p10) +
                  "-" + Percent(o.bands.goodput.p90) +
                  "); interruptions: " + Sig3(g.interruptions) + " expected, one every " +
                  (std::isfinite(g.mtbf_h) ? Fixed(g.mtbf_h, 2) + " h" : std::string("never")) +
                  (o.pricing.preemptions_per_node_hour > 0 ? " (incl. spot preemptions)" : ""));
  lines.push_back(
      "checkpoint: every " + HoursText(g.interval_s) +
      (g.interval_is_daly ? " (Daly optimum)" : " (reliability.checkpoint_interval_s)") + ", " +
      Si(o.checkpoint_bytes) + "B written in " + HoursText(g.checkpoint_write_s) + " (" +
      Si(o.checkpoint_bytes_per_gpu) + "B per GPU at most), overhead " +
      Percent(g.checkpoint_overhead()) + "; restart " + HoursText(g.restart_s) + ", lost work " +
      Sig3(g.lost_hours / 24) + " days");
  if (o.energy.mwh > 0) {
    lines.push_back("energy: " + Mwh(o.energy.mwh) + " MWh (P10-P90 " + Mwh(o.mwh.p10) + "-" +
                    Mwh(o.mwh.p90) + "), " + Sig3(o.energy.joules_per_token) + " J/token, " +
                    Sig3(o.energy.facility_kW) + " kW facility at " + GroupedRound(o.energy.gpu_W) +
                    " W per GPU; " + Tonnes(o.energy.tco2e) + " tCO2e (P10-P90 " +
                    Tonnes(o.tco2e.p10) + "-" + Tonnes(o.tco2e.p90) + "); electricity " +
                    UsdText(o.energy.electricity_usd) + " beside the GPU rental");
  } else {
    lines.push_back("energy: the cluster file gives no gpu.tdp_W");
  }
  lines.push_back("bands: step time " +
                  (o.step_band.records > 0
                       ? Fixed(o.step_band.p10_factor, 2) + "-" + Fixed(o.step_band.p90_factor, 2) +
                             "x (" + o.step_band.basis + ")"
                       : o.step_band.basis) +
                  "; failure rate " + Fixed(o.rate_factor.p10, 2) + "-" +
                  Fixed(o.rate_factor.p90, 2) + "x; seeded Monte Carlo, " +
                  std::to_string(o.bands.samples) + " samples");
  return lines;
}

nlohmann::ordered_json OutlookJson(const Outlook& o) {
  const Goodput& g = o.goodput;
  return {{"ideal", FiguresJson(o.ideal)},
          {"expected",
           {{"days", Finite(o.expected.days)},
            {"gpu_hours", Finite(o.expected.gpu_hours)},
            {"cost_usd", Finite(o.expected.cost_usd)}}},
          {"bands",
           {{"days", BandJson(o.bands.days)},
            {"cost_usd", BandJson(o.bands.cost_usd)},
            {"goodput", BandJson(o.bands.goodput)},
            {"mwh", BandJson(o.mwh)},
            {"tco2e", BandJson(o.tco2e)},
            {"samples", o.bands.samples},
            {"step_time_band",
             {{"p10_factor", o.step_band.p10_factor},
              {"p90_factor", o.step_band.p90_factor},
              {"records", o.step_band.records},
              {"basis", o.step_band.basis}}}}},
          {"pricing",
           {{"class", o.pricing.name},
            {"usd_per_gpu_hour", o.pricing.usd_per_gpu_hour},
            {"preemptions_per_node_hour", o.pricing.preemptions_per_node_hour}}},
          {"goodput",
           {{"fraction", g.goodput},
            {"interruptions", Finite(g.interruptions)},
            {"interruptions_per_hour", g.interruptions_per_hour},
            {"mtbf_hours", Finite(g.mtbf_h)},
            {"checkpoint_interval_s", g.interval_s},
            {"checkpoint_interval_rule", g.interval_is_daly ? "daly" : "fixed"},
            {"checkpoint_write_s", g.checkpoint_write_s},
            {"checkpoint_overhead", g.checkpoint_overhead()},
            {"checkpoint_bytes", o.checkpoint_bytes},
            {"checkpoint_bytes_per_gpu", o.checkpoint_bytes_per_gpu},
            {"restart_s", g.restart_s},
            {"lost_work_hours", Finite(g.lost_hours)},
            {"restart_hours", Finite(g.restart_hours)},
            {"checkpoint_hours", g.checkpoint_hours}}},
          {"energy",
           {{"utilisation", o.utilisation},
            {"gpu_W", o.energy.gpu_W},
            {"facility_kW", o.energy.facility_kW},
            {"mwh", Finite(o.energy.mwh)},
            {"joules_per_token", Finite(o.energy.joules_per_token)},
            {"tco2e", Finite(o.energy.tco2e)},
            {"electricity_usd", Finite(o.energy.electricity_usd)}}}};
}

std::string OutlookAssumptions(const ClusterSpec& c) {
  const ReliabilitySpec& r = c.reliability;
  const PowerSpec& p = c.power;
  return "expected = goodput-adjusted (docs/goodput.md): " + Sci(r.interruptions_per_gpu_hour, 3) +
         " interruptions per GPU-hour (Llama 3's 419 in 54 days on 16,384 H100 unless the cluster "
         "file says otherwise), restart " +
         GroupedRound(r.detect_s + r.relaunch_s) + " s + checkpoint load, storage " +
         GroupedRound(c.storage.write_GBps) + " GB/s, Daly's checkpoint interval; energy at PUE " +
         Fixed(p.pue, 2) + ", " + Fixed(p.grid_kg_per_kWh, 3) + " kg CO2e/kWh, $" +
         Fixed(p.usd_per_kWh, 3) + "/kWh";
}

std::vector<Column> BandColumns(const std::string& header, const std::string& p10_key,
                                const std::string& p90_key) {
  return {{header, true, "", Shown::kText},
          {header + " P10", true, p10_key, Shown::kData},
          {header + " P90", true, p90_key, Shown::kData}};
}

std::vector<Cell> BandCells(std::optional<Band> band, std::string (*text)(double)) {
  if (!band) return {Cell("-"), Cell(), Cell()};
  return {Cell(text(band->p10) + "-" + text(band->p90)), Cell(text(band->p10), band->p10),
          Cell(text(band->p90), band->p90)};
}

std::optional<Band> StepTimeBand(const ErrorBand& b, double step_time_s) {
  if (b.records == 0) return std::nullopt;
  return Band{step_time_s * b.p10_factor, step_time_s * b.p90_factor};
}

std::vector<Cell> StepBandCells(const ErrorBand& b, double step_time_s) {
  return BandCells(StepTimeBand(b, step_time_s), [](double s) { return Fixed(s, 2); });
}

void AddBandFields(const Outlook& o, double step_time_s, nlohmann::ordered_json* j) {
  const std::optional<Band> step = StepTimeBand(o.step_band, step_time_s);
  (*j)["step_time_p10_s"] = step ? nlohmann::ordered_json(step->p10) : nullptr;
  (*j)["step_time_p90_s"] = step ? nlohmann::ordered_json(step->p90) : nullptr;
  (*j)["days_p10"] = o.bands.days.p10;
  (*j)["days_p90"] = o.bands.days.p90;
  (*j)["cost_usd_p10"] = o.bands.cost_usd.p10;
  (*j)["cost_usd_p90"] = o.bands.cost_usd.p90;
}

std::vector<Cell> DaysBandCells(const Outlook& o) { return BandCells(o.bands.days, DaysText); }

std::vector<Cell> CostBandCells(const Outlook& o) {
  return BandCells(o.bands.cost_usd, [](double usd) { return GroupedRound(usd); });
}

}  // namespace planner
