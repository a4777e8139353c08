// Turns a CUDA runtime error into an exception naming the call, and OnCudaDevice<Interface>: the
// device-memory half of the NCCL backend and the cuBLAS engine (CUDA builds only).
#ifndef COMM_CUDA_CHECK_H_
#define COMM_CUDA_CHECK_H_

#include <cuda_runtime.h>

#include <cstddef>
#include <stdexcept>
#include <string>

namespace comm {

inline void CudaCheck(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(status));
  }
}

// cudaMalloc'd buffers (one byte at least, so that an empty one still has an address) and
// blocking copies; Synchronize stays with the class (a stream, or the whole device).
template <class Interface>
class OnCudaDevice : public Interface {
 public:
  void* Alloc(size_t bytes) override {
    void* p = nullptr;
    CudaCheck(cudaMalloc(&p, bytes == 0 ? 1 : bytes), "cudaMalloc");
    return p;
  }
  void Free(void* ptr) override { cudaFree(ptr); }
  void CopyToDevice(void* dst, const void* src, size_t bytes) override {
    CudaCheck(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice), "cudaMemcpy to device");
  }
  void CopyToHost(void* dst, const void* src, size_t bytes) override {
    CudaCheck(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost), "cudaMemcpy to host");
  }
};

}  // namespace comm

#endif  // COMM_CUDA_CHECK_H_
