#include "comm/timing.h"

#include <chrono>

namespace comm {

double TimeCalls(const TimingOptions& options, Backend& backend, World& world,
                 const std::function<void()>& call) {
  for (int i = 0; i < options.warmup_iters; ++i) call();
  backend.Synchronize();
  world.Barrier();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < options.iters; ++i) {
    call();
    if (options.blocking) {
      backend.Synchronize();
      world.Barrier();
    }
  }
  backend.Synchronize();
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  return world.Max(elapsed.count() / options.iters);
}

}  // namespace comm
