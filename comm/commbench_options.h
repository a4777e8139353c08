// commbench's command line: nccl-tests' short flags (-b -e -i -f -n -w -c -d -o -r -z) with the
// same meanings and defaults, plus --backend, --collective, --json, --machine and --level.
#ifndef PLANNER_COMM_COMMBENCH_OPTIONS_H_
#define PLANNER_COMM_COMMBENCH_OPTIONS_H_

#include <string>
#include <vector>

#include "comm/collective.h"
#include "comm/parse_outcome.h"
#include "comm/sizes.h"

namespace comm {

enum class BackendChoice { kAuto, kMpi, kNccl };

struct CommbenchOptions {
  SizeSweep sweep{
      .min_bytes = 32u << 20, .max_bytes = 32u << 20, .step_factor = 1, .step_bytes = 1u << 20};
  int iters = 20;
  int warmup_iters = 1;
  int check = 1;
  DType type = DType::kFloat;
  RedOp op = RedOp::kSum;
  int root = 0;
  int blocking = 0;
  BackendChoice backend = BackendChoice::kAuto;
  std::vector<const Collective*> collectives;  // in the order given; default all
  std::string json_path;
  std::string machine_label;
  std::string level;  // network level the ranks span, e.g. "nvlink"; empty: derived
  std::vector<std::string> argv;
};

ParseOutcome<CommbenchOptions> ParseCommbenchOptions(int argc, const char* const argv[]);
const char* ToString(BackendChoice b);

}  // namespace comm

#endif  // PLANNER_COMM_COMMBENCH_OPTIONS_H_
