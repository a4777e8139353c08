#include "planner/cli/validate_report.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "planner/core/units.h"
#include "planner/io/input_error.h"

namespace planner::validate {
namespace {

Generation* FindGeneration(std::vector<Generation>* gens, const std::string& name) {
  for (Generation& g : *gens) {
    if (g.name == name) return &g;
  }
  return nullptr;
}

std::vector<Generation> GroupByGeneration(const std::vector<ValidationRun>& runs) {
  std::vector<Generation> gens;
  for (const ValidationRun& v : runs) {
    if (v.skipped() || v.moe) continue;
    Generation* g = FindGeneration(&gens, v.run.generation);
    if (g == nullptr) {
      gens.push_back({v.run.generation, {}, {}, v.run.cluster.efficiency, std::nullopt, {}});
      g = &gens.back();
    }
    g->runs.push_back(v.run);
    if (std::find(g->sources.begin(), g->sources.end(), v.run.source) == g->sources.end()) {
      g->sources.push_back(v.run.source);
    }
  }
  return gens;
}

// Between generations fitted in full: a gemm_max-only fit (ScopeOfFit) already carries the rest of
// its terms, and its own held-out fits are the test of its one term.
std::vector<Transfer> CarriedTransfers(const std::vector<Generation>& generations) {
  const auto full = [](const Generation& g) { return g.scope == FitScope::kAll; };
  std::vector<Transfer> out;
  for (const Generation& onto : generations) {
    for (const Generation& from : generations) {
      if (&from == &onto || !full(onto) || !full(from)) continue;
      Transfer t{from.name, onto.name, {}, {}};
      for (const MeasuredRun& run : onto.runs) {
        const EfficiencySpec e = CarryFittedTerms(from.used(), run.cluster.efficiency);
        t.runs.push_back(&run);
        t.errors.push_back(PredictStepTime(run, e) / run.measured_step_time_s - 1);
      }
      out.push_back(std::move(t));
    }
  }
  return out;
}

}  // namespace

Report BuildReport(const std::string& path, bool refit) {
  Report r;
  r.runs = ReadValidationRuns(path);
  if (std::all_of(r.runs.begin(), r.runs.end(),
                  [](const ValidationRun& v) { return v.skipped(); })) {
    // Nothing to compare: say why the first record was not priced rather than print empty tables.
    throw NoResult(path + ": no record can be priced; the first, " + r.runs.front().run.id +
                   ", was skipped: " + r.runs.front().skip_reason);
  }
  r.generations = GroupByGeneration(r.runs);
  // Fits start from the library defaults, not the presets, so that neither the refit nor the
  // held-out fits depend on (or borrow from) the values the presets already carry.
  for (Generation& g : r.generations) {
    g.scope = ScopeOfFit(g.runs);
    if (g.scope == FitScope::kNone) continue;  // predicted with the terms its presets carry
    // The unfitted terms (per-kernel cost, collective fractions) are the preset's; the fitted
    // ones start from the library defaults. A gemm_max-only fit keeps the preset's carried terms
    // beside it.
    EfficiencySpec start = g.scope == FitScope::kGemmMaxOnly ? g.preset : EfficiencySpec{};
    start.gemm_half_flops = g.preset.gemm_half_flops;
    if (refit) g.fit = FitEfficiency(g.runs, start);
    g.held_out = LeaveOneSourceOut(g.runs, start);
  }
  r.carried = CarriedTransfers(r.generations);
  for (const ValidationRun& v : r.runs) {
    if (v.skipped()) continue;
    const Generation* g = FindGeneration(&r.generations, v.run.generation);
    Evaluated e;
    e.run = &v;
    e.time = PredictStep(v.run, g != nullptr ? g->used() : v.run.cluster.efficiency);
    e.error = e.time.step_time_s / v.run.measured_step_time_s - 1;
    const MemoryBreakdown memory =
        EstimateMemory(v.run.model, v.run.cluster, v.run.layout, v.run.options.memory);
    e.predicted_total_GiB = BytesToGiB(memory.total);
    e.usable_GiB = BytesToGiB(UsableHbmBytes(v.run.cluster));
    if (v.measured_memory_GiB) {
      e.memory = memory;
      e.memory_error = BytesToGiB(ReservedBytes(memory)) / *v.measured_memory_GiB - 1;
    }
    (v.moe ? r.moe : r.evaluated).push_back(std::move(e));
  }
  return r;
}

std::string LayoutText(const ParallelConfig& p) {
  std::ostringstream s;
  s << "tp" << p.tp << " pp" << p.pp;
  if (p.vpp > 1) s << " v" << p.vpp;
  if (p.cp > 1) s << " cp" << p.cp;
  if (p.expert_tp() != p.tp) s << " etp" << p.expert_tp();
  s << " dp" << p.dp << " mb" << p.micro_batch << " gb" << p.global_batch << " "
    << ToString(p.recompute);
  if (p.sp) s << " sp";
  if (p.zero > 0) s << " z" << p.zero;
  s << " " << ToString(p.dtype);
  return s.str();
}

std::vector<Group> GroupErrors(const Report& r, bool by_source) {
  std::vector<Group> groups;
  for (const Evaluated& e : r.evaluated) {
    const std::string key = by_source ? e.run->run.source : e.run->run.generation;
    auto it =
        std::find_if(groups.begin(), groups.end(), [&](const Group& g) { return g.name == key; });
    if (it == groups.end()) {
      groups.push_back({key, {}, "", 0});
      it = groups.end() - 1;
    }
    it->errors.push_back(e.error);
    if (std::abs(e.error) >= std::abs(it->worst)) {
      it->worst = e.error;
      it->worst_id = e.run->run.id;
    }
  }
  return groups;
}

std::vector<double> AllErrors(const Report& r) {
  std::vector<double> errors;
  for (const Evaluated& e : r.evaluated) errors.push_back(e.error);
  return errors;
}

double Bias(const std::vector<double>& errors) {
  double sum = 0;
  for (double e : errors) sum += e;
  return errors.empty() ? 0 : sum / static_cast<double>(errors.size());
}

double Worst(const std::vector<double>& errors) {
  double worst = 0;
  for (double e : errors) worst = std::abs(e) > std::abs(worst) ? e : worst;
  return worst;
}

double HeldOutMape(const Generation& g) {
  std::vector<double> all;
  for (const HeldOutSource& h : g.held_out) all.insert(all.end(), h.errors.begin(), h.errors.end());
  return Mape(all);
}

}  // namespace planner::validate
