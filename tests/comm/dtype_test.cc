#include "comm/dtype.h"

#include <gtest/gtest.h>

#include <cmath>

namespace comm {
namespace {

TEST(DTypeTest, NamesAndSizes) {
  for (DType t : {DType::kFloat, DType::kHalf, DType::kBfloat16, DType::kDouble, DType::kInt32}) {
    EXPECT_EQ(ParseDType(ToString(t)), t);
  }
  EXPECT_EQ(ParseDType("bf16"), DType::kBfloat16);
  EXPECT_EQ(ParseDType("fp16"), DType::kHalf);
  EXPECT_FALSE(ParseDType("fp8").has_value());
  EXPECT_EQ(SizeOf(DType::kHalf), 2u);
  EXPECT_EQ(SizeOf(DType::kDouble), 8u);
}

TEST(HalfTest, KnownBitPatterns) {
  EXPECT_EQ(FloatToHalfBits(1.0f), 0x3c00);
  EXPECT_EQ(FloatToHalfBits(-2.0f), 0xc000);
  EXPECT_EQ(FloatToHalfBits(65504.0f), 0x7bff);               // largest finite
  EXPECT_EQ(FloatToHalfBits(1e6f), 0x7c00);                   // overflows to infinity
  EXPECT_EQ(FloatToHalfBits(std::ldexp(1.0f, -24)), 0x0001);  // smallest subnormal
  EXPECT_EQ(FloatToHalfBits(0.0f), 0x0000);
  EXPECT_TRUE(std::isnan(HalfBitsToFloat(FloatToHalfBits(NAN))));
}

TEST(HalfTest, RoundsToNearestEven) {
  // 2049 lies halfway between 2048 and 2050: ties go to the even mantissa (2048).
  EXPECT_EQ(HalfBitsToFloat(FloatToHalfBits(2049.0f)), 2048.0f);
  EXPECT_EQ(HalfBitsToFloat(FloatToHalfBits(2051.0f)), 2052.0f);
  EXPECT_EQ(HalfBitsToFloat(FloatToHalfBits(2050.9f)), 2050.0f);
}

TEST(HalfTest, EveryIntegerUpTo2048RoundTrips) {
  for (int i = -2048; i <= 2048; ++i) {
    EXPECT_EQ(HalfBitsToFloat(FloatToHalfBits(static_cast<float>(i))), static_cast<float>(i));
  }
}

TEST(Bf16Test, KnownBitPatternsAndRounding) {
  EXPECT_EQ(FloatToBf16Bits(1.0f), 0x3f80);
  EXPECT_EQ(FloatToBf16Bits(-1.0f), 0xbf80);
  // 257 is halfway between 256 and 258: ties to even (256); 259 goes up to 260.
  EXPECT_EQ(Bf16BitsToFloat(FloatToBf16Bits(257.0f)), 256.0f);
  EXPECT_EQ(Bf16BitsToFloat(FloatToBf16Bits(259.0f)), 260.0f);
  for (int i = -256; i <= 256; ++i) {
    EXPECT_EQ(Bf16BitsToFloat(FloatToBf16Bits(static_cast<float>(i))), static_cast<float>(i));
  }
  EXPECT_TRUE(std::isnan(Bf16BitsToFloat(FloatToBf16Bits(NAN))));
}

TEST(ElementTest, StoreAndLoadEveryType) {
  unsigned char buffer[64];
  for (DType t : {DType::kFloat, DType::kHalf, DType::kBfloat16, DType::kDouble, DType::kInt32}) {
    StoreElement(buffer, 3, t, 42.0);
    EXPECT_EQ(LoadElement(buffer, 3, t), 42.0) << ToString(t);
  }
  StoreElement(buffer, 0, DType::kInt32, 7.9);
  EXPECT_EQ(LoadElement(buffer, 0, DType::kInt32), 7.0);  // truncates like C++
}

}  // namespace
}  // namespace comm
