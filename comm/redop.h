// Reduction operators (nccl-tests' -o): sum, prod, max, min, avg.
#ifndef PLANNER_COMM_REDOP_H_
#define PLANNER_COMM_REDOP_H_

#include <array>
#include <optional>
#include <string_view>

#include "comm/name_table.h"

namespace comm {

enum class RedOp { kSum, kProd, kMax, kMin, kAvg };

inline constexpr planner::EnumName<RedOp> kRedOpNames[] = {{RedOp::kSum, "sum"},
                                                           {RedOp::kProd, "prod"},
                                                           {RedOp::kMax, "max"},
                                                           {RedOp::kMin, "min"},
                                                           {RedOp::kAvg, "avg"}};

inline const char* ToString(RedOp op) { return planner::NameIn(kRedOpNames, op); }
inline std::optional<RedOp> ParseRedOp(std::string_view name) {
  return planner::ValueNamed(kRedOpNames, name);
}

// Combines two values the way the operator does; avg combines as a sum and divides at the end
// (FinishReduction), as NCCL does for integers and as the MPI backend does for every type.
double Combine(RedOp op, double a, double b);
double FinishReduction(RedOp op, double accumulated, int nranks);

// One value per operator, e.g. a library's own operator codes (NCCL's, MPI's), as PerDType is
// per element type.
template <typename T>
struct PerRedOp {
  T sum, prod, max, min, avg;  // in RedOp's order
  T operator[](RedOp op) const {
    return std::array{sum, prod, max, min, avg}[static_cast<int>(op)];
  }
};
static_assert(static_cast<int>(RedOp::kAvg) == 4, "PerRedOp has one field per RedOp");

}  // namespace comm

#endif  // PLANNER_COMM_REDOP_H_
