#include "planner/core/collectives.h"

#include <algorithm>
#include <cmath>

#include "planner/core/units.h"

namespace planner {
namespace {

int64_t LevelSize(const ClusterSpec& c, int level) {
  const int64_t s = c.network[level].size;
  return s > 0 ? s : c.total_gpus();
}

// Latency steps of an all-reduce among g ranks on `level`. NCCL runs rings inside the scale-up
// domain; across nodes it also has double binary trees (NCCL 2.4, Sanders et al. 2009): full
// bandwidth like the ring but 2 log2(g) hops (up and down) instead of the ring's 2 (g - 1), and
// its tuner takes the faster. With the same bandwidth term, the fewer steps win. All-gather and
// reduce-scatter have no tree: ZeRO-3's per-layer gathers keep the ring's growth with the group.
double AllReduceSteps(int level, int64_t g) {
  const double ring = 2.0 * (g - 1);
  if (level == 0) return ring;
  return std::min(ring, 2.0 * std::ceil(std::log2(static_cast<double>(g))));
}

// One ring (or tree) stage of g ranks on `level` moving `bytes` (nccl-tests size).
double StageSeconds(const ClusterSpec& c, Collective op, int level, int64_t g, double bytes) {
  if (g <= 1) return 0;
  const double bus_bytes = BusFactor(op, g) * bytes;
  // Presets carry no measured fits; skipping the lookup keeps the search's inner loop short.
  if (!c.efficiency.collectives.empty()) {
    if (const CollectiveFit* f = FindCollectiveFit(c, op, level, g)) {
      return f->alpha_us * kSecondsPerUs + TransferSeconds(bus_bytes, f->bus_bw_GBps);
    }
  }
  const double steps = op == Collective::kAllReduce ? AllReduceSteps(level, g)
                                                    : static_cast<double>(g - 1);
  return LevelSeconds(c, level, steps, bus_bytes);
}

// All-to-all: each rank sends bytes / n to every member. What crosses a level is the share bound
// for members outside the level below it (on 2 nodes of 8, 8/16 of the buffer leaves the node,
// not 15/16), and the levels move their shares at once (NVLink beside the NICs): the slowest one
// paces, after n - 1 message latencies of the outermost level crossed. On one level this is the
// ring stage's (n - 1) / n of the bytes.
double AllToAllSeconds(const ClusterSpec& c, int64_t n, int64_t stride, double bytes) {
  const int top = SlowestLevel(c, n, stride);
  if (!c.efficiency.collectives.empty() && FindCollectiveFit(c, Collective::kAllToAll, top, n)) {
    return StageSeconds(c, Collective::kAllToAll, top, n, bytes);  // measured on this machine
  }
  double slowest = 0;
  int64_t inner = 1;  // members reached on the levels below
  for (int level = 0; level <= top; ++level) {
    const int64_t within = level == top ? n : MembersWithinLevel(c, level, n, stride);
    if (within <= inner) continue;
    const double share = static_cast<double>(within - inner) / static_cast<double>(n);
    slowest = std::max(slowest, LevelSeconds(c, level, 0, bytes * share));
    inner = within;
  }
  return LevelSeconds(c, top, static_cast<double>(n - 1), 0) + slowest;
}

}  // namespace

int SlowestLevel(const ClusterSpec& c, int64_t n, int64_t stride) {
  const int levels = static_cast<int>(c.network.size());
  int level = 0;
  while (level + 1 < levels && MembersWithinLevel(c, level, n, stride) < n) ++level;
  return level;
}

double LevelSeconds(const ClusterSpec& c, int level, double messages, double bytes) {
  const NetworkLevel& l = c.network[level];
  const double fraction =
      level == 0 ? c.efficiency.collective_bw_fraction : c.efficiency.scaleout_bw_fraction;
  return messages * l.latency_us * kSecondsPerUs + TransferSeconds(bytes, l.bw_GBps * fraction);
}

const CollectiveFit* FindCollectiveFit(const ClusterSpec& c, Collective op, int level, int64_t n) {
  // log(ranks) distance: latency and achieved bus bandwidth drift with the ring's length, so the
  // same rank count is best and otherwise the nearest (8 is closer to 4 than 2 is to 16).
  auto distance = [n](const CollectiveFit& f) {
    return std::abs(std::log(static_cast<double>(f.nranks) / static_cast<double>(n)));
  };
  const CollectiveFit* best = nullptr;
  for (const CollectiveFit& f : c.efficiency.collectives) {
    if (f.collective != op || f.level != c.network[level].name || f.nranks <= 0) continue;
    if (best == nullptr || distance(f) < distance(*best)) best = &f;
  }
  return best;
}

int64_t MembersWithinLevel(const ClusterSpec& c, int level, int64_t n, int64_t stride) {
  const int64_t size = LevelSize(c, level);
  if (stride >= size) return 1;
  return std::min(n, std::max<int64_t>(1, size / stride));
}

double CollectiveSeconds(const ClusterSpec& c, Collective op, int64_t n, int64_t stride,
                         double bytes) {
  if (n <= 1 || bytes <= 0) return 0;
  const int levels = static_cast<int>(c.network.size());
  if (op == Collective::kAllToAll) return AllToAllSeconds(c, n, stride, bytes);
  if (op == Collective::kSendRecv || op == Collective::kBroadcast) {
    // Point-to-point traffic is paced by the slowest level it crosses.
    return StageSeconds(c, op, SlowestLevel(c, n, stride), n, bytes);
  }
  double seconds = 0;
  double stage_bytes = bytes;
  int64_t inner = 1;  // members covered by the levels handled so far
  for (int level = 0; level < levels && inner < n; ++level) {
    const int64_t within = level + 1 == levels ? n : MembersWithinLevel(c, level, n, stride);
    const int64_t g = within / inner;
    if (g <= 1) continue;
    seconds += StageSeconds(c, op, level, g, stage_bytes);
    // After the inner reduce-scatter each rank owns 1/g of the buffer, and only that crosses the
    // next level (all-reduce and all-gather mirror it on the way out, at the same cost).
    stage_bytes /= static_cast<double>(g);
    inner = within;
  }
  return seconds;
}

double RingHopSeconds(const ClusterSpec& c, int64_t n, int64_t stride, double bytes) {
  if (n <= 1 || bytes <= 0) return 0;
  return StageSeconds(c, Collective::kSendRecv, SlowestLevel(c, n, stride), 2, bytes);
}

}  // namespace planner
