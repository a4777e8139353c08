// all-reduce: every rank ends with the reduction of all inputs. busbw factor 2(n-1)/n: a ring
// reduce-scatter then all-gather moves each byte across 2(n-1) of n links.
#include "comm/collective.h"

namespace comm {
namespace {

class AllReduce final : public Collective {
 public:
  planner::Collective kind() const override { return planner::Collective::kAllReduce; }
  bool uses_op() const override { return true; }
  BufferCounts Counts(size_t count, int /*nranks*/) const override {
    return WholeBufferCounts(count);
  }
  double Expected(const InputPattern& in, const BufferCounts&, int, int, size_t i) const override {
    return in.ReduceAcrossRanks(i);
  }
  void Run(Backend& b, const CallArgs& a) const override {
    b.AllReduce(a.send, a.recv, a.count, a.type, a.op);
  }
};

}  // namespace

const Collective& AllReduceCollective() { return StaticInstance<AllReduce>(); }

}  // namespace comm
