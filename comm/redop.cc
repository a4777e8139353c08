#include "comm/redop.h"

#include <algorithm>

namespace comm {

const char* ToString(RedOp op) {
  switch (op) {
    case RedOp::kSum:
      return "sum";
    case RedOp::kProd:
      return "prod";
    case RedOp::kMax:
      return "max";
    case RedOp::kMin:
      return "min";
    case RedOp::kAvg:
      return "avg";
  }
  return "?";
}

std::optional<RedOp> ParseRedOp(std::string_view name) {
  for (RedOp op : {RedOp::kSum, RedOp::kProd, RedOp::kMax, RedOp::kMin, RedOp::kAvg}) {
    if (name == ToString(op)) return op;
  }
  return std::nullopt;
}

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
