#include "comm/input_pattern.h"

#include <algorithm>
#include <cmath>

namespace comm {
namespace {

// A prime period, so a block landing at the wrong offset almost never holds the right values.
constexpr size_t kMaxModulus = 97;

double RoundTrip(double value, DType t) {
  unsigned char storage[8];
  StoreElement(storage, 0, t, value);
  return LoadElement(storage, 0, t);
}

}  // namespace

InputPattern::InputPattern(DType type, RedOp op, int nranks)
    : type_(type), op_(op), nranks_(std::max(nranks, 1)) {
  const bool sums = op == RedOp::kSum || op == RedOp::kAvg;
  // Sums of nranks values up to modulus_ must stay exactly representable.
  const double limit = sums ? ExactIntegerLimit(type) / nranks_ : ExactIntegerLimit(type);
  modulus_ = static_cast<size_t>(std::clamp(limit, 1.0, static_cast<double>(kMaxModulus)));
}

double InputPattern::Value(int rank, size_t i) const {
  const size_t key = 7 * static_cast<size_t>(rank) + 3 * i;
  // Products: only ones and a two for every fourth rank, so they stay small powers of two.
  if (op_ == RedOp::kProd) return key % 4 == 0 ? 2.0 : 1.0;
  return 1.0 + static_cast<double>(key % modulus_);
}

double InputPattern::ReduceAcrossRanks(size_t i) const {
  double acc = Value(0, i);
  for (int r = 1; r < nranks_; ++r) acc = Combine(op_, acc, Value(r, i));
  return FinishReduction(op_, acc, nranks_);
}

bool InputPattern::Matches(double got, double expected) const {
  const double want = RoundTrip(expected, type_);
  if (got == want) return true;
  if (op_ != RedOp::kAvg || type_ == DType::kInt32) return false;
  return std::fabs(got - expected) <= 2.0 * nranks_ * MachineEpsilon(type_) * std::fabs(expected);
}

}  // namespace comm
