// Unit boundaries: GiB (2^30 bytes) for capacity, decimal GB (1e9 bytes) for bandwidth and
// transfers, PF-days for compute. Each conversion is pinned to its definition.
#include "planner/core/units.h"

#include <gtest/gtest.h>

#include "planner/core/count.h"

namespace planner {
namespace {

TEST(UnitsTest, GibibytesAreTwoToTheThirty) {
  EXPECT_DOUBLE_EQ(GiBToBytes(1), 1073741824.0);
  EXPECT_DOUBLE_EQ(BytesToGiB(80.0 * 1073741824.0), 80.0);
  // An "80 GB" card reports 81920 MiB = 80 GiB; 80e9 bytes are only 74.5 GiB.
  EXPECT_NEAR(BytesToGiB(80e9), 74.506, 0.001);
}

TEST(UnitsTest, GigabytesAreDecimal) {
  EXPECT_DOUBLE_EQ(GBToBytes(1), 1e9);
  EXPECT_DOUBLE_EQ(BytesToGB(GiBToBytes(1)), 1.073741824);
}

TEST(UnitsTest, TransferSecondsUseDecimalGigabytesPerSecond) {
  // 1 GiB over a 300 GB/s NVLink direction: 1.073741824e9 / 300e9 s.
  EXPECT_DOUBLE_EQ(TransferSeconds(GiBToBytes(1), 300), 1.073741824 / 300);
  EXPECT_DOUBLE_EQ(TransferSeconds(25e9, 25), 1.0);  // 200 Gb/s HDR = 25 GB/s
}

TEST(UnitsTest, PetaflopDay) {
  EXPECT_DOUBLE_EQ(kFlopsPerPfDay, 8.64e19);  // 1e15 FLOP/s for 86,400 s
}

TEST(UnitsTest, CountsBeyondSixtyFourBitsPrintExactly) {
  // 6 * 1.008e12 params * 6.3e6 tokens overflows int64 (9.22e18); Count is 128-bit.
  const Count c = Count{6} * 1008038758400 * (3072 * 2048);
  EXPECT_FALSE(FitsInt64(c));
  // 6 * 1,008,038,758,400 * 6,291,456 = 38,052,188,968,609,382,400 (exact integer product).
  EXPECT_EQ(CountToString(c), "38052188968609382400");
  EXPECT_EQ(CountToString(Count{2127057600}, true), "2,127,057,600");
  EXPECT_EQ(CountToString(Count{-1234}, true), "-1,234");
}

}  // namespace
}  // namespace planner
