// all-to-all: block p of rank r's input lands as block r of rank p's output. The message size
// counts one rank's whole buffer, rounded down to a multiple of nranks elements (nccl-tests).
// busbw factor (n-1)/n: the block a rank keeps crosses no link.
#include "comm/collective.h"

namespace comm {
namespace {

class AllToAll final : public Collective {
 public:
  planner::Collective kind() const override { return planner::Collective::kAllToAll; }
  BufferCounts Counts(size_t count, int nranks) const override {
    const size_t block = count / nranks;
    return {.send_count = block * nranks, .recv_count = block * nranks, .param_count = block};
  }
  double Expected(const InputPattern& in, const BufferCounts& c, int rank, int,
                  size_t i) const override {
    const size_t block = c.param_count;
    return in.Value(static_cast<int>(i / block), static_cast<size_t>(rank) * block + i % block);
  }
  // NCCL's grouped send/recv on one buffer may overwrite a block before it is sent.
  bool InPlaceCheckable(const Backend& b) const override { return b.SupportsInPlacePointToPoint(); }
  void Run(Backend& b, const CallArgs& a) const override {
    b.AllToAll(a.send, a.recv, a.count, a.type);
  }
};

}  // namespace

const Collective& AllToAllCollective() { return StaticInstance<AllToAll>(); }

}  // namespace comm
