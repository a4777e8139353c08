#include "comm/collective.h"

namespace comm {

BufferCounts Collective::Counts(size_t count, int nranks) const {
  const bool split = spec_.send != Share::kWhole || spec_.recv != Share::kWhole;
  const size_t block = split ? count / nranks : count;
  auto elements = [&](Share side) { return side == Share::kAllBlocks ? block * nranks : block; };
  // In place, a one-block side lives in the other side's buffer, at block `rank` (nccl-tests).
  auto inplace_offset = [&](Share side, Share other) {
    return side == Share::kOneBlock && other == Share::kAllBlocks ? block : 0;
  };
  return {.send_count = elements(spec_.send),
          .recv_count = elements(spec_.recv),
          .param_count = block,
          .send_inplace_offset = inplace_offset(spec_.send, spec_.recv),
          .recv_inplace_offset = inplace_offset(spec_.recv, spec_.send)};
}

const std::vector<const Collective*>& AllCollectives() {
  static const std::vector<const Collective*> kAll = {
      &AllReduceCollective(), &ReduceScatterCollective(), &AllGatherCollective(),
      &BroadcastCollective(), &ReduceCollective(),        &AllToAllCollective(),
      &SendRecvCollective(),
  };
  return kAll;
}

const Collective* FindCollective(std::string_view name) {
  for (const Collective* c : AllCollectives()) {
    if (c->name() == name) return c;
  }
  return nullptr;
}

}  // namespace comm
