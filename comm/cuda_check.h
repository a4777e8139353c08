// Turns a CUDA runtime error into an exception naming the call (CUDA builds only).
#ifndef COMM_CUDA_CHECK_H_
#define COMM_CUDA_CHECK_H_

#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace comm {

inline void CudaCheck(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(status));
  }
}

}  // namespace comm

#endif  // COMM_CUDA_CHECK_H_
