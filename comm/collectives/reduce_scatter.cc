// reduce-scatter: rank r ends with block r of the reduction. The message size counts the whole
// input, rounded down to a multiple of nranks elements (nccl-tests). busbw factor (n-1)/n.
#include "comm/collective.h"

namespace comm {
namespace {

class ReduceScatter final : public Collective {
 public:
  planner::Collective kind() const override { return planner::Collective::kReduceScatter; }
  bool uses_op() const override { return true; }
  BufferCounts Counts(size_t count, int nranks) const override {
    const size_t block = count / nranks;
    return {.send_count = block * nranks,
            .recv_count = block,
            .param_count = block,
            .send_inplace_offset = 0,
            .recv_inplace_offset = block};
  }
  double Expected(const InputPattern& in, const BufferCounts& c, int rank, int,
                  size_t i) const override {
    return in.ReduceAcrossRanks(static_cast<size_t>(rank) * c.recv_count + i);
  }
  void Run(Backend& b, const CallArgs& a) const override {
    b.ReduceScatter(a.send, a.recv, a.count, a.type, a.op);
  }
};

}  // namespace

const Collective& ReduceScatterCollective() { return StaticInstance<ReduceScatter>(); }

}  // namespace comm
