// matbench's --json document (schema "matbench", version 1; fields and units in comm/README.md).
#ifndef PLANNER_COMM_MATBENCH_JSON_H_
#define PLANNER_COMM_MATBENCH_JSON_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "comm/machine_info.h"
#include "comm/matbench_options.h"

namespace comm {

inline constexpr int kMatbenchSchemaVersion = 1;

// Plain figures, so this file needs neither the harness nor a backend.
struct MlpFigures {
  int tp = 1;
  double gemm1_us = 0.0, gemm2_us = 0.0, allreduce_us = 0.0, total_us = 0.0;
  double flops_per_rank = 0.0, tflops_per_rank = 0.0;  // 2 * tokens * d_model * d_ff / tp, twice
  std::optional<double> efficiency;                    // vs --peak-tflops
  uint64_t allreduce_bytes = 0;
  // Max |Z - Z_ref| / max |Z_ref| against the unsharded product on rank 0 (with -c 1).
  std::optional<double> max_rel_err;
  double error_bound = 0.0;
};

struct SweepFigures {
  GemmShape shape;
  double flops = 0.0, time_us = 0.0, tflops = 0.0;
  std::optional<double> efficiency;
};

struct MatbenchRun {
  std::string engine;
  std::string comm_backend;
  int nranks = 1;
  int nodes = 1;
  MachineInfo machine;
  std::string start_time;
};

nlohmann::json MatbenchJson(const MatbenchRun& run, const MatbenchOptions& options,
                            const std::optional<MlpFigures>& mlp,
                            const std::vector<SweepFigures>& sweep);

}  // namespace comm

#endif  // PLANNER_COMM_MATBENCH_JSON_H_
