#include "comm/gemm_sweep.h"

#include <chrono>

#include "comm/matrix_fill.h"

namespace comm {
namespace {

SweepFigures TimeShape(const MatbenchOptions& o, const GemmShape& s, GemmEngine& engine,
                       World& world) {
  const size_t es = SizeOf(o.type);
  const auto a_host = FillBlock(11, 0, s.m, 0, s.k, o.type);
  const auto b_host = FillBlock(12, 0, s.k, 0, s.n, o.type);
  void* a = engine.Alloc(a_host.size());
  void* b = engine.Alloc(b_host.size());
  void* c = engine.Alloc(static_cast<size_t>(s.m * s.n) * es);
  engine.CopyToDevice(a, a_host.data(), a_host.size());
  engine.CopyToDevice(b, b_host.data(), b_host.size());
  const int m = static_cast<int>(s.m), n = static_cast<int>(s.n), k = static_cast<int>(s.k);
  for (int i = 0; i < o.warmup_iters; ++i) engine.Gemm(m, n, k, a, b, c, o.type);
  engine.Synchronize();
  world.Barrier();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < o.iters; ++i) engine.Gemm(m, n, k, a, b, c, o.type);
  engine.Synchronize();
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  engine.Free(a);
  engine.Free(b);
  engine.Free(c);
  SweepFigures row;
  row.shape = s;
  row.flops = GemmFlops(s);
  const double time_s = world.Max(elapsed.count() / o.iters);
  row.time_us = time_s * 1e6;
  row.tflops = row.flops / time_s / 1e12;
  if (o.peak_tflops > 0.0) row.efficiency = row.tflops / o.peak_tflops;
  return row;
}

}  // namespace

std::vector<SweepFigures> RunGemmSweep(const MatbenchOptions& options,
                                       const std::vector<GemmShape>& shapes, GemmEngine& engine,
                                       World& world,
                                       const std::function<void(const SweepFigures&)>& on_row) {
  std::vector<SweepFigures> rows;
  for (const GemmShape& s : shapes) {
    rows.push_back(TimeShape(options, s, engine, world));
    on_row(rows.back());
  }
  return rows;
}

}  // namespace comm
