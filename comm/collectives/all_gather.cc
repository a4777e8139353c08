// all-gather: every rank ends with all ranks' blocks in rank order. The message size counts the
// whole output, rounded down to a multiple of nranks elements (nccl-tests). busbw factor (n-1)/n.
#include "comm/collective.h"

namespace comm {
namespace {

class AllGather final : public Collective {
 public:
  planner::Collective kind() const override { return planner::Collective::kAllGather; }
  BufferCounts Counts(size_t count, int nranks) const override {
    const size_t block = count / nranks;
    return {.send_count = block,
            .recv_count = block * nranks,
            .param_count = block,
            .send_inplace_offset = block,
            .recv_inplace_offset = 0};
  }
  double Expected(const InputPattern& in, const BufferCounts& c, int, int,
                  size_t i) const override {
    const size_t block = c.param_count;
    return in.Value(static_cast<int>(i / block), i % block);
  }
  void Run(Backend& b, const CallArgs& a) const override {
    b.AllGather(a.send, a.recv, a.count, a.type);
  }
};

}  // namespace

const Collective& AllGatherCollective() { return StaticInstance<AllGather>(); }

}  // namespace comm
