// The interface commbench times: buffers live wherever the backend keeps them (host memory for
// MPI, device memory for NCCL) and every collective follows NCCL's calling convention, in-place
// included: an operation is in place when its send and receive pointers overlap the way
// nccl-tests lays them out (recv == send for all-reduce, broadcast, reduce, all-to-all and
// send/recv; recv == send + rank * recv_bytes for reduce-scatter; send == recv + rank *
// send_bytes for all-gather). Calls may return before the data moved; Synchronize() waits.
#ifndef PLANNER_COMM_BACKEND_H_
#define PLANNER_COMM_BACKEND_H_

#include <cstddef>

#include "comm/device.h"
#include "comm/dtype.h"
#include "comm/redop.h"

namespace comm {

class Backend : public Device {
 public:
  // NCCL gives no ordering between a rank's send and receive on one buffer.
  virtual bool SupportsInPlacePointToPoint() const = 0;

  virtual void AllReduce(const void* send, void* recv, size_t count, DType t, RedOp op) = 0;
  virtual void ReduceScatter(const void* send, void* recv, size_t recv_count, DType t,
                             RedOp op) = 0;
  virtual void AllGather(const void* send, void* recv, size_t send_count, DType t) = 0;
  virtual void Broadcast(const void* send, void* recv, size_t count, DType t, int root) = 0;
  virtual void Reduce(const void* send, void* recv, size_t count, DType t, RedOp op, int root) = 0;
  // count elements go to each peer: send holds nranks blocks of count, block p for rank p.
  virtual void AllToAll(const void* send, void* recv, size_t count, DType t) = 0;
  virtual void SendRecv(const void* send, void* recv, size_t count, DType t, int send_peer,
                        int recv_peer) = 0;
};

}  // namespace comm

#endif  // PLANNER_COMM_BACKEND_H_
