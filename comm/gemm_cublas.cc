// cuBLAS engine, compiled only with PLANNER_WITH_CUDA: cublasGemmEx with fp32 accumulation for
// float, half and bfloat16, and cublasDgemm for double. Row-major C = A * B is computed as the
// column-major C^T = B^T * A^T, which needs no transposes.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstdio>
#include <stdexcept>
#include <string>

#include "comm/cuda_check.h"
#include "comm/gemm_engine.h"

namespace comm {
namespace {

void CublasCheck(cublasStatus_t status, const char* what) {
  if (status != CUBLAS_STATUS_SUCCESS) {
    throw std::runtime_error(std::string(what) + ": cuBLAS status " + std::to_string(status));
  }
}

cudaDataType_t CudaType(DType t) {
  return PerDType<cudaDataType_t>{CUDA_R_32F, CUDA_R_16F, CUDA_R_16BF, CUDA_R_64F, CUDA_R_32I}[t];
}

class CublasEngine final : public OnCudaDevice<GemmEngine> {
 public:
  explicit CublasEngine(int device) : device_(device) {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess || device >= count) {
      throw std::runtime_error("local rank " + std::to_string(device) + " has no GPU of its own");
    }
    CudaCheck(cudaSetDevice(device), "cudaSetDevice");
    CublasCheck(cublasCreate(&handle_), "cublasCreate");
    // Tensor cores for float too (TF32), as frameworks enable by default for matmuls.
    CublasCheck(cublasSetMathMode(handle_, CUBLAS_TF32_TENSOR_OP_MATH), "cublasSetMathMode");
  }
  ~CublasEngine() override { cublasDestroy(handle_); }

  const char* name() const override { return "cublas"; }
  std::string DeviceDescription() const override {
    cudaDeviceProp prop{};
    CudaCheck(cudaGetDeviceProperties(&prop, device_), "cudaGetDeviceProperties");
    return std::string(prop.name);
  }
  bool Supports(DType t) const override { return t != DType::kInt32; }

  void Synchronize() override { CudaCheck(cudaDeviceSynchronize(), "cudaDeviceSynchronize"); }

  void Gemm(int m, int n, int k, const void* a, const void* b, void* c, DType t) override {
    if (t == DType::kDouble) {
      const double one = 1.0, zero = 0.0;
      CublasCheck(cublasDgemm(handle_, CUBLAS_OP_N, CUBLAS_OP_N, n, m, k, &one,
                              static_cast<const double*>(b), n, static_cast<const double*>(a), k,
                              &zero, static_cast<double*>(c), n),
                  "cublasDgemm");
      return;
    }
    const float one = 1.0f, zero = 0.0f;
    const cudaDataType_t type = CudaType(t);
    CublasCheck(cublasGemmEx(handle_, CUBLAS_OP_N, CUBLAS_OP_N, n, m, k, &one, b, type, n, a, type,
                             k, &zero, c, type, n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                "cublasGemmEx");
  }

 private:
  int device_ = 0;
  cublasHandle_t handle_ = nullptr;
};

}  // namespace

bool BuiltWithCublas() { return true; }

std::unique_ptr<GemmEngine> MakeCublasEngine(int local_rank) {
  return std::make_unique<CublasEngine>(local_rank);
}

}  // namespace comm
