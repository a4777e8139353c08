// Alpha-beta cost of collectives on a hierarchical network, with nccl-tests bus-bandwidth factors
// (all-reduce 2(n-1)/n; reduce-scatter, all-gather, all-to-all (n-1)/n; others 1).
#ifndef PLANNER_CORE_COLLECTIVES_H_
#define PLANNER_CORE_COLLECTIVES_H_

#include <cstdint>

#include "planner/core/cluster_spec.h"
#include "planner/core/collective_kind.h"

namespace planner {

// Seconds for a collective on `bytes` (nccl-tests "size": the buffer each rank passes) among n
// ranks that are `stride` apart in the global rank order. Rings run level by level: a reduce-
// scatter inside each innermost domain, then the next level on the shrunk buffer, and back out
// (the hierarchical algorithm NCCL's trees and rings approximate). A level with a measured fit in
// cluster.efficiency uses it; others use the link's bandwidth times collective_bw_fraction.
double CollectiveSeconds(const ClusterSpec& c, Collective op, int64_t n, int64_t stride,
                         double bytes);

// Seconds for one hop of a ring of n ranks `stride` apart, each passing `bytes` to the next at
// once (context parallelism's K/V exchange): paced by the slowest level the ring crosses, since
// its hops across that level finish last.
double RingHopSeconds(const ClusterSpec& c, int64_t n, int64_t stride, double bytes);

// The measured fit StageSeconds uses for `op` among n ranks on network level `level`: same
// collective and level, the same rank count if measured, else the nearest; nullptr if none.
const CollectiveFit* FindCollectiveFit(const ClusterSpec& c, Collective op, int level, int64_t n);

// GPUs of a stride-`stride` group of n ranks that share one domain of `level`.
int64_t MembersWithinLevel(const ClusterSpec& c, int level, int64_t n, int64_t stride);

// The outermost network level a group of n ranks `stride` apart spans.
int SlowestLevel(const ClusterSpec& c, int64_t n, int64_t stride);

// `messages` latencies of `level` and `bytes` at the share of its link rate NCCL reaches there
// (collective_bw_fraction inside the scale-up domain, scaleout_bw_fraction across it).
double LevelSeconds(const ClusterSpec& c, int level, double messages, double bytes);

}  // namespace planner

#endif  // PLANNER_CORE_COLLECTIVES_H_
