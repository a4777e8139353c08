#include "comm/redop.h"

#include <algorithm>

namespace comm {

double Combine(RedOp op, double a, double b) {
  switch (op) {
    case RedOp::kSum:
    case RedOp::kAvg:
      return a + b;
    case RedOp::kProd:
      return a * b;
    case RedOp::kMax:
      return std::max(a, b);
    case RedOp::kMin:
      return std::min(a, b);
  }
  return a;
}

double FinishReduction(RedOp op, double accumulated, int nranks) {
  return op == RedOp::kAvg ? accumulated / nranks : accumulated;
}

}  // namespace comm
