// all-reduce: every rank ends with the reduction of all inputs. busbw factor 2(n-1)/n: a ring
// reduce-scatter then all-gather moves each byte across 2(n-1) of n links.
#include "comm/collective.h"

namespace comm {

constexpr Collective kAllReduce({
    .kind = planner::Collective::kAllReduce,
    .uses_op = true,
    .expected = [](const InputPattern& in, const BufferCounts&, int, int,
                   size_t i) { return in.ReduceAcrossRanks(i); },
    .run = [](Backend& b,
              const CallArgs& a) { b.AllReduce(a.send, a.recv, a.count, a.type, a.op); },
});

const Collective& AllReduceCollective() { return kAllReduce; }

}  // namespace comm
