// planner validate RUNS.yaml [--fit]: predicts every published run whose layout is stated
// (tests/data/runs.yaml) and compares step time, the source's own throughput metric and, where
// measured, memory. Prints the MAPE overall, per source and per GPU generation, the worst run,
// and the leave-one-source-out error (fit on the other sources, predict the held-out one).
// Without --fit the presets' efficiency blocks are used as they are; with --fit the few global
// efficiency terms are refitted per GPU generation and printed, ready to paste into the presets.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>

#include "planner/cli/command.h"
#include "planner/cli/validate_report.h"
#include "planner/core/fit.h"
#include "planner/core/memory.h"
#include "planner/core/units.h"
#include "planner/io/emit.h"
#include "planner/io/error_bands_io.h"
#include "planner/io/format.h"
#include "planner/io/input_error.h"
#include "planner/io/output_file.h"
#include "planner/io/runs_io.h"

namespace planner {
namespace {

using validate::AllErrors;
using validate::Bias;
using validate::BuildReport;
using validate::Evaluated;
using validate::Generation;
using validate::Group;
using validate::GroupErrors;
using validate::HeldOutMape;
using validate::LayoutText;
using validate::Report;
using validate::ReportJson;
using validate::Transfer;
using validate::Worst;

std::string MetricText(double v, RunMetric m) {
  if (m == RunMetric::kIterationTime) return Fixed(v, 2);
  if (v >= 1e4) return Grouped(static_cast<Count>(v + 0.5));
  return Fixed(v, 1);
}

Table RunsTable(const Report& r) {
  Table t;
  t.title = "Predicted vs measured, per run (step time in s; memory in GiB = torch max reserved)";
  // Keys as in the JSON's runs[].
  t.columns = {{"run", false, "id"},
               {"source", false},
               {"GPUs", true, "gpus"},
               {"layout", false},
               {"step meas", true, "measured_step_time_s"},
               {"step pred", true, "predicted_step_time_s"},
               {"error"},
               {"metric", false},
               {"meas", true, "measured_metric"},
               {"pred", true, "predicted_metric"},
               {"mem meas", true, "measured_memory_GiB"},
               {"mem pred", true, "predicted_memory_GiB"},
               {"mem error", true, "memory_error"}};
  for (const Evaluated& e : r.evaluated) {
    const ValidationRun& v = *e.run;
    const double metric_pred = MetricFromStepTime(v, e.time.step_time_s);
    std::vector<Cell> row = {
        v.run.id,
        v.run.source,
        Cell(std::to_string(v.run.layout.gpus()), static_cast<double>(v.run.layout.gpus())),
        LayoutText(v.run.layout),
        FixedCell(v.run.measured_step_time_s, 3),
        FixedCell(e.time.step_time_s, 3),
        Cell(SignedPercent(e.error), e.error),
        MetricUnit(v.metric),
        Cell(MetricText(v.metric_value, v.metric), v.metric_value),
        Cell(MetricText(metric_pred, v.metric), metric_pred)};
    if (e.memory && v.measured_memory_GiB) {
      const double pred_GiB = BytesToGiB(ReservedBytes(*e.memory));
      row.insert(row.end(), {FixedCell(*v.measured_memory_GiB, 1), FixedCell(pred_GiB, 1),
                             Cell(SignedPercent(e.memory_error), e.memory_error)});
    } else {
      row.resize(t.columns.size());
    }
    t.AddRow(std::move(row));
  }
  return t;
}

// Each source's FLOP convention beside the exact count, and the MFU both imply, so sources that
// count differently (recompute in or out, causal or not, embeddings in N or not) line up.
Table FlopsTable(const Report& r) {
  Table t;
  t.title = "FLOP accounting per source, aligned (PFLOP per step; MFU vs the 16-bit dense peak)";
  t.columns = {{"run", false},   {"source accounting", false},
               {"source"},       {"exact model"},
               {"source/exact"}, {"MFU meas"},
               {"MFU pred"},     {"tokens/s/GPU meas"},
               {"pred"}};
  for (const Evaluated& e : r.evaluated) {
    const ValidationRun& v = *e.run;
    const double source = SourceStepFlops(v), exact = e.time.model_flops;
    const double gpus = static_cast<double>(v.run.layout.gpus());
    const double tokens = static_cast<double>(v.run.layout.global_batch) * v.run.model.seq_len;
    // Against the datasheet peak, as the sources quote MFU, also for a power-capped GPU.
    const double mfu_pred = e.time.mfu * v.peak_scale;
    const double mfu_meas = mfu_pred * e.time.step_time_s / v.run.measured_step_time_s;
    t.AddRow({v.run.id, ToString(v.accounting), Fixed(source / 1e15, 1), Fixed(exact / 1e15, 1),
              Fixed(source / exact, 3), Percent(mfu_meas, 1), Percent(mfu_pred, 1),
              Grouped(static_cast<Count>(tokens / v.run.measured_step_time_s / gpus + 0.5)),
              Grouped(static_cast<Count>(e.time.tokens_per_s_per_gpu + 0.5))});
  }
  t.notes = {
      "exact model = every matmul, forward + 2x backward, causal attention counted in full "
      "(as the published conventions do), no recompute."};
  return t;
}

Table SummaryTable(const Report& r) {
  Table t;
  t.title = "Step-time error (MAPE = mean |predicted / measured - 1|)";
  t.columns = {{"group", false}, {"runs"}, {"MAPE"}, {"worst"}, {"worst run", false}};
  auto add = [&](const std::string& name, const Group& g) {
    t.AddRow({name, std::to_string(g.errors.size()), Percent(Mape(g.errors), 2),
              SignedPercent(g.worst), g.worst_id});
  };
  for (const Group& g : GroupErrors(r, true)) add("source " + g.name, g);
  for (const Group& g : GroupErrors(r, false)) add("generation " + g.name, g);
  t.AddRule();
  Group all{"all", AllErrors(r), "", 0};
  for (const Evaluated& e : r.evaluated) {
    if (std::abs(e.error) >= std::abs(all.worst)) {
      all.worst = e.error;
      all.worst_id = e.run->run.id;
    }
  }
  add("all public runs", all);
  return t;
}

// MoE runs against their measurements, apart from the dense ones: their all-to-all, expert GEMMs
// and load balance are priced by moe_cost.h with the dense efficiency terms, not fitted.
Table MoeTable(const Report& r) {
  Table t;
  t.title =
      "MoE runs (priced with the dense terms, not fitted; not in the MAPEs above; the band of an "
      "MoE "
      "model is theirs, 'moe' above)";
  t.columns = {{"run", false}, {"GPUs"},       {"layout", false}, {"step meas"}, {"step pred"},
               {"error"},      {"ep a2a (s)"}, {"exposed (s)"},   {"MFU pred"}};
  std::vector<double> errors;
  for (const Evaluated& e : r.moe) {
    const ValidationRun& v = *e.run;
    errors.push_back(e.error);
    t.AddRow({v.run.id, std::to_string(v.run.layout.gpus()),
              LayoutText(v.run.layout) + " ep" + std::to_string(v.run.layout.ep),
              Fixed(v.run.measured_step_time_s, 3), Fixed(e.time.step_time_s, 3),
              SignedPercent(e.error), Fixed(e.time.ep_comm_s, 3), Fixed(e.time.ep_exposed_s, 3),
              Percent(e.time.mfu, 1)});
  }
  if (!errors.empty()) {
    t.AddRule();
    t.AddRow({"all MoE runs", std::to_string(errors.size()), "", "", "",
              "MAPE " + Percent(Mape(errors), 2), "", "", ""});
  }
  return t;
}

Table NotFittingTable(const Report& r) {
  Table t;
  t.title =
      "Runs the memory model puts above their GPU's usable memory (they ran: over-predicted, or "
      "a choice the record leaves unstated, such as recompute, differs)";
  t.columns = {{"run", false},    {"stack", false}, {"GPU preset", false},
               {"layout", false}, {"pred (GiB)"},   {"usable (GiB)"},
               {"over"}};
  int over = 0, priced = 0;
  for (const std::vector<Evaluated>* runs : {&r.evaluated, &r.moe}) {
    for (const Evaluated& e : *runs) {
      ++priced;
      if (e.fits()) continue;
      ++over;
      const ValidationRun& v = *e.run;
      t.AddRow({v.run.id, v.stack.name, v.cluster_preset, LayoutText(v.run.layout),
                Fixed(e.predicted_total_GiB, 1), Fixed(e.usable_GiB, 1),
                SignedPercent(e.predicted_total_GiB / e.usable_GiB - 1)});
    }
  }
  t.AddRule();
  t.AddRow({std::to_string(over) + " of " + std::to_string(priced) + " priced runs", "", "", "", "",
            "", ""});
  return t;
}

// The terms a fit moved, with their values.
std::string FittedParams(const FitResult& f) {
  std::string out;
  for (FitParameter p : f.fitted) {
    const double v = FitValue(f.efficiency, p);
    out += (out.empty() ? "" : ", ") + std::string(ToString(p)) + " " +
           (p == FitParameter::kGemmHalfFlops ? Sci(v, 3) : Fixed(v, 3));
  }
  return out;
}

std::string FittedNames(const FitResult& f) {
  std::string out;
  for (FitParameter p : f.fitted) out += (out.empty() ? "" : ", ") + std::string(ToString(p));
  return out;
}

std::string Params(const EfficiencySpec& e) {
  return "gemm_max " + Fixed(e.gemm_max, 3) + ", gemm_half_flops " + Sci(e.gemm_half_flops, 3) +
         ", hbm_fraction " + Fixed(e.hbm_fraction, 3) + ", attention_fraction " +
         Fixed(e.attention_fraction, 3);
}

// Every predicted record out of sample: a fitted generation's records under the fit without
// their source; a generation too small to fit (CanFit) under the terms its presets carry from
// another generation. The carried pool (kCarriedGeneration) holds the latter again and every
// CarriedTransfers record; the MoE pool (kMoeGeneration) the MoE records, never fitted on.
std::vector<HeldOutResidual> HeldOutResiduals(const Report& r) {
  std::vector<HeldOutResidual> out;
  auto add = [&](const MeasuredRun& run, double error, const std::string& generation) {
    // The MFU is filled below.
    out.push_back({run.id, generation, run.stack, error, 0, LayoutFeatures(run.layout),
                   MfuClassOf(run.layout.dtype)});
  };
  for (const Transfer& t : r.carried) {
    for (size_t i = 0; i < t.runs.size(); ++i) add(*t.runs[i], t.errors[i], kCarriedGeneration);
  }
  for (const Evaluated& e : r.moe) add(e.run->run, e.error, kMoeGeneration);
  for (const Generation& g : r.generations) {
    if (g.held_out.empty()) {
      for (const Evaluated& e : r.evaluated) {
        if (e.run->run.generation != g.name) continue;
        add(e.run->run, e.error, g.name);
        add(e.run->run, e.error, kCarriedGeneration);
      }
      continue;
    }
    for (const HeldOutSource& h : g.held_out) {
      size_t k = 0;
      for (const MeasuredRun& run : g.runs) {
        if (run.source == h.source) add(run, h.errors[k++], g.name);
      }
    }
  }
  for (HeldOutResidual& h : out) {
    // The ceilings are per GPU generation, of dense runs.
    if (h.generation == kCarriedGeneration || h.generation == kMoeGeneration) continue;
    for (const Evaluated& e : r.evaluated) {
      // Each precision has its own ceiling (h.precision): fp8/fp4 runs are quoted against the
      // 16-bit peak too.
      if (e.run->run.id != h.id) continue;
      h.measured_mfu =
          e.time.mfu * e.run->peak_scale * e.time.step_time_s / e.run->run.measured_step_time_s;
    }
  }
  return out;
}

Table BandsTable(const std::vector<BandEntry>& bands) {
  Table t;
  t.title = "Step-time bands (P10-P90 of measured / predicted, out of sample; '-': fewer than " +
            std::to_string(kMinBandRecords) + " records, no band) and MFU ceilings";
  t.columns = {{"generation", false}, {"stack", false}, {"records"},     {"P10"},        {"P90"},
               {"max 16-bit MFU"},    {"run", false},   {"max fp8 MFU"}, {"max fp4 MFU"}};
  auto mfu = [](const MfuCeiling& c) { return c.mfu > 0 ? Percent(c.mfu, 1) : "-"; };
  for (const BandEntry& e : bands) {
    const bool band = e.band.records >= kMinBandRecords;
    const MfuCeiling& sixteen = e.ceiling(MfuClass::k16Bit);
    t.AddRow({e.generation.empty() ? "all" : e.generation, e.stack.empty() ? "all" : e.stack,
              std::to_string(e.band.records), band ? Fixed(e.band.p10_factor, 3) : "-",
              band ? Fixed(e.band.p90_factor, 3) : "-", mfu(sixteen), sixteen.run,
              mfu(e.ceiling(MfuClass::kFp8)), mfu(e.ceiling(MfuClass::kFp4))});
  }
  t.notes = {
      "MFU ceilings of this file's records; the shipped bands also count the runs no fit "
      "uses (--write-bands with --ceilings-from tests/data/heldout/*.yaml)"};
  return t;
}

Table HeldOutTable(const Report& r) {
  Table t;
  t.title = "Leave-one-source-out: fit on the generation's other sources, predict the held-out one";
  t.columns = {{"generation", false},       {"held out", false}, {"runs"},
               {"MAPE held out"},           {"worst"},           {"MAPE on fitted"},
               {"fitted parameters", false}};
  std::vector<double> all;
  for (const Generation& g : r.generations) {
    for (const HeldOutSource& h : g.held_out) {
      all.insert(all.end(), h.errors.begin(), h.errors.end());
      t.AddRow({g.name, h.source, std::to_string(h.runs), Percent(h.mape, 2),
                SignedPercent(Worst(h.errors)), Percent(h.fit.mape, 2), FittedParams(h.fit)});
    }
  }
  for (const Generation& g : r.generations) {
    if (!g.held_out.empty()) continue;
    std::vector<double> errors;
    for (const Evaluated& e : r.evaluated) {
      if (e.run->run.generation == g.name) errors.push_back(e.error);
    }
    all.insert(all.end(), errors.begin(), errors.end());
    t.AddRow({g.name, "all (too few to fit)", std::to_string(errors.size()),
              Percent(Mape(errors), 2), SignedPercent(Worst(errors)), "",
              "carried: " + g.preset.source});
  }
  t.AddRule();
  t.AddRow({"all", "", std::to_string(all.size()), Percent(Mape(all), 2), "", "", ""});
  return t;
}

Table CarriedTable(const Report& r) {
  Table t;
  t.title =
      "Terms carried across generations: each fitted generation's runs priced with the other's "
      "fitted terms, as a GPU without its own fit is (the band of such GPUs; not in the MAPEs "
      "above)";
  t.columns = {{"runs of", false}, {"terms of", false}, {"runs"},
               {"MAPE"},           {"mean error"},      {"worst"}};
  for (const Transfer& x : r.carried) {
    t.AddRow({x.onto, x.from, std::to_string(x.errors.size()), Percent(Mape(x.errors), 2),
              SignedPercent(Bias(x.errors)), SignedPercent(Worst(x.errors))});
  }
  return t;
}

std::string SourcesText(const Generation& g) {
  std::string s;
  for (const std::string& src : g.sources) s += (s.empty() ? "" : ", ") + src;
  return s;
}

// The block to paste into the generation's cluster presets.
void PrintFit(const Generation& g, std::ostream& out) {
  const FitResult& f = *g.fit;
  out << "Fitted " << g.name << " (" << g.runs.size() << " runs; " << f.evaluations
      << " model evaluations): " << FittedParams(f) << "\n"
      << "# fitted by `planner validate tests/data/runs.yaml --fit` over " << g.runs.size()
      << " records (" << SourcesText(g) << "), in-sample MAPE " << Percent(f.mape, 2)
      << ", leave-one-source-out " << Percent(HeldOutMape(g), 2) << "\n"
      << "efficiency:\n"
      << "  gemm_max: " << Fixed(f.efficiency.gemm_max, 4) << "\n"
      << "  gemm_half_flops: " << Sci(f.efficiency.gemm_half_flops, 4) << "\n"
      << "  collective_bw_fraction: " << Fixed(f.efficiency.collective_bw_fraction, 4) << "\n"
      << "  scaleout_bw_fraction: " << Fixed(f.efficiency.scaleout_bw_fraction, 4) << "\n"
      << "  hbm_fraction: " << Fixed(f.efficiency.hbm_fraction, 4) << "\n"
      << "  fp8_gemm_fraction: " << Fixed(f.efficiency.fp8_gemm_fraction, 4) << "\n"
      << "  fp4_gemm_fraction: " << Fixed(f.efficiency.fp4_gemm_fraction, 4) << "\n"
      << "  attention_fraction: " << Fixed(f.efficiency.attention_fraction, 4) << "\n"
      << "  source: planner validate tests/data/runs.yaml --fit (" << g.name << ", "
      << g.runs.size() << " runs"
      << (g.scope == FitScope::kGemmMaxOnly
              ? ", all fp8 or fp4, " + std::string(kGemmTermsAloneNote) + " (" + FittedNames(f) +
                    "); the other terms as the preset carries them"
              : "")
      << ")\n\n";
}

void PrintNotes(const Report& r, std::ostream& out) {
  out << "Notes:\n";
  std::map<std::string, int> seen;
  for (const ValidationRun& v : r.runs) {
    if (!v.unread_keys.empty()) {
      out << "  " << v.run.id
          << " states keys validate does not read (ignored): " << Join(v.unread_keys, ", ") << "\n";
    }
    if (v.skipped()) {
      out << "  skipped " << v.run.id << ": " << v.skip_reason << "\n";
      continue;
    }
    if (!v.hardware_note.empty() && seen[v.hardware_note]++ == 0) {
      out << "  " << v.run.source << ": " << v.hardware_note << "\n";
    }
    for (const std::string& a : v.assumptions) {
      if (seen[v.run.source + a]++ == 0) out << "  " << v.run.source << ": " << a << "\n";
    }
  }
  for (const Generation& g : r.generations) {
    out << "  " << g.name << " efficiency " << (g.fit ? "refitted: " : "from the presets: ")
        << Params(g.used()) << "\n";
  }
}

void PrintText(const Report& r, std::ostream& out) {
  int skipped = 0;
  for (const ValidationRun& v : r.runs) skipped += v.skipped() ? 1 : 0;
  out << r.runs.size() << " published runs: " << r.evaluated.size() << " predicted, "
      << r.moe.size() << " MoE runs priced apart, " << skipped
      << " skipped (a value pricing needs not stated)\n\n";
  std::vector<Table> tables = {RunsTable(r), FlopsTable(r), SummaryTable(r), HeldOutTable(r)};
  // Only with two fitted generations to carry between.
  if (!r.carried.empty()) tables.push_back(CarriedTable(r));
  tables.push_back(BandsTable(BuildBands(HeldOutResiduals(r))));
  tables.push_back(MoeTable(r));
  tables.push_back(NotFittingTable(r));
  for (const Table& t : tables) {
    RenderText(t, out);
    out << "\n";
  }
  for (const Generation& g : r.generations) {
    if (g.fit) PrintFit(g, out);
  }
  PrintNotes(r, out);
}

// Keys a record states that no rule reads are listed under Notes (and in the JSON); one line on
// stderr says there are some, so that a misnamed key that is no near miss is not missed.
void WarnUnreadKeys(const std::string& file, const Report& r) {
  int records = 0;
  std::string first;
  for (const ValidationRun& v : r.runs) {
    if (v.unread_keys.empty()) continue;
    if (records++ == 0) first = v.unread_keys.front();
  }
  if (records == 0) return;
  std::cerr << "planner: warning: " << file << ": " << records
            << (records == 1 ? " record states" : " records state")
            << " keys validate does not read, e.g. " << first << "; ignored (listed under Notes)\n";
}

}  // namespace

int RunValidateBench(const std::vector<std::string>& args);  // validate_bench.cc

int RunValidate(const std::vector<std::string>& args) {
  // --bench checks collective times against a fresh commbench run instead of published runs.
  for (const std::string& a : args) {
    if (a == "--bench" || a.starts_with("--bench=")) return RunValidateBench(args);
  }
  po::options_description options("planner validate options");
  options.add_options()("fit", po::bool_switch(),
                        "refit the efficiency terms per GPU generation and print them")(
      "write-bands", po::value<std::string>(),
      "write the step-time error bands (configs/validation/error_bands.yaml) here")(
      "ceilings-from", po::value<std::vector<std::string>>()->composing(),
      "with --write-bands: published runs the fit never uses (tests/data/heldout/*.yaml) whose "
      "measured MFUs also count toward the written MFU ceilings (repeatable)");
  AddFormatOption(&options);
  po::variables_map vm;
  const std::optional<OutputFormat> format = ParseFormattedCommandLine(
      "validate",
      "RUNS.yaml [--fit] [--format F]\n"
      "   or: planner validate --bench FRESH.json --cluster C [--model M] "
      "(`planner validate --bench X --help`)",
      options, {"runs"}, args, &vm);
  if (!format) return 0;
  if (vm.count("ceilings-from") && !vm.count("write-bands")) {
    throw InputError("--ceilings-from", "only with --write-bands (it raises the written ceilings)");
  }
  const Report r = BuildReport(vm["runs"].as<std::string>(), vm["fit"].as<bool>());
  WarnUnreadKeys(vm["runs"].as<std::string>(), r);
  if (vm.count("write-bands")) {
    const std::string runs = vm["runs"].as<std::string>();
    std::vector<BandEntry> bands = BuildBands(HeldOutResiduals(r));
    std::string command = "planner validate " + runs + " --write-bands";
    std::vector<std::string> inputs = {runs};
    if (vm.count("ceilings-from")) {
      for (const std::string& more : vm["ceilings-from"].as<std::vector<std::string>>()) {
        RaiseCeilings(HeldOutResiduals(BuildReport(more, false)), &bands);
        command += " --ceilings-from " + more;
        inputs.push_back(more);
      }
    }
    WriteOutputFile("--write-bands", vm["write-bands"].as<std::string>(),
                    BandsToYaml(bands, command), inputs);
  }
  Emit(*format, {[&] { return ReportJson(r); }, [&] { return RunsTable(r); },
                 [&](std::ostream& out) { PrintText(r, out); }});
  return 0;
}

}  // namespace planner
