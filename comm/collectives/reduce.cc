// reduce: the root ends with the reduction of all inputs; other ranks' outputs are undefined and
// not checked. busbw factor 1, as in nccl-tests.
#include "comm/collective.h"

namespace comm {
namespace {

class Reduce final : public Collective {
 public:
  planner::Collective kind() const override { return planner::Collective::kReduce; }
  bool uses_op() const override { return true; }
  bool uses_root() const override { return true; }
  BufferCounts Counts(size_t count, int /*nranks*/) const override {
    return WholeBufferCounts(count);
  }
  bool HasOutput(int rank, int root) const override { return rank == root; }
  double Expected(const InputPattern& in, const BufferCounts&, int, int, size_t i) const override {
    return in.ReduceAcrossRanks(i);
  }
  void Run(Backend& b, const CallArgs& a) const override {
    b.Reduce(a.send, a.recv, a.count, a.type, a.op, a.root);
  }
};

}  // namespace

const Collective& ReduceCollective() { return StaticInstance<Reduce>(); }

}  // namespace comm
