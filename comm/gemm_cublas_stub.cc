// Stand-in for builds without CUDA.
#include <stdexcept>

#include "comm/gemm_engine.h"

namespace comm {

bool BuiltWithCublas() { return false; }
std::unique_ptr<GemmEngine> MakeCublasEngine(int /*local_rank*/) {
  throw std::runtime_error("this matbench was built without CUDA/cuBLAS (PLANNER_WITH_CUDA=OFF)");
}

}  // namespace comm
