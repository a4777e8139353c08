// Stand-in for builds without OpenBLAS (e.g. a GPU machine that has only cuBLAS).
#include <stdexcept>

#include "comm/gemm_engine.h"

namespace comm {

bool BuiltWithOpenBlas() { return false; }
std::unique_ptr<GemmEngine> MakeOpenBlasEngine(int /*threads*/) {
  throw std::runtime_error("this matbench was built without OpenBLAS");
}

}  // namespace comm
