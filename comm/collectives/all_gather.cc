// all-gather: every rank ends with all ranks' blocks in rank order. The message size counts the
// whole output, rounded down to a multiple of nranks elements (nccl-tests). busbw factor (n-1)/n.
#include "comm/collective.h"

namespace comm {

constexpr Collective kAllGather({
    .kind = planner::Collective::kAllGather,
    .send = Share::kOneBlock,
    .recv = Share::kAllBlocks,
    .expected =
        [](const InputPattern& in, const BufferCounts& c, int, int, size_t i) {
          const size_t block = c.param_count;
          return in.Value(static_cast<int>(i / block), i % block);
        },
    .run = [](Backend& b, const CallArgs& a) { b.AllGather(a.send, a.recv, a.count, a.type); },
});

const Collective& AllGatherCollective() { return kAllGather; }

}  // namespace comm
