// commbench: times collectives with nccl-tests' semantics and layout on NCCL (GPUs) or MPI (CPUs).
//   mpirun -n 4 commbench -b 8 -e 128M -f 2 -c 1 --json out.json [collective ...]
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <stdexcept>

#include "comm/bench_runner.h"
#include "comm/commbench_json.h"
#include "comm/commbench_options.h"
#include "comm/nccl_backend.h"
#include "comm/program_main.h"
#include "planner/io/atomic_file.h"
#if PLANNER_WITH_MPI
#include "comm/mpi_backend.h"
#endif

namespace comm {
namespace {

BackendChoice ResolveBackend(BackendChoice choice) {
  if (choice != BackendChoice::kAuto) return choice;
  return BuiltWithNccl() && VisibleGpuCount() > 0 ? BackendChoice::kNccl : BackendChoice::kMpi;
}

std::unique_ptr<Backend> MakeBackend(BackendChoice choice, World& world) {
  if (choice == BackendChoice::kNccl) {
    if (!BuiltWithNccl()) throw UsageError("--backend nccl: built without CUDA/NCCL");
    return MakeNcclBackend(world);
  }
#if PLANNER_WITH_MPI
  return MakeMpiBackend();
#else
  throw UsageError("--backend mpi: built without MPI (PLANNER_WITH_MPI=OFF)");
#endif
}

void PrintLine(const World& world, const std::string& line) {
  if (world.rank() == 0) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  }
}

void PrintPreamble(const CommbenchOptions& o, const Backend& backend, World& world) {
  char line[512];
  std::snprintf(line, sizeof(line),
                "# commbench: backend %s, %d ranks on %d node(s); bytes and decimal GB/s "
                "(1e9 B/s); time = max over ranks of the mean over iterations",
                backend.name(), world.size(), world.nodes());
  PrintLine(world, line);
  std::snprintf(line, sizeof(line),
                "# nThread 1 nGpus 1 minBytes %llu maxBytes %llu step: %llu(%s) warmup iters: %d "
                "iters: %d agg iters: 1 validation: %d graph: 0",
                static_cast<unsigned long long>(o.sweep.min_bytes),
                static_cast<unsigned long long>(o.sweep.max_bytes),
                static_cast<unsigned long long>(o.sweep.step_factor > 1 ? o.sweep.step_factor
                                                                        : o.sweep.step_bytes),
                o.sweep.step_factor > 1 ? "factor" : "bytes", o.warmup_iters, o.iters, o.check);
  PrintLine(world, line);
  if (o.blocking)
    PrintLine(world, "# Blocking Enabled: wait for completion and barrier after each collective");
  if (backend.name() == std::string("mpi") && (!o.sweep_given || !o.iters_given)) {
    PrintLine(world,
              "# mpi backend defaults (CPU ranks): -b 1K -e 4M -f 4 -n 5 where not given; "
              "nccl-tests' -b 32M -e 32M -n 20 and longer sweeps take the flags");
  }
  PrintLine(world, "#");
  PrintLine(world, "# Using devices");
  std::snprintf(line, sizeof(line), "#  Rank %2d Group  0 Pid %6d on %10s %s", world.rank(),
                static_cast<int>(getpid()), Hostname().c_str(),
                backend.DeviceDescription().c_str());
  for (const std::string& l : world.Gather(line)) PrintLine(world, l);
}

std::vector<Row> RunOne(const Collective& c, const BenchConfig& config, Backend& backend,
                        World& world) {
  PrintLine(world, "#");
  PrintLine(world, "# Collective test starting: " + std::string(c.name()));
  for (const std::string& l : TableHeader()) PrintLine(world, l);
  std::vector<Row> rows = RunCollective(c, config, backend, world,
                                        [&](const Row& r) { PrintLine(world, FormatRow(r)); });
  for (const std::string& l : TableFooter(TotalWrong(rows), AverageBusBandwidth(rows))) {
    PrintLine(world, l);
  }
  PrintLine(world, "# Collective test concluded: " + std::string(c.name()));
  return rows;
}

CommbenchRun DescribeRun(const CommbenchOptions& o, const Backend& backend, World& world) {
  CommbenchRun run;
  run.backend = backend.name();
  run.nranks = world.size();
  run.nodes = world.nodes();
  run.ranks_per_node = world.local_size();
  run.level = !o.level.empty() ? o.level : (world.nodes() > 1 ? "inter-node" : "intra-node");
  run.machine = DescribeMachine(o.machine_label);
  const std::string device = backend.DeviceDescription();
  if (run.backend == "nccl") run.machine.gpu_model = device.substr(device.find("] ") + 2);
  run.start_time = NowString();
  return run;
}

// Atomic: a killed or failed run leaves no truncated JSON for `planner calibrate` to trip on. Text
// that is not UTF-8 (a host name) is replaced rather than failing after the whole benchmark.
void WriteJson(const std::string& path, const nlohmann::json& doc) {
  const std::string text =
      doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (const auto failure = planner::WriteFileAtomically(path, text)) {
    throw std::runtime_error("--json: " + failure->message);
  }
}

int Run(CommbenchOptions o, World& world) {
  if (o.root >= world.size()) {
    throw UsageError("-r/--root " + std::to_string(o.root) + " is not a rank (" +
                     std::to_string(world.size()) + " ranks)");
  }
  const BackendChoice resolved = ResolveBackend(o.backend);
  ApplyBackendDefaults(resolved, o);
  std::unique_ptr<Backend> backend = MakeBackend(resolved, world);
  CommbenchRun run = DescribeRun(o, *backend, world);
  PrintPreamble(o, *backend, world);
  const BenchConfig config{.sizes = ExpandSizes(o.sweep),
                           .timing = {o.iters, o.warmup_iters, o.blocking != 0},
                           .check = o.check,
                           .type = o.type,
                           .op = o.op,
                           .root = o.root};
  std::vector<Row> rows;
  for (const Collective* c : o.collectives) {
    std::vector<Row> more = RunOne(*c, config, *backend, world);
    rows.insert(rows.end(), more.begin(), more.end());
  }
  run.end_time = NowString();
  if (world.rank() == 0 && !o.json_path.empty()) {
    WriteJson(o.json_path, CommbenchJson(run, o, rows));
  }
  return TotalWrong(rows) == 0 ? 0 : 1;
}

}  // namespace
}  // namespace comm

int main(int argc, char** argv) {
  return comm::ProgramMain("commbench", argc, argv, comm::ParseCommbenchOptions, comm::Run);
}
