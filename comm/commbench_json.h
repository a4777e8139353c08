// commbench's --json document (schema "commbench", version 1; fields and units in
// comm/README.md). Every row of every collective, plus what a fit needs to know about the run:
// backend, rank count, nodes, network level and machine.
#ifndef PLANNER_COMM_COMMBENCH_JSON_H_
#define PLANNER_COMM_COMMBENCH_JSON_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "comm/commbench_options.h"
#include "comm/machine_info.h"
#include "comm/report.h"

namespace comm {

inline constexpr int kCommbenchSchemaVersion = 1;

struct CommbenchRun {
  std::string backend;
  int nranks = 1;
  int nodes = 1;
  int ranks_per_node = 1;
  std::string level;
  MachineInfo machine;
  std::string start_time;
  std::string end_time;
};

nlohmann::json CommbenchJson(const CommbenchRun& run, const CommbenchOptions& options,
                             const std::vector<Row>& rows);
nlohmann::json MeasurementJson(const Measurement& m);
nlohmann::json MachineJson(const MachineInfo& m);

// What commbench's and matbench's documents share (objects print with sorted keys, so a document
// adds its own fields to these in any order): the opening fields, schema to machine...
nlohmann::json DocumentHeader(const char* schema, int schema_version, const std::string& start_time,
                              int nranks, int nodes, const MachineInfo& machine);
// ...and how the figures were timed, with the command line that ran them.
nlohmann::json TimingJson(int iters, int warmup_iters, const std::vector<std::string>& argv);

// A figure or null ("not measured").
template <typename T>
nlohmann::json OrNull(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace comm

#endif  // PLANNER_COMM_COMMBENCH_JSON_H_
