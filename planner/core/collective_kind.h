// The collectives the planner prices, calibration fits and commbench measures: one enum, one
// name each (nccl-tests' and commbench's), one bus-bandwidth factor. Header-only and free of
// dependencies so that comm/ (built standalone on GPU machines) uses it without linking the
// planner's libraries.
#ifndef PLANNER_CORE_COLLECTIVE_KIND_H_
#define PLANNER_CORE_COLLECTIVE_KIND_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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

inline constexpr std::array<Collective, 7> kAllCollectives = {
    Collective::kAllReduce, Collective::kReduceScatter, Collective::kAllGather,
    Collective::kBroadcast, Collective::kReduce,        Collective::kAllToAll,
    Collective::kSendRecv,
};

// nccl-tests' and commbench's names: all_reduce, reduce_scatter, all_gather, broadcast, reduce,
// all_to_all, sendrecv.
constexpr const char* ToString(Collective c) {
  switch (c) {
    case Collective::kAllReduce:
      return "all_reduce";
    case Collective::kReduceScatter:
      return "reduce_scatter";
    case Collective::kAllGather:
      return "all_gather";
    case Collective::kBroadcast:
      return "broadcast";
    case Collective::kReduce:
      return "reduce";
    case Collective::kAllToAll:
      return "all_to_all";
    case Collective::kSendRecv:
      return "sendrecv";
  }
  return "?";
}

constexpr std::optional<Collective> ParseCollective(std::string_view name) {
  for (Collective c : kAllCollectives) {
    if (name == ToString(c)) return c;
  }
  return std::nullopt;
}

// "all_reduce, reduce_scatter, ..., sendrecv": for messages that list the accepted names.
inline std::string CollectiveNameList() {
  std::string s;
  for (Collective c : kAllCollectives) s += (s.empty() ? "" : ", ") + std::string(ToString(c));
  return s;
}

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
