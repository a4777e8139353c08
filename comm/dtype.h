// Element types commbench moves and reduces, with host-side conversions so that correctness checks
// never depend on the backend under test. half and bfloat16 are stored as raw 16-bit patterns;
// the conversions round to nearest even, as CUDA's __float2half_rn and __float2bfloat16_rn do.
#ifndef PLANNER_COMM_DTYPE_H_
#define PLANNER_COMM_DTYPE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace comm {

enum class DType { kFloat, kHalf, kBfloat16, kDouble, kInt32 };

// nccl-tests' spelling ("float", "half", "bfloat16", "double", "int32").
const char* ToString(DType t);
// Accepts the nccl-tests names plus common aliases (fp32, float32, fp16, float16, bf16, fp64,
// float64, int). Case-sensitive, like nccl-tests.
std::optional<DType> ParseDType(std::string_view name);
size_t SizeOf(DType t);

// One value per element type, e.g. a library's own type codes (NCCL's, cuBLAS's):
// PerDType<ncclDataType_t>{ncclFloat32, ncclFloat16, ncclBfloat16, ncclFloat64, ncclInt32}[t].
template <typename T>
struct PerDType {
  T f32, f16, bf16, f64, i32;  // in DType's order
  T operator[](DType t) const {
    switch (t) {
      case DType::kFloat:
        return f32;
      case DType::kHalf:
        return f16;
      case DType::kBfloat16:
        return bf16;
      case DType::kDouble:
        return f64;
      case DType::kInt32:
        return i32;
    }
    return f32;
  }
};

// Largest integer n such that every integer in [0, n] is exactly representable; sums of data
// values are kept below this so reductions in any order are exact.
double ExactIntegerLimit(DType t);

uint16_t FloatToHalfBits(float f);
float HalfBitsToFloat(uint16_t h);
uint16_t FloatToBf16Bits(float f);
float Bf16BitsToFloat(uint16_t b);

// Element i of a typed buffer as a double, and the reverse (rounded to nearest even, integers
// truncated toward zero as C++ does).
double LoadElement(const void* data, size_t i, DType t);
void StoreElement(void* data, size_t i, DType t, double value);

}  // namespace comm

#endif  // PLANNER_COMM_DTYPE_H_
