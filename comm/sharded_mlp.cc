#include "comm/sharded_mlp.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include "comm/matrix_fill.h"

namespace comm {
namespace {

constexpr uint64_t kX = 1, kW1 = 2, kW2 = 3;

// A buffer in the engine's memory, filled from host bytes.
class DeviceMatrix {
 public:
  DeviceMatrix(GemmEngine& engine, size_t bytes) : engine_(engine), ptr_(engine.Alloc(bytes)) {}
  DeviceMatrix(GemmEngine& engine, const std::vector<unsigned char>& host)
      : DeviceMatrix(engine, host.size()) {
    engine.CopyToDevice(ptr_, host.data(), host.size());
  }
  ~DeviceMatrix() { engine_.Free(ptr_); }
  DeviceMatrix(const DeviceMatrix&) = delete;
  DeviceMatrix& operator=(const DeviceMatrix&) = delete;
  void* get() const { return ptr_; }

 private:
  GemmEngine& engine_;
  void* ptr_;
};

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

std::vector<unsigned char> Download(GemmEngine& engine, const void* ptr, size_t bytes) {
  std::vector<unsigned char> host(bytes);
  engine.CopyToHost(host.data(), ptr, bytes);
  return host;
}

// Rank 0: the same two GEMMs unsharded, and the normwise difference from the sharded result.
double ReferenceError(const MatbenchOptions& o, GemmEngine& engine,
                      const std::vector<unsigned char>& sharded) {
  const int64_t t = o.tokens, d = o.d_model, f = o.d_ff;
  const size_t es = SizeOf(o.type);
  DeviceMatrix x(engine, FillBlock(kX, 0, t, 0, d, o.type));
  DeviceMatrix w1(engine, FillBlock(kW1, 0, d, 0, f, o.type));
  DeviceMatrix w2(engine, FillBlock(kW2, 0, f, 0, d, o.type));
  DeviceMatrix y(engine, t * f * es), z(engine, t * d * es);
  engine.Gemm(t, f, d, x.get(), w1.get(), y.get(), o.type);
  engine.Gemm(t, d, f, y.get(), w2.get(), z.get(), o.type);
  engine.Synchronize();
  const auto reference = Download(engine, z.get(), t * d * es);
  double max_diff = 0.0, max_ref = 0.0;
  for (size_t i = 0; i < static_cast<size_t>(t * d); ++i) {
    const double want = LoadElement(reference.data(), i, o.type);
    max_diff = std::max(max_diff, std::fabs(LoadElement(sharded.data(), i, o.type) - want));
    max_ref = std::max(max_ref, std::fabs(want));
  }
  return max_ref > 0.0 ? max_diff / max_ref : max_diff;
}

}  // namespace

double MlpErrorBound(DType t, int64_t d_model, int64_t d_ff, int tp) {
  const double u = MachineEpsilon(t) / 2;  // unit roundoff; matbench takes no int32
  if (t == DType::kHalf || t == DType::kBfloat16) return (2.0 * tp + 8.0) * u;
  return 2.0 * static_cast<double>(d_model + d_ff) * u;
}

MlpFigures RunShardedMlp(const MatbenchOptions& o, GemmEngine& engine, Backend* backend,
                         World& world) {
  MlpFigures r;
  r.tp = world.size();
  const int64_t t = o.tokens, d = o.d_model, fs = o.d_ff / r.tp, col0 = world.rank() * fs;
  const size_t es = SizeOf(o.type);
  DeviceMatrix x(engine, FillBlock(kX, 0, t, 0, d, o.type));
  DeviceMatrix w1(engine, FillBlock(kW1, 0, d, col0, fs, o.type));
  DeviceMatrix w2(engine, FillBlock(kW2, col0, fs, 0, d, o.type));
  DeviceMatrix y(engine, t * fs * es), z(engine, t * d * es);
  auto iteration = [&](double* phase) {
    auto start = std::chrono::steady_clock::now();
    engine.Gemm(t, fs, d, x.get(), w1.get(), y.get(), o.type);
    engine.Synchronize();
    phase[0] += Seconds(start);
    start = std::chrono::steady_clock::now();
    engine.Gemm(t, d, fs, y.get(), w2.get(), z.get(), o.type);
    engine.Synchronize();
    phase[1] += Seconds(start);
    start = std::chrono::steady_clock::now();
    // One rank needs no all-reduce (and a build without MPI has no backend for it).
    if (backend != nullptr) {
      backend->AllReduce(z.get(), z.get(), t * d, o.type, RedOp::kSum);
      backend->Synchronize();
    }
    phase[2] += Seconds(start);
  };
  double ignored[3] = {};
  for (int i = 0; i < o.warmup_iters; ++i) iteration(ignored);
  double phase[3] = {};
  world.Barrier();
  for (int i = 0; i < o.iters; ++i) iteration(phase);
  r.gemm1_us = world.Max(phase[0] / o.iters) * 1e6;
  r.gemm2_us = world.Max(phase[1] / o.iters) * 1e6;
  r.allreduce_us = world.Max(phase[2] / o.iters) * 1e6;
  const double total_s = world.Max((phase[0] + phase[1] + phase[2]) / o.iters);
  r.total_us = total_s * 1e6;
  r.flops_per_rank = 2.0 * 2.0 * static_cast<double>(t) * static_cast<double>(d) * fs;
  r.tflops_per_rank = r.flops_per_rank / total_s / 1e12;
  if (o.peak_tflops > 0.0) r.efficiency = r.tflops_per_rank / o.peak_tflops;
  r.allreduce_bytes = static_cast<uint64_t>(t * d) * es;
  r.error_bound = MlpErrorBound(o.type, d, o.d_ff, r.tp);
  if (o.check) {
    // Every iteration rewrites Z from the GEMMs, so Z now holds one clean sharded result.
    double err = 0.0;
    if (world.rank() == 0) err = ReferenceError(o, engine, Download(engine, z.get(), t * d * es));
    r.max_rel_err = world.Max(err);
  }
  return r;
}

}  // namespace comm
