// `planner size --gpus`: the GPU counts to size at, as one count (2560), a list (2048,2560,3072),
// a range (1024-4096: the node-grid counts inside it and both ends) or a range with a step in
// nodes (1024-4096:32: every 32 nodes from 1,024 GPUs), or a comma-separated mix of these.
#ifndef PLANNER_CLI_GPU_COUNTS_H_
#define PLANNER_CLI_GPU_COUNTS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace planner {

struct GpuCountItem {
  int64_t lo = 0;
  int64_t hi = 0;          // == lo for a single count
  int64_t step_nodes = 0;  // 0: the node grid between lo and hi
};

struct GpuCountSpec {
  std::string text;  // as given, for messages
  std::vector<GpuCountItem> items;
};

// At most this many counts per GPU type: each is a full layout search.
inline constexpr size_t kMaxGpuCounts = 64;

// Throws InputError naming --gpus on bad syntax or a zero, reversed or implausible count.
GpuCountSpec ParseGpuCounts(const std::string& text);

// The ascending, distinct counts of `spec` on a GPU type with `gpus_per_node` GPUs per node; an
// InputError naming --gpus and `cluster` when a count is not whole nodes or there are too many.
std::vector<int64_t> GpuCountsFor(const GpuCountSpec& spec, int64_t gpus_per_node,
                                  const std::string& cluster);

}  // namespace planner

#endif  // PLANNER_CLI_GPU_COUNTS_H_
