// matbench: times the Megatron-sharded MLP matmuls with their all-reduce, and plain GEMM sweeps,
// with cuBLAS on GPUs or OpenBLAS on CPUs.
//   mpirun -n 4 matbench --tokens 2048 --d-model 4096 --d-ff 16384 -d bfloat16 --peak-tflops 989
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <thread>

#include "comm/gemm_sweep.h"
#include "comm/matbench_json.h"
#include "comm/nccl_backend.h"
#include "comm/program_main.h"
#include "comm/sharded_mlp.h"
#include "planner/io/atomic_file.h"
#if PLANNER_WITH_MPI
#include "comm/mpi_backend.h"
#endif

namespace comm {
namespace {

void Print(const World& world, const char* format, auto... args) {
  if (world.rank() != 0) return;
  std::printf(format, args...);
  std::fflush(stdout);
}

std::unique_ptr<GemmEngine> MakeEngine(const MatbenchOptions& o, const World& world) {
  EngineChoice choice = o.engine;
  if (choice == EngineChoice::kAuto) {
    choice = BuiltWithCublas() && VisibleGpuCount() > 0 ? EngineChoice::kCublas
                                                        : EngineChoice::kOpenBlas;
  }
  if (choice == EngineChoice::kCublas && !BuiltWithCublas()) {
    throw UsageError("--engine cublas: built without CUDA");
  }
  if (choice == EngineChoice::kOpenBlas && !BuiltWithOpenBlas()) {
    throw UsageError("--engine openblas: built without OpenBLAS");
  }
  std::unique_ptr<GemmEngine> engine;
  if (choice == EngineChoice::kCublas) {
    engine = MakeCublasEngine(world.local_rank());
  } else {
    const int cores = static_cast<int>(std::thread::hardware_concurrency());
    engine = MakeOpenBlasEngine(std::max(1, cores / world.local_size()));
  }
  if (!engine->Supports(o.type)) {
    throw UsageError(std::string(engine->name()) + " has no " + ToString(o.type) +
                     " GEMM (OpenBLAS: float, double; cuBLAS: float, half, bfloat16, double)");
  }
  return engine;
}

// The all-reduce runs where the engine keeps its buffers: NCCL for cuBLAS, MPI for OpenBLAS.
std::unique_ptr<Backend> MakeCommBackend(const GemmEngine& engine, World& world) {
  if (world.size() == 1) return nullptr;
  if (std::string(engine.name()) == "cublas") return MakeNcclBackend(world);
#if PLANNER_WITH_MPI
  return MakeMpiBackend();
#else
  throw UsageError("more than one rank needs MPI");
#endif
}

std::string Scientific(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2e", value);
  return text;
}

MlpFigures RunMlp(const MatbenchOptions& o, GemmEngine& engine, Backend* backend, World& world) {
  Print(world,
        "#\n# Megatron MLP: X[tokens x d_model] . W1[d_model x d_ff/tp] (column-parallel) "
        ". W2[d_ff/tp x d_model] (row-parallel), then the all-reduce of Z[tokens x d_model]\n");
  Print(world, "# %8s %8s %8s %4s %11s %11s %13s %11s %12s %6s %11s %9s\n", "tokens", "d_model",
        "d_ff", "tp", "gemm1(us)", "gemm2(us)", "allreduce(us)", "total(us)", "TFLOP/s/rank", "eff",
        "max_rel_err", "bound");
  const MlpFigures f = RunShardedMlp(o, engine, backend, world);
  Print(world, "  %8lld %8lld %8lld %4d %11.1f %11.1f %13.1f %11.1f %12.4f %6s %11s %9.2e\n",
        static_cast<long long>(o.tokens), static_cast<long long>(o.d_model),
        static_cast<long long>(o.d_ff), f.tp, f.gemm1_us, f.gemm2_us, f.allreduce_us, f.total_us,
        f.tflops_per_rank,
        f.efficiency ? std::to_string(*f.efficiency).substr(0, 5).c_str() : "N/A",
        f.max_rel_err ? Scientific(*f.max_rel_err).c_str() : "N/A", f.error_bound);
  return f;
}

std::vector<SweepFigures> RunSweep(const MatbenchOptions& o, GemmEngine& engine, World& world) {
  const auto shapes = !o.sweep.empty()
                          ? o.sweep
                          : DefaultSweep(o.sweep_min, o.sweep_max, o.tokens, o.d_model, o.d_ff);
  Print(world, "#\n# GEMM sweep, %s (every rank at once; time = max over ranks of the mean)\n",
        ToString(o.type));
  Print(world, "# %8s %8s %8s %12s %10s %6s\n", "m", "n", "k", "time(us)", "TFLOP/s", "eff");
  return RunGemmSweep(o, shapes, engine, world, [&](const SweepFigures& row) {
    Print(world, "  %8lld %8lld %8lld %12.1f %10.4f %6s\n", static_cast<long long>(row.shape.m),
          static_cast<long long>(row.shape.n), static_cast<long long>(row.shape.k), row.time_us,
          row.tflops,
          row.efficiency ? std::to_string(*row.efficiency).substr(0, 5).c_str() : "N/A");
  });
}

int Run(const MatbenchOptions& o, World& world) {
  if (o.d_ff % world.size() != 0) {
    throw UsageError("--d-ff " + std::to_string(o.d_ff) + " does not divide among " +
                     std::to_string(world.size()) + " ranks");
  }
  auto engine = MakeEngine(o, world);
  auto backend = MakeCommBackend(*engine, world);
  MatbenchRun run{engine->name(), backend ? backend->name() : "none", world.size(),
                  world.nodes(),  DescribeMachine(o.machine_label),   NowString()};
  if (std::string(engine->name()) == "cublas") run.machine.gpu_model = engine->DeviceDescription();
  Print(world,
        "# matbench: engine %s (%s), %d rank(s) = tensor-parallel size, dtype %s, peak %s "
        "TFLOP/s per rank\n",
        engine->name(), engine->DeviceDescription().c_str(), world.size(), ToString(o.type),
        o.peak_tflops > 0.0 ? std::to_string(o.peak_tflops).c_str() : "not given");
  std::optional<MlpFigures> mlp;
  std::vector<SweepFigures> sweep;
  if (o.mode != MatbenchMode::kSweep) mlp = RunMlp(o, *engine, backend.get(), world);
  if (o.mode != MatbenchMode::kMlp) sweep = RunSweep(o, *engine, world);
  if (world.rank() == 0 && !o.json_path.empty()) {
    // Atomic, and non-UTF-8 text replaced: see commbench_main.cc's WriteJson.
    const std::string text = MatbenchJson(run, o, mlp, sweep)
                                 .dump(2, ' ', false, nlohmann::json::error_handler_t::replace) +
                             "\n";
    if (const auto failure = planner::WriteFileAtomically(o.json_path, text)) {
      throw std::runtime_error("--json: " + failure->message);
    }
  }
  const bool within = !mlp || !mlp->max_rel_err || *mlp->max_rel_err <= mlp->error_bound;
  Print(world, "# %s\n",
        within ? "sharded result within the error bound"
               : "FAILED: sharded result exceeds the error bound");
  return within ? 0 : 1;
}

}  // namespace
}  // namespace comm

int main(int argc, char** argv) {
  return comm::ProgramMain("matbench", argc, argv, comm::ParseMatbenchOptions, comm::Run);
}
