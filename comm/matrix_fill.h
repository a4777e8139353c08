// Deterministic matrix contents for matbench: element (row, col) of matrix `id` is a function of
// those three numbers alone, uniform in [-1, 1), so every rank builds exactly its shard of the
// same global matrix without communicating, and rank 0 can rebuild the whole for the reference.
#ifndef PLANNER_COMM_MATRIX_FILL_H_
#define PLANNER_COMM_MATRIX_FILL_H_

#include <cstdint>
#include <vector>

#include "comm/dtype.h"

namespace comm {

double MatrixElement(uint64_t id, int64_t row, int64_t col);

// Rows [row0, row0 + rows) x columns [col0, col0 + cols) of matrix `id`, row-major, as `t`.
std::vector<unsigned char> FillBlock(uint64_t id, int64_t row0, int64_t rows, int64_t col0,
                                     int64_t cols, DType t);

}  // namespace comm

#endif  // PLANNER_COMM_MATRIX_FILL_H_
