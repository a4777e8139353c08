// Compiled only with PLANNER_WITH_CUDA: plain C++ against the CUDA runtime and NCCL headers.
#include "comm/nccl_backend.h"

#include <cuda_runtime.h>
#include <nccl.h>

#include <cstdio>
#include <stdexcept>
#include <string>

#include "comm/cuda_check.h"

namespace comm {
namespace {

void NcclCheck(ncclResult_t status, const char* what) {
  if (status != ncclSuccess) {
    throw std::runtime_error(std::string(what) + ": " + ncclGetErrorString(status));
  }
}

ncclDataType_t NcclType(DType t) {
  return PerDType<ncclDataType_t>{ncclFloat32, ncclFloat16, ncclBfloat16, ncclFloat64,
                                  ncclInt32}[t];
}

ncclRedOp_t NcclOp(RedOp op) {
  return PerRedOp<ncclRedOp_t>{ncclSum, ncclProd, ncclMax, ncclMin, ncclAvg}[op];
}

const char* At(const void* base, size_t elements, DType t) {
  return static_cast<const char*>(base) + elements * SizeOf(t);
}

class NcclBackend final : public OnCudaDevice<Backend> {
 public:
  explicit NcclBackend(World& world) : device_(world.local_rank()) {
    const int gpus = VisibleGpuCount();
    if (device_ >= gpus) {
      throw std::runtime_error("local rank " + std::to_string(device_) +
                               " has no GPU of its own (" + std::to_string(gpus) +
                               " visible); NCCL needs one rank per GPU: start at most that many "
                               "ranks per node");
    }
    CudaCheck(cudaSetDevice(device_), "cudaSetDevice");
    CudaCheck(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
    ncclUniqueId id;
    if (world.rank() == 0) NcclCheck(ncclGetUniqueId(&id), "ncclGetUniqueId");
    world.Broadcast(&id, sizeof(id), 0);
    NcclCheck(ncclCommInitRank(&comm_, world.size(), id, world.rank()), "ncclCommInitRank");
    nranks_ = world.size();
  }

  ~NcclBackend() override {
    ncclCommDestroy(comm_);
    cudaStreamDestroy(stream_);
  }

  const char* name() const override { return "nccl"; }

  std::string DeviceDescription() const override {
    cudaDeviceProp prop{};
    CudaCheck(cudaGetDeviceProperties(&prop, device_), "cudaGetDeviceProperties");
    char line[512];
    std::snprintf(line, sizeof(line), "device %2d [%04x:%02x:%02x] %s", device_, prop.pciDomainID,
                  prop.pciBusID, prop.pciDeviceID, prop.name);
    return line;
  }

  bool SupportsInPlacePointToPoint() const override { return false; }

  void Synchronize() override { CudaCheck(cudaStreamSynchronize(stream_), "stream sync"); }

  void AllReduce(const void* send, void* recv, size_t count, DType t, RedOp op) override {
    NcclCheck(ncclAllReduce(send, recv, count, NcclType(t), NcclOp(op), comm_, stream_),
              "ncclAllReduce");
  }
  void ReduceScatter(const void* send, void* recv, size_t recv_count, DType t, RedOp op) override {
    NcclCheck(ncclReduceScatter(send, recv, recv_count, NcclType(t), NcclOp(op), comm_, stream_),
              "ncclReduceScatter");
  }
  void AllGather(const void* send, void* recv, size_t send_count, DType t) override {
    NcclCheck(ncclAllGather(send, recv, send_count, NcclType(t), comm_, stream_), "ncclAllGather");
  }
  void Broadcast(const void* send, void* recv, size_t count, DType t, int root) override {
    NcclCheck(ncclBroadcast(send, recv, count, NcclType(t), root, comm_, stream_), "ncclBroadcast");
  }
  void Reduce(const void* send, void* recv, size_t count, DType t, RedOp op, int root) override {
    NcclCheck(ncclReduce(send, recv, count, NcclType(t), NcclOp(op), root, comm_, stream_),
              "ncclReduce");
  }
  void AllToAll(const void* send, void* recv, size_t count, DType t) override {
    if (count == 0) return;
    NcclCheck(ncclGroupStart(), "ncclGroupStart");
    for (int peer = 0; peer < nranks_; ++peer) {
      NcclCheck(ncclSend(At(send, peer * count, t), count, NcclType(t), peer, comm_, stream_),
                "ncclSend");
      NcclCheck(ncclRecv(const_cast<char*>(At(recv, peer * count, t)), count, NcclType(t), peer,
                         comm_, stream_),
                "ncclRecv");
    }
    NcclCheck(ncclGroupEnd(), "ncclGroupEnd");
  }
  void SendRecv(const void* send, void* recv, size_t count, DType t, int send_peer,
                int recv_peer) override {
    NcclCheck(ncclGroupStart(), "ncclGroupStart");
    NcclCheck(ncclSend(send, count, NcclType(t), send_peer, comm_, stream_), "ncclSend");
    NcclCheck(ncclRecv(recv, count, NcclType(t), recv_peer, comm_, stream_), "ncclRecv");
    NcclCheck(ncclGroupEnd(), "ncclGroupEnd");
  }

 private:
  int device_ = 0;
  int nranks_ = 1;
  cudaStream_t stream_ = nullptr;
  ncclComm_t comm_ = nullptr;
};

}  // namespace

bool BuiltWithNccl() { return true; }

int VisibleGpuCount() {
  int count = 0;
  // No driver or no device both mean "no GPU here", not an error: auto falls back to MPI.
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return count;
}

std::unique_ptr<Backend> MakeNcclBackend(World& world) {
  return std::make_unique<NcclBackend>(world);
}

}  // namespace comm
