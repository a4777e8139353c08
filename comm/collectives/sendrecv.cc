// send/recv: each rank sends its buffer to rank + 1 and receives from rank - 1 (mod n), as
// nccl-tests' sendrecv does. busbw factor 1.
#include "comm/collective.h"

namespace comm {
namespace {

class SendRecv final : public Collective {
 public:
  planner::Collective kind() const override { return planner::Collective::kSendRecv; }
  BufferCounts Counts(size_t count, int /*nranks*/) const override {
    return WholeBufferCounts(count);
  }
  double Expected(const InputPattern& in, const BufferCounts&, int rank, int,
                  size_t i) const override {
    return in.Value((rank + in.nranks() - 1) % in.nranks(), i);
  }
  bool InPlaceCheckable(const Backend& b) const override { return b.SupportsInPlacePointToPoint(); }
  void Run(Backend& b, const CallArgs& a) const override {
    b.SendRecv(a.send, a.recv, a.count, a.type, (a.rank + 1) % a.nranks,
               (a.rank + a.nranks - 1) % a.nranks);
  }
};

}  // namespace

const Collective& SendRecvCollective() { return StaticInstance<SendRecv>(); }

}  // namespace comm
