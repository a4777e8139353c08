// Stand-ins for builds without CUDA/NCCL.
#include <stdexcept>

#include "comm/nccl_backend.h"

namespace comm {

bool BuiltWithNccl() { return false; }
int VisibleGpuCount() { return 0; }
std::unique_ptr<Backend> MakeNcclBackend(World& /*world*/) {
  throw std::runtime_error("this commbench was built without CUDA/NCCL (PLANNER_WITH_CUDA=OFF)");
}

}  // namespace comm
