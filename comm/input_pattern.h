// The data each rank feeds a collective under test: small positive integers that depend on the
// rank and the element index, bounded so that every partial sum or product is exact in the
// element type (bfloat16 holds integers up to 256 exactly, half up to 2048). Reductions are
// then exact in any order, so the host can predict every output bit without running the backend.
// Zero never occurs, so an output the collective did not write (pre-filled with zero) shows up.
#ifndef PLANNER_COMM_INPUT_PATTERN_H_
#define PLANNER_COMM_INPUT_PATTERN_H_

#include <cstddef>

#include "comm/dtype.h"
#include "comm/redop.h"

namespace comm {

class InputPattern {
 public:
  InputPattern(DType type, RedOp op, int nranks);

  // Element i of `rank`'s input.
  double Value(int rank, size_t i) const;
  // op applied over every rank's element i (avg divided by nranks at the end).
  double ReduceAcrossRanks(size_t i) const;
  // Whether `got` equals `expected` once expected is rounded to the element type. avg of
  // floating types may be computed as a pre-multiplied sum (NCCL), so it gets a few ulps.
  bool Matches(double got, double expected) const;

  DType type() const { return type_; }
  RedOp op() const { return op_; }
  int nranks() const { return nranks_; }

 private:
  DType type_;
  RedOp op_;
  int nranks_;
  size_t modulus_;  // values are 1 + (7 * rank + 3 * i) % modulus_
};

}  // namespace comm

#endif  // PLANNER_COMM_INPUT_PATTERN_H_
