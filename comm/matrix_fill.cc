#include "comm/matrix_fill.h"

namespace comm {
namespace {

// SplitMix64: a cheap, well-mixed hash of the element's coordinates.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

double MatrixElement(uint64_t id, int64_t row, int64_t col) {
  const uint64_t key =
      Mix(id) ^ Mix(static_cast<uint64_t>(row) * 0x100000001b3ull + static_cast<uint64_t>(col));
  const double unit = static_cast<double>(Mix(key) >> 11) * 0x1.0p-53;  // [0, 1)
  return 2.0 * unit - 1.0;
}

std::vector<unsigned char> FillBlock(uint64_t id, int64_t row0, int64_t rows, int64_t col0,
                                     int64_t cols, DType t) {
  std::vector<unsigned char> data(static_cast<size_t>(rows * cols) * SizeOf(t));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      StoreElement(data.data(), static_cast<size_t>(r * cols + c), t,
                   MatrixElement(id, row0 + r, col0 + c));
    }
  }
  return data;
}

}  // namespace comm
