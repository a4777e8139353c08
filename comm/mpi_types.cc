#include "comm/mpi_types.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <utility>

namespace comm {
namespace {

template <float (*Load)(uint16_t), uint16_t (*Store)(float), RedOp kOp>
void Reduce16(void* in, void* inout, int* len, MPI_Datatype* /*type*/) {
  const auto* a = static_cast<const uint16_t*>(in);
  auto* b = static_cast<uint16_t*>(inout);
  for (int i = 0; i < *len; ++i) {
    b[i] = Store(static_cast<float>(Combine(kOp, Load(a[i]), Load(b[i]))));
  }
}

template <float (*Load)(uint16_t), uint16_t (*Store)(float)>
MPI_User_function* Pick16(RedOp op) {
  return PerRedOp<MPI_User_function*>{.sum = Reduce16<Load, Store, RedOp::kSum>,
                                      .prod = Reduce16<Load, Store, RedOp::kProd>,
                                      .max = Reduce16<Load, Store, RedOp::kMax>,
                                      .min = Reduce16<Load, Store, RedOp::kMin>,
                                      .avg = Reduce16<Load, Store, RedOp::kSum>}[op];
}

std::map<std::pair<DType, RedOp>, MPI_Op>& UserOps() {
  static std::map<std::pair<DType, RedOp>, MPI_Op> ops;
  return ops;
}

// avg reduces as a sum; the backend divides afterwards (PostDivide).
MPI_Op BuiltinOp(RedOp op) {
  return PerRedOp<MPI_Op>{
      .sum = MPI_SUM, .prod = MPI_PROD, .max = MPI_MAX, .min = MPI_MIN, .avg = MPI_SUM}[op];
}

}  // namespace

MPI_Datatype MpiType(DType t) {
  return PerDType<MPI_Datatype>{.f32 = MPI_FLOAT,
                                .f16 = MPI_UINT16_T,
                                .bf16 = MPI_UINT16_T,
                                .f64 = MPI_DOUBLE,
                                .i32 = MPI_INT32_T}[t];
}

MPI_Op MpiOp(DType t, RedOp op) {
  if (t != DType::kHalf && t != DType::kBfloat16) return BuiltinOp(op);
  if (op == RedOp::kAvg) op = RedOp::kSum;
  auto [it, inserted] = UserOps().try_emplace({t, op}, MPI_OP_NULL);
  if (inserted) {
    MPI_User_function* fn = t == DType::kHalf ? Pick16<HalfBitsToFloat, FloatToHalfBits>(op)
                                              : Pick16<Bf16BitsToFloat, FloatToBf16Bits>(op);
    MPI_Op_create(fn, /*commute=*/1, &it->second);
  }
  return it->second;
}

void FreeMpiOps() {
  for (auto& [key, op] : UserOps()) MPI_Op_free(&op);
  UserOps().clear();
}

void PostDivide(void* data, size_t count, DType t, int nranks) {
  switch (t) {
    case DType::kFloat:
      std::for_each_n(static_cast<float*>(data), count, [=](float& x) { x /= nranks; });
      return;
    case DType::kDouble:
      std::for_each_n(static_cast<double*>(data), count, [=](double& x) { x /= nranks; });
      return;
    case DType::kInt32:
      std::for_each_n(static_cast<int32_t*>(data), count, [=](int32_t& x) { x /= nranks; });
      return;
    case DType::kHalf:
    case DType::kBfloat16:
      for (size_t i = 0; i < count; ++i) {
        StoreElement(data, i, t, LoadElement(data, i, t) / nranks);
      }
      return;
  }
}

}  // namespace comm
