// Simulator throughput: events (task starts + ends) per second for pipeline steps of realistic
// size. The bar is >= 1e6 events/s, so that a 1,000-GPU step (e.g. p=16 stages of
// tp=8 x dp=8, hundreds of micro-batches) simulates in well under a second.
//
//   build/bench/sim_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <utility>
#include <vector>

#include "planner/sim/engine.h"
#include "planner/sim/pipeline_graph.h"
#include "planner/sim/schedules.h"
#include "planner/sim/task_graph.h"

namespace planner::sim {
namespace {

// The compute phases of one op: a forward, a B and a W (an unsplit backward runs both), or a W.
std::vector<std::pair<TaskCategory, double>> Phases(const OpContext& context) {
  const ChunkCosts& costs = *context.costs;
  switch (context.op.kind) {
    case OpKind::kForward:
      return {{TaskCategory::kForward, costs.forward_s}};
    case OpKind::kBackward:
      if (context.schedule->split_backward) {
        return {{TaskCategory::kBackwardInput, costs.backward_input_s}};
      }
      return {{TaskCategory::kBackwardInput, costs.backward_input_s},
              {TaskCategory::kBackwardWeight, costs.backward_weight_s}};
    case OpKind::kBackwardWeight:
      return {{TaskCategory::kBackwardWeight, costs.backward_weight_s}};
  }
  return {};
}

// Each phase becomes `pieces` compute slices, each followed by a TP collective on the stage's
// tp-comm stream that the next slice waits for (Megatron without overlap): 2 * pieces tasks.
OpExpander SlicedExpander(const std::vector<ResourceId>& tp, int pieces) {
  return [&tp, pieces](const OpContext& context, TaskGraph& graph) -> OpSpan {
    Task task;
    task.microbatch = context.op.microbatch;
    task.stage = context.stage;
    task.chunk = context.op.chunk;
    OpSpan span;
    TaskId previous = kNoTask;
    const auto add = [&](TaskCategory category, ResourceId resource, double duration_s) {
      task.category = category;
      task.resource = resource;
      task.duration_s = duration_s;
      const TaskId id = graph.AddTask(task);
      if (previous != kNoTask) graph.AddDependency(previous, id);
      if (span.entry == kNoTask) span.entry = id;
      previous = id;
    };
    for (const auto& [category, duration_s] : Phases(context)) {
      for (int i = 0; i < pieces; ++i) {
        add(category, context.compute, duration_s / pieces);
        add(TaskCategory::kTpComm, tp[context.stage], 0.1 * duration_s / pieces);
      }
    }
    span.exit = span.last = previous;
    return span;
  };
}

void BuildStep(ScheduleKind kind, int stages, int microbatches, int chunks, int pieces,
               TaskGraph* graph) {
  const ScheduleSpec spec{kind, stages, microbatches, chunks};
  std::vector<ResourceId> tp;
  for (int s = 0; s < stages; ++s) tp.push_back(graph->AddResource(s, "tp-comm"));
  PipelineGraphOptions options;
  options.expand = SlicedExpander(tp, pieces);
  const ChunkCosts per_stage{.forward_s = 0.010,
                             .backward_input_s = 0.012,
                             .backward_weight_s = 0.008,
                             .p2p_s = 0.0005,
                             .activation_bytes = 2e9};
  AddPipelineTasks(MakeSchedule(spec), UniformCosts(spec, per_stage), options, graph);
}

void ReportEvents(benchmark::State& state, int64_t events, int32_t tasks) {
  state.counters["events"] = static_cast<double>(events);
  state.counters["tasks"] = tasks;
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(events) * state.iterations(),
                                                  benchmark::Counter::kIsRate);
}

// Engine only: the graph is built once, as a plan search would rebuild only costs.
void BM_Simulate(benchmark::State& state, ScheduleKind kind) {
  const int stages = static_cast<int>(state.range(0));
  const int microbatches = static_cast<int>(state.range(1));
  const int pieces = static_cast<int>(state.range(2));
  const int chunks = kind == ScheduleKind::kInterleaved1F1B ? 2 : 1;
  TaskGraph graph;
  BuildStep(kind, stages, microbatches, chunks, pieces, &graph);
  Engine engine;
  SimResult result;
  for (auto _ : state) {
    engine.Run(graph, {}, &result);
    benchmark::DoNotOptimize(result.makespan_s);
  }
  if (!result.ok()) state.SkipWithError(result.error.c_str());
  ReportEvents(state, result.events, graph.num_tasks());
}

// Graph construction plus simulation: what one `planner simulate` call pays.
void BM_BuildAndSimulate(benchmark::State& state) {
  const int stages = static_cast<int>(state.range(0));
  const int microbatches = static_cast<int>(state.range(1));
  const int pieces = static_cast<int>(state.range(2));
  SimResult result;
  int32_t tasks = 0;
  for (auto _ : state) {
    TaskGraph graph;
    BuildStep(ScheduleKind::kOneFOneB, stages, microbatches, 1, pieces, &graph);
    Engine engine;
    engine.Run(graph, {}, &result);
    tasks = graph.num_tasks();
    benchmark::DoNotOptimize(result.makespan_s);
  }
  ReportEvents(state, result.events, tasks);
}

BENCHMARK_CAPTURE(BM_Simulate, 1f1b, ScheduleKind::kOneFOneB)
    ->ArgNames({"p", "m", "pieces"})
    ->Args({16, 512, 1})
    ->Args({16, 512, 4})
    ->Args({16, 512, 8})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Simulate, interleaved, ScheduleKind::kInterleaved1F1B)
    ->ArgNames({"p", "m", "pieces"})
    ->Args({16, 512, 4})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Simulate, zb_h1, ScheduleKind::kZeroBubbleH1)
    ->ArgNames({"p", "m", "pieces"})
    ->Args({16, 512, 4})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BuildAndSimulate)
    ->ArgNames({"p", "m", "pieces"})
    ->Args({16, 512, 4})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace planner::sim

BENCHMARK_MAIN();
