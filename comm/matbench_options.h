// matbench's command line.
#ifndef PLANNER_COMM_MATBENCH_OPTIONS_H_
#define PLANNER_COMM_MATBENCH_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "comm/dtype.h"
#include "comm/gemm_shapes.h"
#include "comm/parse_outcome.h"

namespace comm {

enum class EngineChoice { kAuto, kOpenBlas, kCublas };
enum class MatbenchMode { kAll, kMlp, kSweep };

struct MatbenchOptions {
  int64_t tokens = 1024;  // rows of the activation: micro-batch x sequence length
  int64_t d_model = 1024;
  int64_t d_ff = 4096;
  DType type = DType::kFloat;
  int iters = 10;
  int warmup_iters = 2;
  double peak_tflops = 0.0;  // per rank (per GPU or per CPU socket share); 0: no efficiency
  EngineChoice engine = EngineChoice::kAuto;
  MatbenchMode mode = MatbenchMode::kAll;
  std::vector<GemmShape> sweep;  // empty: DefaultSweep
  int64_t sweep_min = 64;
  int64_t sweep_max = 1024;
  bool check = true;  // compare with the unsharded reference
  std::string json_path;
  std::string machine_label;
  std::vector<std::string> argv;
};

ParseOutcome<MatbenchOptions> ParseMatbenchOptions(int argc, const char* const argv[]);
const char* ToString(EngineChoice e);

}  // namespace comm

#endif  // PLANNER_COMM_MATBENCH_OPTIONS_H_
