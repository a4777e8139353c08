// planner validate --format json: the report's fields (docs/json.md, "validate").
#include <nlohmann/json.hpp>

#include "planner/cli/validate_report.h"
#include "planner/core/units.h"

namespace planner::validate {
namespace {

nlohmann::ordered_json EfficiencyJson(const EfficiencySpec& e) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& [key, member] : kEfficiencyTerms) j[key] = e.*member;
  return j;
}

// The keys every run's JSON starts with, dense or MoE.
nlohmann::ordered_json RunJson(const Evaluated& e) {
  const ValidationRun& v = *e.run;
  return {{"id", v.run.id},
          {"source", v.run.source},
          {"generation", v.run.generation},
          {"cluster", v.cluster_preset},
          {"gpus", v.run.layout.gpus()},
          {"layout", LayoutText(v.run.layout)},
          {"stack", v.stack_name},
          {"stack_set", v.stack_overrides},
          {"measured_step_time_s", v.run.measured_step_time_s},
          {"predicted_step_time_s", e.time.step_time_s},
          {"error", e.error}};
}

}  // namespace

nlohmann::ordered_json ReportJson(const Report& r) {
  nlohmann::ordered_json runs = nlohmann::ordered_json::array(), skipped = runs;
  for (const Evaluated& e : r.evaluated) {
    const ValidationRun& v = *e.run;
    nlohmann::ordered_json j = RunJson(e);
    j["metric"] = MetricUnit(v.metric);
    j["measured_metric"] = v.metric_value;
    j["predicted_metric"] = MetricFromStepTime(v, e.time.step_time_s);
    j["accounting"] = ToString(v.accounting);
    j["source_step_flops"] = SourceStepFlops(v);
    j["model_step_flops"] = e.time.model_flops;
    j["predicted_mfu"] = e.time.mfu;
    j["predicted_total_memory_GiB"] = e.predicted_total_GiB;
    j["usable_memory_GiB"] = e.usable_GiB;
    j["fits"] = e.fits();
    if (!v.unread_keys.empty()) j["unread_keys"] = v.unread_keys;
    if (e.memory) {
      j["measured_memory_GiB"] = *v.measured_memory_GiB;
      j["predicted_memory_GiB"] = BytesToGiB(ReservedBytes(*e.memory));
      j["memory_error"] = e.memory_error;
    }
    runs.push_back(j);
  }
  for (const ValidationRun& v : r.runs) {
    if (v.skipped()) skipped.push_back({{"id", v.run.id}, {"reason", v.skip_reason}});
  }
  nlohmann::ordered_json gens = nlohmann::ordered_json::array();
  for (const Generation& g : r.generations) {
    nlohmann::ordered_json held = nlohmann::ordered_json::array();
    for (const HeldOutSource& h : g.held_out) {
      held.push_back({{"source", h.source},
                      {"runs", h.runs},
                      {"mape", h.mape},
                      {"fitted_mape", h.fit.mape},
                      {"efficiency", EfficiencyJson(h.fit.efficiency)}});
    }
    gens.push_back({{"generation", g.name},
                    {"runs", g.runs.size()},
                    {"refitted", g.fit.has_value()},
                    {"efficiency", EfficiencyJson(g.used())},
                    {"held_out", held},
                    {"held_out_mape", HeldOutMape(g)}});
  }
  nlohmann::ordered_json sources = nlohmann::ordered_json::object();
  for (const Group& g : GroupErrors(r, true)) {
    sources[g.name] = {{"runs", g.errors.size()},
                       {"mape", Mape(g.errors)},
                       {"worst", g.worst},
                       {"worst_run", g.worst_id}};
  }
  nlohmann::ordered_json moe = nlohmann::ordered_json::array();
  std::vector<double> moe_errors;
  for (const Evaluated& e : r.moe) {
    moe_errors.push_back(e.error);
    nlohmann::ordered_json j = RunJson(e);
    j["ep_comm_s"] = e.time.ep_comm_s;
    j["ep_exposed_s"] = e.time.ep_exposed_s;
    j["predicted_mfu"] = e.time.mfu;
    moe.push_back(j);
  }
  nlohmann::ordered_json carried = nlohmann::ordered_json::array();
  for (const Transfer& x : r.carried) {
    carried.push_back({{"runs_of", x.onto},
                       {"terms_of", x.from},
                       {"runs", x.errors.size()},
                       {"mape", Mape(x.errors)},
                       {"mean_error", Bias(x.errors)}});
  }
  return {{"schema_version", 1},      {"mape", Mape(AllErrors(r))},
          {"sources", sources},       {"generations", gens},
          {"carried_terms", carried}, {"runs", runs},
          {"skipped", skipped},       {"moe_mape", moe_errors.empty() ? 0.0 : Mape(moe_errors)},
          {"moe_runs", moe}};
}

}  // namespace planner::validate
