// One collective as commbench measures it, with nccl-tests' conventions: how a message size maps
// to buffer counts, the values each rank's output must hold, and the backend call. Each lives in
// its own file under collectives/ as a CollectiveSpec stating only what sets it apart; its name
// and bus-bandwidth factor are the planner's (planner/core/collective_kind.h), so what commbench
// writes is what calibration reads.
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

// What one side (input or output) of a rank's call holds: the whole message (all-reduce,
// broadcast, reduce, sendrecv), or, for the collectives that split it into nranks blocks, one
// block or all of them (reduce-scatter, all-gather, all-to-all). A split message is rounded down
// to a multiple of nranks elements and the call's count is one block, as in nccl-tests.
enum class Share { kWhole, kOneBlock, kAllBlocks };

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

// What a collective's file states: the rest of Collective is the same for all of them, so each
// file lists only its differences from these defaults (designated initializers, in this order).
// Collectives hold no state, hence plain function pointers (captureless lambdas convert), and
// each collective is a constant, initialised before any code runs.
struct CollectiveSpec {
  planner::Collective kind = planner::Collective::kAllReduce;
  bool uses_op = false;
  bool uses_root = false;
  Share send = Share::kWhole;
  Share recv = Share::kWhole;
  // Only the root's output is defined (reduce); otherwise every rank's is.
  bool root_output_only = false;
  // Element i of `rank`'s output, computed on the host from the input pattern alone.
  double (*expected)(const InputPattern& in, const BufferCounts& c, int rank, int root,
                     size_t i) = nullptr;
  // In place, the call is grouped sends and receives on one buffer, which only a backend that
  // orders a rank's send before its receive (SupportsInPlacePointToPoint) leaves checkable.
  bool in_place_point_to_point = false;
  void (*run)(Backend& backend, const CallArgs& args) = nullptr;
};

class Collective {
 public:
  explicit constexpr Collective(const CollectiveSpec& spec) : spec_(spec) {}

  planner::Collective kind() const { return spec_.kind; }
  std::string_view name() const { return planner::ToString(kind()); }
  bool uses_op() const { return spec_.uses_op; }
  bool uses_root() const { return spec_.uses_root; }
  // nccl-tests' busbw / algbw: the fraction of the data each rank's links must carry.
  double BusFactor(int nranks) const { return planner::BusFactor(kind(), nranks); }
  // `count` is the message size in elements before rounding to a multiple of nranks.
  BufferCounts Counts(size_t count, int nranks) const;
  // Whether `rank`'s output is defined.
  bool HasOutput(int rank, int root) const {
    return spec_.root_output_only ? rank == root : rank >= 0;
  }
  double Expected(const InputPattern& in, const BufferCounts& c, int rank, int root,
                  size_t i) const {
    return spec_.expected(in, c, rank, root, i);
  }
  bool InPlaceCheckable(const Backend& backend) const {
    return !spec_.in_place_point_to_point || backend.SupportsInPlacePointToPoint();
  }
  void Run(Backend& backend, const CallArgs& args) const { spec_.run(backend, args); }

 private:
  CollectiveSpec spec_;
};

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
