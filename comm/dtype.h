// Element types commbench moves and reduces, with host-side conversions so that correctness checks
// never depend on the backend under test. half and bfloat16 are stored as raw 16-bit patterns;
// the conversions round to nearest even, as CUDA's __float2half_rn and __float2bfloat16_rn do.
#ifndef PLANNER_COMM_DTYPE_H_
#define PLANNER_COMM_DTYPE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "comm/name_table.h"

namespace comm {

enum class DType { kFloat, kHalf, kBfloat16, kDouble, kInt32 };

// nccl-tests' names first, as ToString prints them; then common aliases, which parse too.
// Case-sensitive, like nccl-tests.
inline constexpr planner::EnumName<DType> kDTypeNames[] = {
    {DType::kFloat, "float"},       {DType::kFloat, "fp32"},     {DType::kFloat, "float32"},
    {DType::kHalf, "half"},         {DType::kHalf, "fp16"},      {DType::kHalf, "float16"},
    {DType::kBfloat16, "bfloat16"}, {DType::kBfloat16, "bf16"},  {DType::kDouble, "double"},
    {DType::kDouble, "fp64"},       {DType::kDouble, "float64"}, {DType::kInt32, "int32"},
    {DType::kInt32, "int"},
};

inline const char* ToString(DType t) { return planner::NameIn(kDTypeNames, t); }
inline std::optional<DType> ParseDType(std::string_view name) {
  return planner::ValueNamed(kDTypeNames, name);
}
size_t SizeOf(DType t);

// One value per element type, e.g. a library's own type codes (NCCL's, cuBLAS's):
// PerDType<ncclDataType_t>{ncclFloat32, ncclFloat16, ncclBfloat16, ncclFloat64, ncclInt32}[t].
// A table rather than a switch per library, so each names its five values once.
template <typename T>
struct PerDType {
  T f32, f16, bf16, f64, i32;  // in DType's order
  T operator[](DType t) const { return std::array{f32, f16, bf16, f64, i32}[static_cast<int>(t)]; }
};
static_assert(static_cast<int>(DType::kInt32) == 4, "PerDType has one field per DType");

// Largest integer n such that every integer in [0, n] is exactly representable; sums of data
// values are kept below this so reductions in any order are exact.
double ExactIntegerLimit(DType t);
// The gap between 1 and the next representable value (2^-10 for half); 0 for int32, which
// rounds nothing. Unit roundoff, the largest relative error of one rounding, is half of it.
double MachineEpsilon(DType t);

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
