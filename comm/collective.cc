#include "comm/collective.h"

namespace comm {

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
