// Layout-search speed: the full gpt3-175B space (96 layers, d 12288, 96 heads, vocab 51200, seq
// 2048) on dgx-a100-80gb x 512 GPUs, global batch 1536 (issue target: < 15 s, >= 1e6 layouts/s on
// the 2-core CI machine), and the cost of evaluating one layout. Figures: PERFORMANCE.md.
#include <benchmark/benchmark.h>

#include "planner/core/cost_model.h"
#include "planner/core/search.h"
#include "planner/io/cluster_io.h"
#include "planner/io/model_io.h"

namespace planner {
namespace {

const ModelSpec& Gpt3() {
  static const ModelSpec m = LoadModel("gpt3-175b");
  return m;
}

const ClusterSpec& A100x512() {
  static const ClusterSpec c = LoadCluster("dgx-a100-80gb", 512);
  return c;
}

// configs_total/s counts every enumerated combination; configs_evaluated/s those that passed the
// layout checks and were priced (memory, then step time if they fit). 1e9 / configs_evaluated/s
// is the search's time per priced layout in ns (issue 15 wants <= 100).
void ReportRates(benchmark::State& state, int64_t layouts, int64_t evaluated) {
  state.counters["configs_total/s"] =
      benchmark::Counter(static_cast<double>(layouts), benchmark::Counter::kIsRate);
  state.counters["configs_evaluated/s"] =
      benchmark::Counter(static_cast<double>(evaluated), benchmark::Counter::kIsRate);
}

void BM_SearchGpt3On512(benchmark::State& state) {
  SearchSpace space;
  space.global_batch = 1536;
  SearchOptions options;
  options.threads = static_cast<int>(state.range(0));
  int64_t layouts = 0, evaluated = 0;
  for (auto _ : state) {
    const SearchResult r = Search(Gpt3(), A100x512(), space, options);
    layouts += r.configs_total;
    evaluated += r.configs_evaluated;
    benchmark::DoNotOptimize(r.plans.data());
  }
  ReportRates(state, layouts, evaluated);
}
BENCHMARK(BM_SearchGpt3On512)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// The same space for a 70-layer model (BLOOM's depth): pp 4, 8, 16, 32 and 64 do not divide the
// layers, so the search also tries their uneven splits (pipeline_stages.h).
void BM_SearchUneven70LayersOn512(benchmark::State& state) {
  ModelSpec m = Gpt3();
  m.n_layers = 70;
  SearchSpace space;
  space.global_batch = 1536;
  SearchOptions options;
  options.threads = 1;
  int64_t layouts = 0;
  for (auto _ : state) {
    const SearchResult r = Search(m, A100x512(), space, options);
    layouts += r.configs_total;
    benchmark::DoNotOptimize(r.plans.data());
  }
  state.counters["layouts/s"] = benchmark::Counter(static_cast<double>(layouts),
                                                   benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SearchUneven70LayersOn512)->Unit(benchmark::kMillisecond)->UseRealTime();

// One layout through the cached cost model (memory + step time), as the search evaluates it.
void BM_EvaluateLayout(benchmark::State& state) {
  CostModel model(Gpt3(), A100x512());
  ParallelConfig p;
  p.tp = 8;
  p.pp = 8;
  p.dp = 8;
  p.vpp = 2;
  p.global_batch = 1536;
  p.sp = true;
  p.recompute = Recompute::kSelective;
  for (auto _ : state) {
    benchmark::DoNotOptimize(model.Memory(p).total);
    benchmark::DoNotOptimize(model.Time(p).step_time_s);
  }
  state.counters["layouts/s"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                   benchmark::Counter::kIsRate);
}
BENCHMARK(BM_EvaluateLayout);

}  // namespace
}  // namespace planner

BENCHMARK_MAIN();
