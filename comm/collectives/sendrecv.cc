// send/recv: each rank sends its buffer to rank + 1 and receives from rank - 1 (mod n), as
// nccl-tests' sendrecv does. busbw factor 1.
#include "comm/collective.h"

namespace comm {

constexpr Collective kSendRecv({
    .kind = planner::Collective::kSendRecv,
    .expected = [](const InputPattern& in, const BufferCounts&, int rank, int,
                   size_t i) { return in.Value((rank + in.nranks() - 1) % in.nranks(), i); },
    .in_place_point_to_point = true,
    .run =
        [](Backend& b, const CallArgs& a) {
          b.SendRecv(a.send, a.recv, a.count, a.type, (a.rank + 1) % a.nranks,
                     (a.rank + a.nranks - 1) % a.nranks);
        },
});

const Collective& SendRecvCollective() { return kSendRecv; }

}  // namespace comm
