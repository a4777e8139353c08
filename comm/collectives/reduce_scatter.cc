// reduce-scatter: rank r ends with block r of the reduction. The message size counts the whole
// input, rounded down to a multiple of nranks elements (nccl-tests). busbw factor (n-1)/n.
#include "comm/collective.h"

namespace comm {

constexpr Collective kReduceScatter({
    .kind = planner::Collective::kReduceScatter,
    .uses_op = true,
    .send = Share::kAllBlocks,
    .recv = Share::kOneBlock,
    .expected =
        [](const InputPattern& in, const BufferCounts& c, int rank, int, size_t i) {
          return in.ReduceAcrossRanks(static_cast<size_t>(rank) * c.recv_count + i);
        },
    .run = [](Backend& b,
              const CallArgs& a) { b.ReduceScatter(a.send, a.recv, a.count, a.type, a.op); },
});

const Collective& ReduceScatterCollective() { return kReduceScatter; }

}  // namespace comm
