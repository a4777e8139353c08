// Plain GEMM timings over a list of shapes, for the GEMM-efficiency curve that `planner
// calibrate` fits. Every rank runs the same shape at once (as a tensor-parallel group's GPUs do);
// each time is the max over ranks of the mean over iterations.
#ifndef PLANNER_COMM_GEMM_SWEEP_H_
#define PLANNER_COMM_GEMM_SWEEP_H_

#include <functional>
#include <vector>

#include "comm/gemm_engine.h"
#include "comm/gemm_shapes.h"
#include "comm/matbench_json.h"
#include "comm/matbench_options.h"
#include "comm/world.h"

namespace comm {

// on_row sees each shape's figures as soon as they are measured.
std::vector<SweepFigures> RunGemmSweep(const MatbenchOptions& options,
                                       const std::vector<GemmShape>& shapes, GemmEngine& engine,
                                       World& world,
                                       const std::function<void(const SweepFigures&)>& on_row);

}  // namespace comm

#endif  // PLANNER_COMM_GEMM_SWEEP_H_
