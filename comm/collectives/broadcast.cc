// broadcast: every rank ends with the root's input. busbw factor 1: a pipelined chain moves each
// byte over one link per rank whatever the rank count.
#include "comm/collective.h"

namespace comm {

constexpr Collective kBroadcast({
    .kind = planner::Collective::kBroadcast,
    .uses_root = true,
    .expected = [](const InputPattern& in, const BufferCounts&, int, int root,
                   size_t i) { return in.Value(root, i); },
    .run = [](Backend& b,
              const CallArgs& a) { b.Broadcast(a.send, a.recv, a.count, a.type, a.root); },
});

const Collective& BroadcastCollective() { return kBroadcast; }

}  // namespace comm
