#include "planner/cli/size_report.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "planner/cli/report.h"
#include "planner/core/fit.h"
#include "planner/core/units.h"
#include "planner/io/emit.h"
#include "planner/io/error_bands_io.h"
#include "planner/io/format.h"
#include "planner/io/runs_file_io.h"

namespace planner {
namespace {

constexpr const char* kAboveMeasuredMark = "above measured MFU";

// Where RowsTable puts each band, beside its figure (positions in the columns before any band is
// inserted; inserted from the right, so that each counts the base columns).
constexpr size_t kStepBandAt = 6, kDaysBandAt = 9, kCostBandAt = 13;

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
  const std::vector<size_t>& above = m.above_measured_mfu;
  if (std::find(above.begin(), above.end(), i) != above.end()) out.push_back(kAboveMeasuredMark);
  return out;
}

// Per GPU type with a marked row: the ceiling the mark compares with.
std::vector<std::string> AboveMeasuredNotes(const std::vector<SizeGpuType>& types,
                                            const SizingMarks& m) {
  std::vector<std::string> notes;
  for (const SizeGpuType& g : types) {
    const auto marked = [&](size_t i) {
      return i >= g.first_row && i < g.first_row + g.sizing.rows.size();
    };
    if (std::none_of(m.above_measured_mfu.begin(), m.above_measured_mfu.end(), marked)) continue;
    const MfuCeiling& c = *g.mfu_ceiling;
    notes.push_back(std::string(kAboveMeasuredMark) + " (" + g.cluster.name + "): MFU above " +
                    Percent(c.mfu) + ", the highest " + ToString(MfuClassOf(g.dtype)) +
                    " MFU a published " + GpuGeneration(g.cluster.gpu) + " run measured (" + c.run +
                    "); treat such rows as optimistic");
  }
  return notes;
}

std::string Describe(const SizingRow& row) {
  return row.fits ? planner::Describe(row.layout)
                  : std::string("no layout fits (mostly: ") + ToString(row.top_rejection) + ")";
}

// Keys as in the JSON (gpu_types[].cluster, model.name, tokens; rows[]).
Table RowsTable(const std::vector<SizeGpuType>& types, const std::vector<SizingRow>& rows,
                const SizeOutlooks& outlooks, const SizingMarks& marks) {
  Table t;
  t.columns = {{"GPU type", false, "cluster"},
               {"model", false, "name", Shown::kData},
               {"tokens", true, "tokens", Shown::kData},
               {"GPUs", true, "gpus"},
               {"layout", false, "describe"},
               {"step (s)", true, "step_time_s"},
               {"MFU", true, "mfu"},
               {"tokens/s/GPU", true, "tokens_per_s_per_gpu"},
               {"days"},
               {"ideal days", true, "ideal_days"},
               {"goodput"},
               {"GPU-hours", true, "gpu_hours"},
               {"cost (USD)", true, "cost_usd"},
               {"ideal cost", true, "ideal_cost_usd"},
               {"scaling", true, "scaling_efficiency"},
               {"marginal", true, "marginal_efficiency"},
               {"mark", false, "marks"}};
  InsertAt(&t.columns, kCostBandAt, BandColumns("cost P10-P90", "cost_usd_p10", "cost_usd_p90"));
  InsertAt(&t.columns, kDaysBandAt, BandColumns("days P10-P90", "days_p10", "days_p90"));
  InsertAt(&t.columns, kStepBandAt,
           BandColumns("step P10-P90", "step_time_p10_s", "step_time_p90_s"));
  for (const SizeGpuType& g : types) {
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
        row.insert(
            row.end(),
            {num(Fixed(r.step_time_s, 2), r.step_time_s), num(Percent(r.mfu), r.mfu),
             num(GroupedRound(r.tokens_per_s_per_gpu), r.tokens_per_s_per_gpu),
             num(DaysText(r.run.days), r.run.days), num(DaysText(o.ideal.days), o.ideal.days),
             num(Percent(o.goodput.goodput), o.goodput.goodput),
             num(GroupedRound(r.run.gpu_hours), r.run.gpu_hours),
             num(GroupedRound(r.run.cost_usd), r.run.cost_usd),
             num(GroupedRound(o.ideal.cost_usd), o.ideal.cost_usd),
             num(Percent(r.scaling_efficiency, 0), r.scaling_efficiency),
             r.marginal_efficiency ? num(Percent(*r.marginal_efficiency, 0), *r.marginal_efficiency)
                                   : Cell(),
             Join(MarksOf(i, marks), "; ")});
        InsertAt(&row, kCostBandAt, CostBandCells(o));
        InsertAt(&row, kDaysBandAt, DaysBandCells(o));
        InsertAt(&row, kStepBandAt, StepBandCells(o.step_band, r.step_time_s));
      }
      t.AddRow(std::move(row));
    }
  }
  return t;
}

// Why the outlook row is the one to buy, as the end of the choice sentence.
std::string ChoiceReason(const SizeRequest& r, const std::vector<SizingRow>& rows,
                         const SizingMarks& m) {
  const SizingCriteria& c = r.criteria;
  if (m.cheapest_meeting_both) {
    return "the cheapest run that finishes within " + SizeNumber(*c.deadline_days) +
           " days and costs at most " + SizeDollars(*c.budget_usd);
  }
  if (m.cheapest_meeting_deadline) {
    return "the cheapest run that finishes within " + SizeNumber(*c.deadline_days) + " days";
  }
  if (m.fastest_within_budget) {
    return "the fastest run that costs at most " + SizeDollars(*c.budget_usd);
  }
  const size_t fitting =
      std::count_if(rows.begin(), rows.end(), [](const SizingRow& row) { return row.fits; });
  if (r.chinchilla_usd) {
    return "the cheapest run, the one " + SizeDollars(*r.chinchilla_usd) +
           " pays for before failures (larger counts cost more)";
  }
  if (fitting == 1) {
    return r.gpu_counts && rows.size() == 1 ? "the count asked for (--gpus)"
                                            : "the only count that fits of those searched";
  }
  return "the cheapest run searched (no --deadline-days or --budget-usd to trade cost for time)";
}

// One sentence: the run recommended and why; empty when nothing fits.
std::string ChoiceSentence(const SizeRequest& r, const std::vector<SizingRow>& rows,
                           const SizingMarks& m) {
  const std::optional<size_t> i = OutlookRow(m);
  if (!i) return "";
  return "Choice: " + SizeRowText(rows[*i]) + ", " + ChoiceReason(r, rows, m) + ".";
}

// Which GPU counts were searched, in words.
std::string CountsText(const SizeRequest& r) {
  if (r.gpu_counts) return "GPU counts " + r.gpu_counts->text + " (--gpus)";
  return "whole nodes 1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, ... up to " +
         Grouped(r.max_gpus) + " GPUs";
}

std::string Title(const std::vector<SizeGpuType>& types, const SizeRequest& r) {
  const SizeGpuType& g = types.front();
  const std::string batch = Grouped(g.global_batch) + " x " + Grouped(g.model.seq_len) + " tokens";
  if (r.chinchilla_usd) {
    return "Sizing the Chinchilla-optimal model for " + SizeDollars(*r.chinchilla_usd) +
           " on each GPU type (table above); batch " + batch + "; " + CountsText(r);
  }
  return "Sizing " + g.model.name + " (" + HumanCount(static_cast<double>(g.params.total)) +
         " parameters) for " + HumanCount(g.tokens) + " tokens: batch " + batch + "; " +
         CountsText(r);
}

Table ChinchillaTable(const std::vector<SizeGpuType>& types, const SizeRequest& r) {
  Table t;
  t.title = "Chinchilla approach 3 optimum for " + SizeDollars(*r.chinchilla_usd) +
            " per GPU type, at the MFU planned for its cheapest run";
  t.columns = {{"GPU type", false}, {"$/GPU-h"},   {"MFU"},        {"at GPUs"},
               {"GPU-hours"},       {"C (FLOPs)"}, {"N_opt"},      {"D_opt"},
               {"shape", false},    {"N (shape)"}, {"D (trained)"}};
  for (const SizeGpuType& g : types) {
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

std::vector<std::string> ChinchillaNotes(const std::vector<SizeGpuType>& types,
                                         const SizeRequest& r) {
  if (!r.chinchilla_usd) return {};
  std::vector<std::string> notes = {
      "C = budget / price x 3,600 s x dense peak x MFU, the MFU the layout search plans for the "
      "cheapest run of the model chosen (N chosen first at " +
          Fixed(kSizeFirstGuessMfu, 2) +
          ", then again at the planned MFU until the two agree within " +
          Fixed(kSizeMfuTolerance, 3) + "); N_opt, D_opt: Chinchilla approach 3 (" +
          Info(ScalingFit::kChinchillaApproach3).source + ")",
      "shape: Chinchilla 70B's d_model / n_layers = 102.4, n_layers a multiple of 8, d_model "
      "a multiple of 1,024 nearest N_opt, head_dim 128, d_ff 4 d_model, GELU, RMSNorm, tied "
      "32,000-token embeddings, 2,048-token context, rotary positions (docs/sizing.md)",
      "D (trained): the tokens " + SizeDollars(*r.chinchilla_usd) +
          " buys on the cheapest run (ideal cost, before failures), near D_opt: the plan also "
          "counts attention FLOPs and the shape's exact N; each row is priced at its own planned "
          "MFU, so larger counts cost more"};
  for (const SizeGpuType& g : types) {
    if (!g.mfu_converged) {
      notes.push_back(g.cluster.name + ": the planned MFU still moved after " +
                      std::to_string(kSizeMaxChinchillaSweeps) + " sweeps; N was chosen at " +
                      Fixed(g.chinchilla_mfu, 3));
    }
  }
  return notes;
}

std::vector<std::string> Notes(const std::vector<SizeGpuType>& types, const SizeRequest& r,
                               const std::vector<SizingRow>& rows, const SizingMarks& m) {
  std::vector<std::string> notes;
  if (m.cheapest_meeting_both) {
    notes.push_back("cheapest run meeting both: " + SizeRowText(rows[*m.cheapest_meeting_both]));
  }
  if (m.cheapest_meeting_deadline) {
    notes.push_back("cheapest run within " + SizeNumber(*r.criteria.deadline_days) +
                    " days: " + SizeRowText(rows[*m.cheapest_meeting_deadline]));
  }
  if (m.fastest_within_budget) {
    notes.push_back("fastest run within " + SizeDollars(*r.criteria.budget_usd) + ": " +
                    SizeRowText(rows[*m.fastest_within_budget]));
  }
  std::vector<std::string> knees;
  for (size_t i : m.knees) knees.push_back(rows[i].cluster + " at " + Grouped(rows[i].gpus));
  notes.push_back(
      "knee (the largest count reached by steps that each buy at least " +
      Percent(r.criteria.knee_efficiency, 0) + " of the ideal extra throughput" +
      (r.knee_is_default ? ", default threshold; --knee-efficiency" : "") +
      ", when a larger count was not): " + (knees.empty() ? "none" : Join(knees, ", ")));
  for (std::string& n : AboveMeasuredNotes(types, m)) notes.push_back(std::move(n));
  notes.push_back(
      "scaling = tokens/s per GPU over that at the type's smallest count; marginal = "
      "extra tokens/s per extra GPU over tokens/s per GPU at the previous count");
  notes.push_back((r.gpus_are_default ? "GPU types: every cluster preset with a " +
                                            std::string(ToString(r.dtype.value_or(Dtype::kBf16))) +
                                            " peak (default; --gpu to choose)"
                                      : std::string("GPU types: from --gpu")) +
                  "; counts: " + CountsText(r) +
                  (r.gpu_counts            ? ""
                   : r.max_gpus_is_default ? " (default; --max-gpus, or --gpus to list counts)"
                                           : " (--max-gpus)"));
  for (const SizeGpuType& g : types) {
    std::string line = g.cluster.name + " (" + g.cluster.gpu.name + ", " + ToString(g.dtype) +
                       "): $" + Fixed(g.cluster.price_per_gpu_hour_usd, 2) + "/GPU-h, " +
                       g.price_source;
    if (g.mfu_ceiling == nullptr) {
      // Its rows extrapolate: no MFU ceiling to mark them against (MarkAboveMeasuredMfu).
      line += "; no published " + GpuGeneration(g.cluster.gpu) + " " +
              ToString(MfuClassOf(g.dtype)) + " run validates its MFUs";
    }
    if (g.sizing.rows.empty()) {
      line += "; no layout fits at " +
              (r.gpu_counts ? "the --gpus counts" : "up to " + Grouped(r.max_gpus) + " GPUs");
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
  notes.push_back(
      "ideal days = D / (batch x seq_len) steps x step time / 86,400; days = ideal "
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
  j["layout"] = {{"describe", planner::Describe(l)}};
  j["layout"].update(LayoutJson(l));  // the same fields as plan's and explain's layouts
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
  AddBandFields(*o, r.step_time_s, &j);
  j["scaling_efficiency"] = r.scaling_efficiency;
  j["marginal_efficiency"] =
      r.marginal_efficiency ? nlohmann::ordered_json(*r.marginal_efficiency) : nullptr;
  j["marks"] = MarksOf(i, m);
  j["outlook"] = OutlookJson(*o);
  return j;
}

nlohmann::ordered_json GpuTypeJson(const SizeGpuType& g, const std::vector<SizingRow>& rows,
                                   const SizeOutlooks& outlooks, const SizingMarks& m) {
  nlohmann::ordered_json rs = nlohmann::ordered_json::array();
  for (size_t i = g.first_row; i < g.first_row + g.sizing.rows.size(); ++i) {
    rs.push_back(RowJson(rows[i], outlooks[i], i, m));
  }
  nlohmann::ordered_json j = {{"cluster", g.cluster.name},
                              {"gpu", g.cluster.gpu.name},
                              {"dtype", ToString(g.dtype)},
                              {"price_per_gpu_hour_usd", g.cluster.price_per_gpu_hour_usd},
                              {"price_source", g.price_source},
                              {"model",
                               {{"name", g.model.name},
                                {"params", CountJson(g.params.total)},
                                {"n_layers", g.model.n_layers},
                                {"d_model", g.model.d_model},
                                {"seq_len", g.model.seq_len}}},
                              {"tokens", g.tokens},
                              {"global_batch", g.global_batch}};
  if (g.chinchilla) {
    const ChinchillaSizing& c = *g.chinchilla;
    j["chinchilla"] = {{"mfu", g.chinchilla_mfu},
                       {"mfu_gpus", g.mfu_gpus},
                       {"mfu_converged", g.mfu_converged},
                       {"gpu_hours", c.gpu_hours},
                       {"flops", c.flops},
                       {"params_opt", c.optimum.params},
                       {"tokens_opt", c.optimum.tokens}};
  } else {
    j["chinchilla"] = nullptr;
  }
  j["counts_too_small"] = g.sizing.counts_too_small;
  j["measured_mfu_ceiling"] = g.mfu_ceiling ? nlohmann::ordered_json{{"mfu", g.mfu_ceiling->mfu},
                                                                     {"run", g.mfu_ceiling->run}}
                                            : nlohmann::ordered_json(nullptr);
  j["rows"] = rs;
  return j;
}

nlohmann::ordered_json SizeJson(const std::vector<SizeGpuType>& types, const SizeRequest& r,
                                const std::vector<SizingRow>& rows, const SizeOutlooks& outlooks,
                                const SizingMarks& m) {
  nlohmann::ordered_json ts = nlohmann::ordered_json::array();
  for (const SizeGpuType& g : types) ts.push_back(GpuTypeJson(g, rows, outlooks, m));
  nlohmann::ordered_json knees = nlohmann::ordered_json::array();
  for (size_t i : m.knees) knees.push_back(RowRef(rows, i));
  const auto opt = [](std::optional<double> v) {
    return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
  };
  return {{"schema_version", 1},
          {"criteria",
           {{"deadline_days", opt(r.criteria.deadline_days)},
            {"budget_usd", opt(r.criteria.budget_usd)},
            {"chinchilla_budget_usd", opt(r.chinchilla_usd)},
            {"gpu_counts", r.gpu_counts ? nlohmann::ordered_json(r.gpu_counts->text)
                                        : nlohmann::ordered_json(nullptr)},
            {"knee_efficiency", r.criteria.knee_efficiency},
            {"max_gpus", r.max_gpus}}},
          {"marks",
           {{"cheapest_meeting_deadline", RowRef(rows, m.cheapest_meeting_deadline)},
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
                                    [](const SizeGpuType& g) { return g.sizing.truncated; })},
          {"notes", Notes(types, r, rows, m)}};
}

// The text report: the Chinchilla line, the table of GPU counts, the choice and its outlook.
void PrintSizeText(const std::vector<SizeGpuType>& types, const SizeRequest& r,
                   const std::vector<SizingRow>& rows, const SizeOutlooks& outlooks,
                   const SizingMarks& marks, std::ostream& out) {
  if (r.chinchilla_usd) {
    RenderText(ChinchillaTable(types, r), out);
    out << "\n";
  }
  Table t = RowsTable(types, rows, outlooks, marks);
  t.title = Title(types, r);
  t.notes = Notes(types, r, rows, marks);
  RenderText(t, out);
  if (const std::string choice = ChoiceSentence(r, rows, marks); !choice.empty()) {
    out << "\n" << choice << "\n";
  }
  if (const std::optional<size_t> i = OutlookRow(marks)) {
    // Why this row (the warnings below say when its MFU is above the measured ones).
    std::vector<std::string> why = MarksOf(*i, marks);
    std::erase(why, std::string(kAboveMeasuredMark));
    out << "\nOutlook of " << Grouped(rows[*i].gpus) << " x " << rows[*i].cluster << " ("
        << (why.empty() ? "the cheapest" : Join(why, ", ")) << "):\n";
    for (const std::string& line : OutlookLines(*outlooks[*i])) {
      out << "  " << line << "\n";
    }
    for (const SizeGpuType& g : types) {
      if (g.cluster.name != rows[*i].cluster) continue;
      for (const std::string& w :
           PredictionWarnings(g.cluster, r.stack.name, rows[*i].mfu, rows[*i].layout)) {
        out << "warning: " << w << "\n";
      }
    }
  }
}

}  // namespace

std::string SizeNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.8g", v);
  return buf;
}

std::string SizeDollars(double usd) { return "$" + GroupedRound(usd); }

std::string SizeRowText(const SizingRow& r) {
  return Grouped(r.gpus) + " x " + r.cluster + ": " + DaysText(r.run.days) + " days, " +
         SizeDollars(r.run.cost_usd) + " (" + planner::Describe(r.layout) + ")";
}

void PrintSize(OutputFormat format, const std::vector<SizeGpuType>& types, const SizeRequest& r,
               const std::vector<SizingRow>& rows, const SizeOutlooks& outlooks,
               const SizingMarks& marks) {
  Emit(format, {[&] { return SizeJson(types, r, rows, outlooks, marks); },
                [&] { return RowsTable(types, rows, outlooks, marks); },
                [&](std::ostream& out) { PrintSizeText(types, r, rows, outlooks, marks, out); }});
}

void MarkAboveMeasuredMfu(const std::vector<SizeGpuType>& types, const std::vector<SizingRow>& rows,
                          SizingMarks* marks) {
  for (const SizeGpuType& g : types) {
    if (g.mfu_ceiling == nullptr) continue;
    for (size_t i = g.first_row; i < g.first_row + g.sizing.rows.size(); ++i) {
      if (rows[i].fits && rows[i].mfu > g.mfu_ceiling->mfu) marks->above_measured_mfu.push_back(i);
    }
  }
}

}  // namespace planner
