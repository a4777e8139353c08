// Matrix products for matbench: OpenBLAS on CPUs (float, double), cuBLAS on GPUs (float, half,
// bfloat16 with fp32 accumulation). Matrices are row-major and live in the engine's memory
// (host for OpenBLAS, the rank's GPU for cuBLAS); C = A * B with A m x k, B k x n, C m x n.
#ifndef PLANNER_COMM_GEMM_ENGINE_H_
#define PLANNER_COMM_GEMM_ENGINE_H_

#include <memory>

#include "comm/device.h"
#include "comm/dtype.h"

namespace comm {

class GemmEngine : public Device {
 public:
  virtual bool Supports(DType t) const = 0;

  virtual void Gemm(int m, int n, int k, const void* a, const void* b, void* c, DType t) = 0;
};

bool BuiltWithOpenBlas();
bool BuiltWithCublas();
// threads: OpenBLAS threads for this rank (share the node's cores among its ranks).
std::unique_ptr<GemmEngine> MakeOpenBlasEngine(int threads);
// Uses the GPU numbered by the rank's local rank; throws if there is none.
std::unique_ptr<GemmEngine> MakeCublasEngine(int local_rank);

}  // namespace comm

#endif  // PLANNER_COMM_GEMM_ENGINE_H_
