// commbench's command line: nccl-tests' short flags (-b -e -i -f -n -w -c -d -o -r -z) with the
// same meanings, plus --backend, --collective, --json, --machine and --level. The defaults are
// nccl-tests' on NCCL (32 MiB, 20 iterations); on the MPI backend, whose ranks usually share a
// few CPU cores, a smaller sweep (ApplyBackendDefaults) so `mpirun -n 8 commbench` ends in
// about a minute. Any size or iteration flag given keeps its value on either backend.
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
  // Which defaults the command line left alone (ApplyBackendDefaults may replace them).
  bool sweep_given = false;  // any of -b -e -i -f
  bool iters_given = false;  // -n
};

// The MPI backend's defaults for what the command line left unset: 1 KiB to 4 MiB by 4x, 5
// timed iterations. Eight ranks on two cores run all seven collectives in under a minute that
// way; nccl-tests' 32 MiB x 20 iterations took over five minutes there.
inline constexpr uint64_t kMpiDefaultMinBytes = 1u << 10;
inline constexpr uint64_t kMpiDefaultMaxBytes = 4u << 20;
inline constexpr uint64_t kMpiDefaultStepFactor = 4;
inline constexpr int kMpiDefaultIters = 5;

ParseOutcome<CommbenchOptions> ParseCommbenchOptions(int argc, const char* const argv[]);
const char* ToString(BackendChoice b);
// `resolved` is the backend actually used (kMpi or kNccl, never kAuto).
void ApplyBackendDefaults(BackendChoice resolved, CommbenchOptions& o);

}  // namespace comm

#endif  // PLANNER_COMM_COMMBENCH_OPTIONS_H_
