// The GPU backend: one GPU per rank (chosen by the rank's local rank on its node), device
// buffers, and NCCL collectives on one stream. The communicator comes from ncclGetUniqueId on
// rank 0, broadcast over the World. Declared in every build; defined only when the build has
// CUDA and NCCL (PLANNER_WITH_CUDA), otherwise the stubs say so.
#ifndef PLANNER_COMM_NCCL_BACKEND_H_
#define PLANNER_COMM_NCCL_BACKEND_H_

#include <memory>

#include "comm/backend.h"
#include "comm/world.h"

namespace comm {

bool BuiltWithNccl();
// GPUs the CUDA runtime sees; 0 without a driver, without a GPU, or without CUDA in the build.
int VisibleGpuCount();
// Throws std::runtime_error when this rank has no GPU of its own or NCCL fails to initialise.
std::unique_ptr<Backend> MakeNcclBackend(World& world);

}  // namespace comm

#endif  // PLANNER_COMM_NCCL_BACKEND_H_
