#include "comm/dtype.h"

#include <bit>
#include <cmath>
#include <cstring>

namespace comm {
namespace {

// Rounds a float's 32-bit pattern to its top 16 bits, nearest even; NaN stays a quiet NaN.
uint16_t RoundFloatBitsToTop16(uint32_t bits) {
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);
  const uint32_t lsb = (bits >> 16) & 1u;
  return static_cast<uint16_t>((bits + 0x7fffu + lsb) >> 16);
}

// Significand bits, the implicit one included; both limits of a floating type follow from them.
int SignificandBits(DType t) {
  return PerDType<int>{.f32 = 24, .f16 = 11, .bf16 = 8, .f64 = 53, .i32 = 0}[t];
}

}  // namespace

size_t SizeOf(DType t) {
  return PerDType<size_t>{.f32 = 4, .f16 = 2, .bf16 = 2, .f64 = 8, .i32 = 4}[t];
}

double ExactIntegerLimit(DType t) {
  return t == DType::kInt32 ? 2147483647.0 : std::ldexp(1.0, SignificandBits(t));
}

double MachineEpsilon(DType t) {
  return t == DType::kInt32 ? 0.0 : std::ldexp(1.0, 1 - SignificandBits(t));
}

uint16_t FloatToBf16Bits(float f) { return RoundFloatBitsToTop16(std::bit_cast<uint32_t>(f)); }

float Bf16BitsToFloat(uint16_t b) { return std::bit_cast<float>(static_cast<uint32_t>(b) << 16); }

uint16_t FloatToHalfBits(float f) {
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const float a = std::fabs(f);
  if (std::isnan(f)) return sign | 0x7e00u;
  if (a >= 65520.0f) return sign | 0x7c00u;  // rounds to infinity
  if (a < 6.103515625e-05f) {
    // Subnormal half: a multiple of 2^-24; nearbyint rounds half to even in the default mode.
    return sign | static_cast<uint16_t>(std::nearbyint(a * 16777216.0f));
  }
  // Normal: drop 13 mantissa bits with round to nearest even, rebias the exponent 127 -> 15.
  const uint32_t abs_bits = bits & 0x7fffffffu;
  const uint32_t lsb = (abs_bits >> 13) & 1u;
  const uint32_t rounded = abs_bits + 0xfffu + lsb;
  return sign | static_cast<uint16_t>((rounded >> 13) - ((127u - 15u) << 10));
}

float HalfBitsToFloat(uint16_t h) {
  const float sign = (h & 0x8000u) ? -1.0f : 1.0f;
  const int exponent = (h >> 10) & 0x1f;
  const int mantissa = h & 0x3ff;
  if (exponent == 0) return sign * std::ldexp(static_cast<float>(mantissa), -24);
  if (exponent == 31) return mantissa ? NAN : sign * INFINITY;
  return sign * std::ldexp(static_cast<float>(mantissa | 0x400), exponent - 25);
}

double LoadElement(const void* data, size_t i, DType t) {
  switch (t) {
    case DType::kFloat:
      return static_cast<const float*>(data)[i];
    case DType::kDouble:
      return static_cast<const double*>(data)[i];
    case DType::kInt32:
      return static_cast<const int32_t*>(data)[i];
    case DType::kHalf:
      return HalfBitsToFloat(static_cast<const uint16_t*>(data)[i]);
    case DType::kBfloat16:
      return Bf16BitsToFloat(static_cast<const uint16_t*>(data)[i]);
  }
  return 0.0;
}

void StoreElement(void* data, size_t i, DType t, double value) {
  switch (t) {
    case DType::kFloat:
      static_cast<float*>(data)[i] = static_cast<float>(value);
      return;
    case DType::kDouble:
      static_cast<double*>(data)[i] = value;
      return;
    case DType::kInt32:
      static_cast<int32_t*>(data)[i] = static_cast<int32_t>(value);
      return;
    case DType::kHalf:
      static_cast<uint16_t*>(data)[i] = FloatToHalfBits(static_cast<float>(value));
      return;
    case DType::kBfloat16:
      static_cast<uint16_t*>(data)[i] = FloatToBf16Bits(static_cast<float>(value));
      return;
  }
}

}  // namespace comm
