// all-to-all: block p of rank r's input lands as block r of rank p's output. The message size
// counts one rank's whole buffer, rounded down to a multiple of nranks elements (nccl-tests).
// busbw factor (n-1)/n: the block a rank keeps crosses no link.
#include "comm/collective.h"

namespace comm {

constexpr Collective kAllToAll({
    .kind = planner::Collective::kAllToAll,
    .send = Share::kAllBlocks,
    .recv = Share::kAllBlocks,
    .expected =
        [](const InputPattern& in, const BufferCounts& c, int rank, int, size_t i) {
          const size_t block = c.param_count;
          return in.Value(static_cast<int>(i / block),
                          static_cast<size_t>(rank) * block + i % block);
        },
    // NCCL's grouped send/recv on one buffer may overwrite a block before it is sent.
    .in_place_point_to_point = true,
    .run = [](Backend& b, const CallArgs& a) { b.AllToAll(a.send, a.recv, a.count, a.type); },
});

const Collective& AllToAllCollective() { return kAllToAll; }

}  // namespace comm
