// commbench's --json document (schema "commbench", version 1; fields and units in
// comm/README.md). Every row of every collective, plus what a fit needs to know about the run:
// backend, rank count, nodes, network level and machine.
#ifndef PLANNER_COMM_COMMBENCH_JSON_H_
#define PLANNER_COMM_COMMBENCH_JSON_H_

#include <nlohmann/json.hpp>
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

}  // namespace comm

#endif  // PLANNER_COMM_COMMBENCH_JSON_H_
