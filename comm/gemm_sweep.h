// Plain GEMM timings over a list of shapes, for the GEMM-efficiency curve that `planner
// calibrate` fits. Every rank runs the same shape at once (as a tensor-parallel group's GPUs do);
// each time is the max over ranks of the mean over iterations.
#ifndef PLANNER_COMM_GEMM_SWEEP_H_
#define PLANNER_COMM_GEMM_SWEEP_H_

#include <functional>
#include <optional>
#include <vector>

#include "comm/gemm_engine.h"
#include "comm/gemm_shapes.h"
#include "comm/matbench_options.h"
#include "comm/world.h"

namespace comm {

struct SweepRow {
  GemmShape shape;
  double flops = 0.0;
  double time_s = 0.0;
  double tflops = 0.0;
  std::optional<double> efficiency;
};

std::vector<SweepRow> RunGemmSweep(const MatbenchOptions& options,
                                   const std::vector<GemmShape>& shapes, GemmEngine& engine,
                                   World& world,
                                   const std::function<void(const SweepRow&)>& on_row);

}  // namespace comm

#endif  // PLANNER_COMM_GEMM_SWEEP_H_
