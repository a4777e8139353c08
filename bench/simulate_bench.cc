// What `planner simulate` pays for one layout: the planner-side step graph (costs from the
// analytic model's pieces, one task per layer per pass, every stream) built and simulated, for
// gpt3-175b TP8 PP8 DP8 on 512 A100s with hundreds of micro-batches. Reported as events (task
// starts + ends) per second of build + simulate, and milliseconds per graph.
//
//   build/bench/simulate_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include "planner/io/cluster_io.h"
#include "planner/io/model_io.h"
#include "planner/sim/engine.h"
#include "planner/sim/step_graph.h"
#include "planner/sim/step_sim.h"

namespace planner::sim {
namespace {

struct Layout {
  ModelSpec model = LoadModel("gpt3-175b");
  ClusterSpec cluster = LoadCluster("dgx-a100-80gb", 512);
  ParallelConfig p;
  StepTimeOptions options;

  Layout(int64_t global_batch, int64_t vpp) {
    p.tp = 8;
    p.pp = 8;
    p.dp = 8;
    p.vpp = vpp;
    p.global_batch = global_batch;  // micro-batches = global_batch / 8
    p.sp = true;
    p.recompute = Recompute::kSelective;
    p.zero = 1;
  }
};

void Report(benchmark::State& state, int64_t events, int32_t tasks) {
  state.counters["tasks"] = tasks;
  state.counters["events"] = static_cast<double>(events);
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(events) * state.iterations(),
                                                  benchmark::Counter::kIsRate);
}

// One graph: pieces, build, simulate (the work of `planner simulate --mode overlap` without the
// cause ladder).
void BM_BuildAndSimulateStep(benchmark::State& state) {
  const Layout l(state.range(0), state.range(1));
  StepGraphOptions o;
  o.per_layer = state.range(2) != 0;
  Engine engine;
  SimResult result;
  int32_t tasks = 0;
  for (auto _ : state) {
    const StepGraph g = BuildStepGraph(l.model, l.cluster, l.p, l.options, o);
    engine.Run(g.graph, {}, &result);
    tasks = g.graph.num_tasks();
    benchmark::DoNotOptimize(result.makespan_s);
  }
  if (!result.ok()) state.SkipWithError(result.error.c_str());
  Report(state, result.events, tasks);
}

// The whole command: the final graph and the three more that measure the causes, in a fresh
// StepSimulator per iteration as one `planner simulate` process has (its buffers are reused
// across the four graphs only). events/s is per CPU-second; issue 15 wants it flat from 192 to
// 1,536 micro-batches.
void BM_SimulateStepWithCauses(benchmark::State& state) {
  const Layout l(state.range(0), state.range(1));
  SimulateOptions o;
  StepSimulation s;
  for (auto _ : state) {
    StepSimulator simulator;
    s = simulator.Simulate(l.model, l.cluster, l.p, l.options, o);
    benchmark::DoNotOptimize(s.step_time_s);
  }
  if (!s.error.empty()) state.SkipWithError(s.error.c_str());
  Report(state, s.events_total, s.tasks);
}

// The same with one StepSimulator for every iteration: steps after the first reuse the storage.
void BM_SimulateStepReused(benchmark::State& state) {
  const Layout l(state.range(0), state.range(1));
  SimulateOptions o;
  StepSimulation s;
  StepSimulator simulator;
  for (auto _ : state) {
    s = simulator.Simulate(l.model, l.cluster, l.p, l.options, o);
    benchmark::DoNotOptimize(s.step_time_s);
  }
  if (!s.error.empty()) state.SkipWithError(s.error.c_str());
  Report(state, s.events_total, s.tasks);
}

BENCHMARK(BM_BuildAndSimulateStep)
    ->ArgNames({"gbs", "vpp", "per_layer"})
    ->Args({1536, 1, 1})  // 192 micro-batches
    ->Args({3072, 1, 1})  // 384 micro-batches
    ->Args({3072, 2, 1})  // interleaved, 2 chunks of 6 layers
    ->Args({3072, 1, 0})  // one task per pass and stream
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SimulateStepWithCauses)
    ->ArgNames({"gbs", "vpp"})
    ->Args({1536, 1})   // 192 micro-batches
    ->Args({3072, 1})   // 384
    ->Args({6144, 1})   // 768
    ->Args({12288, 1})  // 1,536
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SimulateStepReused)
    ->ArgNames({"gbs", "vpp"})
    ->Args({1536, 1})
    ->Args({12288, 1})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace planner::sim

BENCHMARK_MAIN();
