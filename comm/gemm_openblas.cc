// OpenBLAS engine: sgemm/dgemm on host buffers.
#include <cblas.h>

#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "comm/gemm_engine.h"
#include "comm/host_memory.h"

namespace comm {
namespace {

class OpenBlasEngine final : public OnHost<GemmEngine> {
 public:
  explicit OpenBlasEngine(int threads) { openblas_set_num_threads(threads < 1 ? 1 : threads); }

  const char* name() const override { return "openblas"; }
  std::string DeviceDescription() const override {
    return "CPU, OpenBLAS " + std::to_string(openblas_get_num_threads()) + " thread(s)";
  }
  bool Supports(DType t) const override { return t == DType::kFloat || t == DType::kDouble; }

  void Gemm(int m, int n, int k, const void* a, const void* b, void* c, DType t) override {
    if (t == DType::kFloat) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f,
                  static_cast<const float*>(a), k, static_cast<const float*>(b), n, 0.0f,
                  static_cast<float*>(c), n);
    } else if (t == DType::kDouble) {
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0,
                  static_cast<const double*>(a), k, static_cast<const double*>(b), n, 0.0,
                  static_cast<double*>(c), n);
    } else {
      throw std::runtime_error(std::string("OpenBLAS has no ") + ToString(t) + " GEMM");
    }
  }
};

}  // namespace

bool BuiltWithOpenBlas() { return true; }

std::unique_ptr<GemmEngine> MakeOpenBlasEngine(int threads) {
  return std::make_unique<OpenBlasEngine>(threads);
}

}  // namespace comm
