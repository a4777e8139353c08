// The correctness check (-c): fill this rank's input from the InputPattern, run the collective
// once, copy the output back and compare every element with the value the host computed on its
// own. Returns the number of wrong elements summed over all ranks.
#ifndef PLANNER_COMM_CHECK_H_
#define PLANNER_COMM_CHECK_H_

#include <cstdint>

#include "comm/collective.h"
#include "comm/world.h"

namespace comm {

struct DeviceBuffers {
  void* send = nullptr;  // out of place only
  void* recv = nullptr;  // the output, or the single buffer in place
};

struct CheckSetup {
  const Collective* collective = nullptr;
  BufferCounts counts;
  CallArgs args;  // type, op, root, rank, nranks filled in; pointers set by the check
  bool in_place = false;
};

int64_t CheckCollective(const CheckSetup& setup, Backend& backend, World& world,
                        const DeviceBuffers& buffers);

// The pointers a call uses, in nccl-tests' layout (see collective.h).
CallArgs PlaceArgs(CallArgs args, const BufferCounts& counts, bool in_place,
                   const DeviceBuffers& buffers);

}  // namespace comm

#endif  // PLANNER_COMM_CHECK_H_
