// The timing loop, nccl-tests style: warm-up calls, a barrier, `iters` back-to-back calls timed on
// the host clock, then a device synchronise; the time of one call is the mean over iterations,
// and the reported time is the maximum of that mean over ranks (the slowest rank bounds a
// collective). Blocking mode (-z 1) synchronises and barriers after every call, as nccl-tests'
// -z does, which adds the barrier's cost to each iteration.
#ifndef PLANNER_COMM_TIMING_H_
#define PLANNER_COMM_TIMING_H_

#include <functional>

#include "comm/backend.h"
#include "comm/world.h"

namespace comm {

struct TimingOptions {
  int iters = 20;
  int warmup_iters = 1;
  bool blocking = false;
};

// Seconds per call: max over ranks of the mean over iterations.
double TimeCalls(const TimingOptions& options, Backend& backend, World& world,
                 const std::function<void()>& call);

}  // namespace comm

#endif  // PLANNER_COMM_TIMING_H_
