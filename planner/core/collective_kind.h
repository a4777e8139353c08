// The collectives the planner prices, calibration fits and commbench measures: one enum, one
// name each (nccl-tests' and commbench's), one bus-bandwidth factor. Header-only and free of
// dependencies so that comm/ (built standalone on GPU machines) uses it without linking the
// planner's libraries.
#ifndef PLANNER_CORE_COLLECTIVE_KIND_H_
#define PLANNER_CORE_COLLECTIVE_KIND_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "planner/core/enum_names.h"

namespace planner {

// In commbench's listing order (the order `commbench -c all` runs them).
enum class Collective {
  kAllReduce,
  kReduceScatter,
  kAllGather,
  kBroadcast,
  kReduce,
  kAllToAll,
  kSendRecv,
};

// nccl-tests' and commbench's names, in that order.
inline constexpr EnumName<Collective> kCollectiveNames[] = {
    {Collective::kAllReduce, "all_reduce"}, {Collective::kReduceScatter, "reduce_scatter"},
    {Collective::kAllGather, "all_gather"}, {Collective::kBroadcast, "broadcast"},
    {Collective::kReduce, "reduce"},        {Collective::kAllToAll, "all_to_all"},
    {Collective::kSendRecv, "sendrecv"}};

constexpr const char* ToString(Collective c) { return NameIn(kCollectiveNames, c); }

constexpr std::optional<Collective> ParseCollective(std::string_view name) {
  return ValueNamed(kCollectiveNames, name);
}

// "all_reduce, reduce_scatter, ..., sendrecv": for messages that list the accepted names.
inline std::string CollectiveNameList() { return NameList(kCollectiveNames); }

// nccl-tests' busbw / algbw for n ranks: the fraction of the buffer each rank's links carry. A
// ring all-reduce (reduce-scatter then all-gather) moves each byte across 2(n-1) of n links;
// reduce-scatter, all-gather and all-to-all (n-1)/n; broadcast, reduce and sendrecv 1.
constexpr double BusFactor(Collective c, int64_t n) {
  if (n < 1) return 0.0;
  const double nd = static_cast<double>(n);
  switch (c) {
    case Collective::kAllReduce:
      return 2.0 * (nd - 1) / nd;
    case Collective::kReduceScatter:
    case Collective::kAllGather:
    case Collective::kAllToAll:
      return (nd - 1) / nd;
    case Collective::kBroadcast:
    case Collective::kReduce:
    case Collective::kSendRecv:
      return 1.0;
  }
  return 1.0;
}

}  // namespace planner

#endif  // PLANNER_CORE_COLLECTIVE_KIND_H_
