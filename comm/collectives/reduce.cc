// reduce: the root ends with the reduction of all inputs; other ranks' outputs are undefined and
// not checked. busbw factor 1, as in nccl-tests.
#include "comm/collective.h"

namespace comm {

constexpr Collective kReduce({
    .kind = planner::Collective::kReduce,
    .uses_op = true,
    .uses_root = true,
    .root_output_only = true,
    .expected = [](const InputPattern& in, const BufferCounts&, int, int,
                   size_t i) { return in.ReduceAcrossRanks(i); },
    .run = [](Backend& b,
              const CallArgs& a) { b.Reduce(a.send, a.recv, a.count, a.type, a.op, a.root); },
});

const Collective& ReduceCollective() { return kReduce; }

}  // namespace comm
