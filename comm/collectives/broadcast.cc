// broadcast: every rank ends with the root's input. busbw factor 1: a pipelined chain moves each
// byte over one link per rank whatever the rank count.
#include "comm/collective.h"

namespace comm {
namespace {

class Broadcast final : public Collective {
 public:
  planner::Collective kind() const override { return planner::Collective::kBroadcast; }
  bool uses_root() const override { return true; }
  BufferCounts Counts(size_t count, int /*nranks*/) const override {
    return WholeBufferCounts(count);
  }
  double Expected(const InputPattern& in, const BufferCounts&, int, int root,
                  size_t i) const override {
    return in.Value(root, i);
  }
  void Run(Backend& b, const CallArgs& a) const override {
    b.Broadcast(a.send, a.recv, a.count, a.type, a.root);
  }
};

}  // namespace

const Collective& BroadcastCollective() { return StaticInstance<Broadcast>(); }

}  // namespace comm
