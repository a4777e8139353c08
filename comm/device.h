// What the NCCL and MPI backends and the cuBLAS and OpenBLAS engines have in common: a device
// that holds buffers (host memory for MPI and OpenBLAS, the rank's GPU for NCCL and cuBLAS) and
// the name and line the reports print for it. OnHost<> (host_memory.h) and OnCudaDevice<>
// (cuda_check.h) implement the memory calls once for either interface.
#ifndef PLANNER_COMM_DEVICE_H_
#define PLANNER_COMM_DEVICE_H_

#include <cstddef>
#include <string>

namespace comm {

class Device {
 public:
  virtual ~Device() = default;

  virtual const char* name() const = 0;
  // One line for the "# Using devices" block, e.g. "device 0 [0000:1b:00] NVIDIA H100".
  virtual std::string DeviceDescription() const = 0;

  virtual void* Alloc(size_t bytes) = 0;
  virtual void Free(void* ptr) = 0;
  virtual void CopyToDevice(void* dst, const void* src, size_t bytes) = 0;
  virtual void CopyToHost(void* dst, const void* src, size_t bytes) = 0;
  // Calls may return before the data moved; this waits.
  virtual void Synchronize() = 0;
};

}  // namespace comm

#endif  // PLANNER_COMM_DEVICE_H_
