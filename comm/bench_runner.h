// Runs one collective over a size sweep: for each size the out-of-place and in-place timings and,
// with -c, the correctness check of each, producing one Row per size.
#ifndef PLANNER_COMM_BENCH_RUNNER_H_
#define PLANNER_COMM_BENCH_RUNNER_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "comm/collective.h"
#include "comm/report.h"
#include "comm/timing.h"

namespace comm {

struct BenchConfig {
  std::vector<uint64_t> sizes;  // bytes
  TimingOptions timing;
  int check = 1;  // number of checks per size and placement, as nccl-tests' -c
  DType type = DType::kFloat;
  RedOp op = RedOp::kSum;
  int root = 0;
};

// Calls on_row (on every rank) as each size finishes, so rank 0 can print progressively.
std::vector<Row> RunCollective(const Collective& collective, const BenchConfig& config,
                               Backend& backend, World& world,
                               const std::function<void(const Row&)>& on_row);

}  // namespace comm

#endif  // PLANNER_COMM_BENCH_RUNNER_H_
