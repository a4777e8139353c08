#include "comm/mpi_backend.h"

#include <mpi.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "comm/host_memory.h"
#include "comm/mpi_types.h"

namespace comm {
namespace {

// MPI counts are int; larger messages would need derived datatypes.
int MpiCount(size_t count) {
  if (count > static_cast<size_t>(INT_MAX)) {
    throw std::runtime_error("message of " + std::to_string(count) +
                             " elements exceeds MPI's int count");
  }
  return static_cast<int>(count);
}

const char* At(const void* base, size_t elements, DType t) {
  return static_cast<const char*>(base) + elements * SizeOf(t);
}

class MpiBackend final : public OnHost<Backend> {
 public:
  MpiBackend() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks_);
  }
  ~MpiBackend() override { FreeMpiOps(); }

  const char* name() const override { return "mpi"; }
  std::string DeviceDescription() const override { return "device -1 [host] CPU memory"; }
  bool SupportsInPlacePointToPoint() const override { return true; }

  void AllReduce(const void* send, void* recv, size_t count, DType t, RedOp op) override {
    const void* in = send == recv ? MPI_IN_PLACE : send;
    MPI_Allreduce(in, recv, MpiCount(count), MpiType(t), MpiOp(t, op), MPI_COMM_WORLD);
    if (op == RedOp::kAvg) PostDivide(recv, count, t, nranks_);
  }

  void ReduceScatter(const void* send, void* recv, size_t recv_count, DType t, RedOp op) override {
    const size_t block_bytes = recv_count * SizeOf(t);
    if (recv == At(send, rank_ * recv_count, t)) {
      // MPI leaves the in-place result at the start of the buffer; NCCL's layout wants it at
      // this rank's block, so move it there (1/n of the data, small next to the reduction).
      void* buf = const_cast<void*>(send);
      MPI_Reduce_scatter_block(MPI_IN_PLACE, buf, MpiCount(recv_count), MpiType(t), MpiOp(t, op),
                               MPI_COMM_WORLD);
      if (rank_ != 0) std::memmove(recv, buf, block_bytes);
    } else {
      MPI_Reduce_scatter_block(send, recv, MpiCount(recv_count), MpiType(t), MpiOp(t, op),
                               MPI_COMM_WORLD);
    }
    if (op == RedOp::kAvg) PostDivide(recv, recv_count, t, nranks_);
  }

  void AllGather(const void* send, void* recv, size_t send_count, DType t) override {
    const int n = MpiCount(send_count);
    if (send == At(recv, rank_ * send_count, t)) {
      MPI_Allgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, recv, n, MpiType(t), MPI_COMM_WORLD);
    } else {
      MPI_Allgather(send, n, MpiType(t), recv, n, MpiType(t), MPI_COMM_WORLD);
    }
  }

  void Broadcast(const void* send, void* recv, size_t count, DType t, int root) override {
    const int n = MpiCount(count);
    if (send == recv) {
      MPI_Bcast(recv, n, MpiType(t), root, MPI_COMM_WORLD);
      return;
    }
    // Out of place the root also owes its own receive buffer a copy: overlap it with the
    // broadcast. Every rank uses the nonblocking call, since a blocking collective never
    // matches a nonblocking one.
    MPI_Request request;
    void* buffer = rank_ == root ? const_cast<void*>(send) : recv;
    MPI_Ibcast(buffer, n, MpiType(t), root, MPI_COMM_WORLD, &request);
    if (rank_ == root) std::memcpy(recv, send, count * SizeOf(t));
    MPI_Wait(&request, MPI_STATUS_IGNORE);
  }

  void Reduce(const void* send, void* recv, size_t count, DType t, RedOp op, int root) override {
    const void* in = (rank_ == root && send == recv) ? MPI_IN_PLACE : send;
    MPI_Reduce(in, recv, MpiCount(count), MpiType(t), MpiOp(t, op), root, MPI_COMM_WORLD);
    if (op == RedOp::kAvg && rank_ == root) PostDivide(recv, count, t, nranks_);
  }

  void AllToAll(const void* send, void* recv, size_t count, DType t) override {
    const int n = MpiCount(count);
    if (send == recv) {
      MPI_Alltoall(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, recv, n, MpiType(t), MPI_COMM_WORLD);
    } else {
      MPI_Alltoall(send, n, MpiType(t), recv, n, MpiType(t), MPI_COMM_WORLD);
    }
  }

  void SendRecv(const void* send, void* recv, size_t count, DType t, int send_peer,
                int recv_peer) override {
    const int n = MpiCount(count);
    if (send == recv) {
      MPI_Sendrecv_replace(recv, n, MpiType(t), send_peer, 0, recv_peer, 0, MPI_COMM_WORLD,
                           MPI_STATUS_IGNORE);
    } else {
      MPI_Sendrecv(send, n, MpiType(t), send_peer, 0, recv, n, MpiType(t), recv_peer, 0,
                   MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    }
  }

 private:
  int rank_ = 0;
  int nranks_ = 1;
};

}  // namespace

std::unique_ptr<Backend> MakeMpiBackend() { return std::make_unique<MpiBackend>(); }

}  // namespace comm
