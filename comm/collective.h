// One collective as commbench measures it, with nccl-tests' conventions: how a message size maps
// to buffer counts, the values each rank's output must hold, and the backend call. Each lives in
// its own file under collectives/; its name and bus-bandwidth factor are the planner's
// (planner/core/collective_kind.h), so what commbench writes is what calibration reads.
#ifndef PLANNER_COMM_COLLECTIVE_H_
#define PLANNER_COMM_COLLECTIVE_H_

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "comm/backend.h"
#include "comm/input_pattern.h"
#include "planner/core/collective_kind.h"

namespace comm {

// Element counts for one message size, as nccl-tests' GetCollByteCount computes them. In place,
// a single buffer of max(send_count, recv_count) elements holds the input at
// send_inplace_offset * rank and the output at recv_inplace_offset * rank.
struct BufferCounts {
  size_t send_count = 0;
  size_t recv_count = 0;
  size_t param_count = 0;  // the count argument of the call
  size_t send_inplace_offset = 0;
  size_t recv_inplace_offset = 0;
};

// The counts of the collectives whose input and output are one whole message on every rank
// (all-reduce, broadcast, reduce, sendrecv): nothing to split by rank, so no in-place offsets.
inline BufferCounts WholeBufferCounts(size_t count) {
  return {.send_count = count, .recv_count = count, .param_count = count};
}

struct CallArgs {
  const void* send = nullptr;
  void* recv = nullptr;
  size_t count = 0;  // BufferCounts::param_count
  DType type = DType::kFloat;
  RedOp op = RedOp::kSum;
  int root = 0;
  int rank = 0;
  int nranks = 1;
};

class Collective {
 public:
  virtual ~Collective() = default;

  virtual planner::Collective kind() const = 0;
  std::string_view name() const { return planner::ToString(kind()); }
  virtual bool uses_op() const { return false; }
  virtual bool uses_root() const { return false; }
  // nccl-tests' busbw / algbw: the fraction of the data each rank's links must carry.
  double BusFactor(int nranks) const { return planner::BusFactor(kind(), nranks); }
  // `count` is the message size in elements before rounding to a multiple of nranks.
  virtual BufferCounts Counts(size_t count, int nranks) const = 0;
  // Whether `rank`'s output is defined (reduce defines only the root's).
  virtual bool HasOutput(int rank, int /*root*/) const { return rank >= 0; }
  // Element i of `rank`'s output, computed on the host from the input pattern alone.
  virtual double Expected(const InputPattern& in, const BufferCounts& c, int rank, int root,
                          size_t i) const = 0;
  virtual bool InPlaceCheckable(const Backend& /*backend*/) const { return true; }
  virtual void Run(Backend& backend, const CallArgs& args) const = 0;
};

// The one instance of a collective class, for the accessors below: collectives hold no state, and
// a function-local static is built on first use, whatever order the files' statics start in.
template <typename T>
const Collective& StaticInstance() {
  static const T kInstance;
  return kInstance;
}

// all_reduce, reduce_scatter, all_gather, broadcast, reduce, all_to_all, sendrecv.
const std::vector<const Collective*>& AllCollectives();
const Collective* FindCollective(std::string_view name);

const Collective& AllReduceCollective();
const Collective& ReduceScatterCollective();
const Collective& AllGatherCollective();
const Collective& BroadcastCollective();
const Collective& ReduceCollective();
const Collective& AllToAllCollective();
const Collective& SendRecvCollective();

}  // namespace comm

#endif  // PLANNER_COMM_COLLECTIVE_H_
