#include "comm/commbench_json.h"

#include <map>

#include "comm/sizes.h"

namespace comm {
namespace {

using nlohmann::json;

json ConfigJson(const CommbenchOptions& o) {
  json config = TimingJson(o.iters, o.warmup_iters, o.argv);
  config.update({
      {"min_bytes", o.sweep.min_bytes},
      {"max_bytes", o.sweep.max_bytes},
      {"step_factor", o.sweep.step_factor},
      {"step_bytes", o.sweep.step_bytes},
      {"check", o.check},
      {"blocking", o.blocking},
      {"datatype", ToString(o.type)},
      {"op", ToString(o.op)},
      {"root", o.root},
  });
  return config;
}

json RowJson(const Row& r) {
  return {
      {"collective", r.collective},
      {"size_bytes", r.size_bytes},
      {"count", r.count},
      {"type", r.type},
      {"redop", r.redop},
      {"root", r.root},
      {"bus_factor", r.bus_factor},
      {"out_of_place", MeasurementJson(r.out_of_place)},
      {"in_place", MeasurementJson(r.in_place)},
  };
}

json SummaryJson(const std::vector<Row>& rows) {
  std::map<std::string, std::vector<Row>> by_collective;
  std::vector<std::string> order;
  for (const Row& r : rows) {
    if (by_collective[r.collective].empty()) order.push_back(r.collective);
    by_collective[r.collective].push_back(r);
  }
  json summary = json::array();
  for (const std::string& name : order) {
    const auto& group = by_collective[name];
    summary.push_back({{"collective", name},
                       {"avg_busbw_GBps", AverageBusBandwidth(group)},
                       {"wrong", TotalWrong(group)}});
  }
  return summary;
}

}  // namespace

json MeasurementJson(const Measurement& m) {
  return {
      {"time_us", m.time_us},
      {"algbw_GBps", m.algbw_GBps},
      {"busbw_GBps", m.busbw_GBps},
      {"wrong", OrNull(m.wrong)},
  };
}

json MachineJson(const MachineInfo& m) {
  return {
      {"label", m.label},
      {"hostname", m.hostname},
      {"cpu_model", m.cpu_model},
      {"cpu_cores", m.cpu_cores},
      {"gpu_model", m.gpu_model.empty() ? json(nullptr) : json(m.gpu_model)},
  };
}

json DocumentHeader(const char* schema, int schema_version, const std::string& start_time,
                    int nranks, int nodes, const MachineInfo& machine) {
  return {
      {"schema", schema},         {"schema_version", schema_version},
      {"start_time", start_time}, {"nranks", nranks},
      {"nodes", nodes},           {"machine", MachineJson(machine)},
  };
}

json TimingJson(int iters, int warmup_iters, const std::vector<std::string>& argv) {
  return {
      {"iters", iters},
      {"warmup_iters", warmup_iters},
      {"time_statistic", "max over ranks of the mean over iterations"},
      {"argv", argv},
  };
}

json CommbenchJson(const CommbenchRun& run, const CommbenchOptions& options,
                   const std::vector<Row>& rows) {
  json rows_json = json::array();
  for (const Row& r : rows) rows_json.push_back(RowJson(r));
  json doc = DocumentHeader("commbench", kCommbenchSchemaVersion, run.start_time, run.nranks,
                            run.nodes, run.machine);
  doc.update({
      {"end_time", run.end_time},
      {"backend", run.backend},
      {"ranks_per_node", run.ranks_per_node},
      {"level", run.level},
      {"config", ConfigJson(options)},
      {"rows", rows_json},
      {"summary", SummaryJson(rows)},
      {"wrong_total", TotalWrong(rows)},
  });
  return doc;
}

}  // namespace comm
