// The planner-side step graph: its pieces add back up to the analytic model's terms, its
// "analytic" features reproduce the analytic step time, the pipeline bubble and in-flight
// activations follow the closed forms derived below, and every combination of layout features
// and schedules simulates without deadlock, with causes that sum to the difference.
#include "planner/sim/step_graph.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "planner/core/memory.h"
#include "planner/io/cluster_io.h"
#include "planner/io/model_io.h"
#include "planner/sim/engine.h"
#include "planner/sim/step_sim.h"
#include "planner/sim/trace.h"

namespace planner::sim {
namespace {

double Rel(double a, double b) { return std::abs(a - b) / std::max(std::abs(b), 1e-300); }

struct Scenario {
  ModelSpec model;
  ClusterSpec cluster;
  ParallelConfig layout;
  StepTimeOptions options;
};

// gpt3-175b, TP8 PP8 on 64 A100s (Korthikanti 2022's layout) unless a test changes it.
Scenario Gpt3(int64_t gpus = 64, int64_t pp = 8, int64_t global_batch = 64) {
  Scenario s{LoadModel("gpt3-175b"), LoadCluster("dgx-a100-80gb", gpus), {}, {}};
  s.layout.tp = 8;
  s.layout.pp = pp;
  s.layout.dp = gpus / (8 * pp);
  s.layout.global_batch = global_batch;
  s.layout.sp = true;
  s.layout.recompute = Recompute::kSelective;
  return s;
}

SimResult RunGraph(const StepGraph& g) {
  EXPECT_EQ(g.error, "");
  SimResult r = Simulate(g.graph);
  EXPECT_TRUE(r.ok()) << r.error;
  return r;
}

StepGraph Build(const Scenario& s, SimFeatures features, std::optional<ScheduleKind> kind = {},
                bool per_layer = true) {
  StepGraphOptions o;
  o.features = features;
  o.schedule = kind;
  o.per_layer = per_layer;
  return BuildStepGraph(s.model, s.cluster, s.layout, s.options, o);
}

TEST(StepPiecesTest, AddBackUpToTheAnalyticTerms) {
  for (int zero : {0, 1, 3}) {
    Scenario s = Gpt3(512, 8, 512);
    s.layout.zero = zero;
    const StepPieces p = ComputeStepPieces(s.model, s.cluster, s.layout, s.options);
    const MicrobatchTime& t = p.analytic.microbatch;
    EXPECT_LT(Rel(p.uniform.MicrobatchSeconds(), t.total()), 1e-12) << "zero " << zero;
    // The last stage's own costs are what the analytic model assumes of every stage.
    const StagePieces& last = p.stages.back();
    const double compute = last.layers * (last.layer.forward_s + last.layer.backward_input_s +
                                          last.layer.backward_weight_s + last.layer.recompute_s) +
                           last.head_fwd_s + last.head_bwd_input_s + last.head_bwd_weight_s;
    EXPECT_LT(Rel(compute, t.forward + t.backward + t.recompute), 1e-12);
    EXPECT_LT(Rel(last.MicrobatchSeconds(), t.total()), 1e-12);
    EXPECT_LT(
        Rel(last.layers * (last.layer.tp_fwd_s + last.layer.tp_bwd_s + last.layer.tp_recompute_s),
            t.tp_comm),
        1e-12);
    if (zero < 3) {
      EXPECT_LT(Rel(last.dp_step_s, p.analytic.dp_comm_s), 1e-12) << "zero " << zero;
    } else {
      // ZeRO-3 per micro-batch: gather forward, gather backward, reduce-scatter gradients, each
      // one layer at a time here, over the whole stage in the analytic model.
      EXPECT_GT(last.zero3_gather_s, 0);
      EXPECT_GT(last.zero3_scatter_s, 0);
    }
    EXPECT_DOUBLE_EQ(last.optimizer_s, p.analytic.optimizer_s);
    // The first stage runs no LM head: it is faster per micro-batch.
    EXPECT_LT(p.stages.front().MicrobatchSeconds(), last.MicrobatchSeconds());
  }
}

// Uneven stages (14 + 12x6 + 10): each stage's pieces carry its own layers, the analytic model
// paces every stage at the slowest one's, and the pieces still add back up to its terms.
TEST(StepPiecesTest, UnevenStagesCarryTheirOwnLayers) {
  Scenario s = Gpt3();
  s.layout.first_stage_layers = 14;
  s.layout.last_stage_layers = 10;
  const StepPieces p = ComputeStepPieces(s.model, s.cluster, s.layout, s.options);
  const MicrobatchTime& t = p.analytic.microbatch;
  ASSERT_EQ(p.stages.size(), 8u);
  double layers = 0;
  for (const StagePieces& st : p.stages) layers += st.layers;
  EXPECT_EQ(layers, 96);
  EXPECT_EQ(p.stages[0].layers, 14);
  EXPECT_EQ(p.stages[3].layers, 12);
  EXPECT_EQ(p.stages[7].layers, 10);
  // The first stage is the slowest: 14 layers against the last's 10 and the head.
  EXPECT_EQ(t.stage, 0);
  EXPECT_EQ(t.layers, 14);
  EXPECT_LT(Rel(p.stages[0].MicrobatchSeconds(), t.total()), 1e-12);
  EXPECT_LT(Rel(p.uniform.MicrobatchSeconds(), t.total()), 1e-12);
  for (const StagePieces& st : p.stages) EXPECT_LE(st.MicrobatchSeconds(), t.total() * (1 + 1e-12));
}

// With the analytic features the simulator composes the step as the analytic model does:
// m*t + (p-1)/v*t + exposed DP + optimizer, t the slowest stage's micro-batch time.
TEST(StepGraphTest, AnalyticFeaturesReproduceTheAnalyticStepTime) {
  struct Edit {
    const char* name;
    void (*edit)(Scenario*);
  };
  const Edit cases[] = {
      {"tp8 pp8", [](Scenario*) {}},
      {"interleaved vpp 3", [](Scenario* s) { s->layout.vpp = 3; }},
      {"gpipe", [](Scenario* s) { s->layout.schedule = Schedule::kGPipe; }},
      {"full recompute", [](Scenario* s) { s->layout.recompute = Recompute::kFull; }},
      {"no sp, no recompute",
       [](Scenario* s) {
         s->layout.sp = false;
         s->layout.recompute = Recompute::kNone;
       }},
      {"tp backward waits", [](Scenario* s) { s->options.overlap_tp_backward = false; }},
      {"pp overlap", [](Scenario* s) { s->options.overlap_pp = true; }},
      {"few micro-batches", [](Scenario* s) { s->layout.global_batch = 4; }},
      // Uneven stages: 14 + 12x6 + 10 is paced by the first stage (14 layers against 10 and a
      // head of a third of a layer), 10 + 12x6 + 14 by the last.
      {"uneven, first paces",
       [](Scenario* s) {
         s->layout.first_stage_layers = 14;
         s->layout.last_stage_layers = 10;
       }},
      {"uneven, last paces",
       [](Scenario* s) {
         s->layout.first_stage_layers = 10;
         s->layout.last_stage_layers = 14;
       }},
      {"uneven interleaved",
       [](Scenario* s) {
         s->layout.first_stage_layers = 14;
         s->layout.last_stage_layers = 10;
         s->layout.vpp = 2;
       }},
  };
  for (const Edit& c : cases) {
    Scenario s = Gpt3();
    c.edit(&s);
    for (bool per_layer : {true, false}) {
      const StepGraph g = Build(s, kAnalyticFeatures, std::nullopt, per_layer);
      const SimResult r = RunGraph(g);
      EXPECT_LT(Rel(r.makespan_s, g.pieces.analytic.step_time_s), 1e-9)
          << c.name << (per_layer ? " per layer" : " per op") << ": " << r.makespan_s << " vs "
          << g.pieces.analytic.step_time_s;
    }
  }
}

TEST(StepGraphTest, AnalyticFeaturesReproduceDataParallelZeroCpMoeAndFp8) {
  std::vector<Scenario> setups;
  for (int zero : {0, 1, 2, 3}) {
    Scenario s = Gpt3(512, 8, 256);
    s.layout.zero = zero;
    setups.push_back(s);
  }
  {
    Scenario s = Gpt3(128, 4, 64);
    s.layout.cp = 2;
    s.layout.dp = 2;
    setups.push_back(s);
  }
  {
    Scenario s{LoadModel("mixtral-8x7b"), LoadCluster("dgx-h100", 64), {}, {}};
    s.layout.tp = 2;
    s.layout.pp = 4;
    s.layout.dp = 8;
    s.layout.ep = 8;
    s.layout.global_batch = 256;
    s.layout.dtype = Dtype::kFp8;
    setups.push_back(s);
  }
  {
    Scenario s{LoadModel("llama3-8b"), LoadCluster("dgx-h100", 8), {}, {}};
    s.layout.dp = 8;
    s.layout.global_batch = 64;
    s.layout.zero = 3;
    setups.push_back(s);
  }
  for (const Scenario& s : setups) {
    ASSERT_FALSE(CheckLayout(s.model, s.cluster, s.layout)) << Describe(s.layout);
    const StepGraph g = Build(s, kAnalyticFeatures);
    const SimResult r = RunGraph(g);
    EXPECT_LT(Rel(r.makespan_s, g.pieces.analytic.step_time_s), 1e-9) << Describe(s.layout);
  }
}

// 1F1B on uniform stages (analytic features: every stage at t = f + b per micro-batch). The last
// stage starts micro-batch 0 after the p-1 stages before it have run it forward, (p-1)f; from
// then on it alternates F and B without waiting, m*t in all; its last gradient then crosses the
// p-1 stages back, (p-1)b. The pipeline phase is (m+p-1)t, each stage busy for m*t of it, so
// bubble = (p-1)t and bubble fraction = (p-1)/(m+p-1). Interleaving v chunks makes each of those
// crossings a chunk's, t/v: bubble (p-1)t/v. (t itself grows slightly with v: each chunk sends
// its own activations.)
TEST(StepGraphTest, OneFOneBBubbleIsPMinusOneOverMPlusPMinusOneAndInterleavingDividesIt) {
  for (int64_t batch : {8, 64, 256}) {
    Scenario s = Gpt3(64, 8, batch);
    const double p = 8, m = static_cast<double>(batch);
    const StepGraph g = Build(s, kAnalyticFeatures);
    const StepSimulation sim = Summarise(g, RunGraph(g));
    const double t = g.pieces.analytic.microbatch.total();
    EXPECT_LT(Rel(sim.pipeline_s, (m + p - 1) * t), 1e-9);
    EXPECT_LT(Rel(sim.bubble_fraction, (p - 1) / (m + p - 1)), 1e-9) << "m=" << m;
    EXPECT_LT(Rel(sim.bubble_s, sim.analytic_bubble_s), 1e-9);
    for (double stage_bubble : sim.stage_bubble_s) EXPECT_LT(Rel(stage_bubble, (p - 1) * t), 1e-9);
    if (batch % 8 != 0) continue;
    for (int64_t v : {2, 3}) {
      Scenario si = s;
      si.layout.vpp = v;
      const StepGraph gi = Build(si, kAnalyticFeatures);
      const StepSimulation interleaved = Summarise(gi, RunGraph(gi));
      const double ti = gi.pieces.analytic.microbatch.total();
      EXPECT_LT(Rel(interleaved.bubble_s, (p - 1) * ti / v), 1e-9) << "v=" << v;
      EXPECT_LT(Rel(interleaved.bubble_s * v / ti, sim.bubble_s / t), 1e-9);
    }
  }
}

// GPipe runs all m forwards, then all m backwards: stage 0 holds m micro-batches' activations
// at the turn; 1F1B holds p (min(p, m)); interleaved 1F1B's warm-up of (p-1)*2 + (v-1)p chunk
// passes plus one holds p(1 + (p-1)/(pv)) stages' worth. The memory model says the same through
// InflightLayerMicrobatches; the step time does not depend on the schedule.
TEST(StepGraphTest, GpipeAndOneFOneBSameTimeDifferentPeakActivations) {
  Scenario s = Gpt3(64, 8, 64);
  const double layer_bytes = LayerActivationBytes(s.model, s.layout, s.options.memory);
  ParallelConfig gpipe = s.layout;
  gpipe.schedule = Schedule::kGPipe;
  for (SimFeatures features : {kAnalyticFeatures, kOverlapFeatures}) {
    const StepGraph g1 = Build(s, features, ScheduleKind::kOneFOneB);
    const StepGraph gg = Build(s, features, ScheduleKind::kGpipe);
    const SimResult r1 = RunGraph(g1), rg = RunGraph(gg);
    if (!features.stage_costs) {
      EXPECT_LT(Rel(r1.makespan_s, rg.makespan_s), 1e-9);
    }
    const double expected_1f1b = InflightLayerMicrobatches(s.model, s.layout) * layer_bytes;
    const double expected_gpipe = InflightLayerMicrobatches(s.model, gpipe) * layer_bytes;
    EXPECT_LT(Rel(r1.peak_memory_bytes[0], expected_1f1b), 1e-12);
    EXPECT_LT(Rel(rg.peak_memory_bytes[0], expected_gpipe), 1e-12);
    EXPECT_DOUBLE_EQ(expected_gpipe / expected_1f1b, 64.0 / 8.0);
  }
  Scenario si = s;
  si.layout.vpp = 3;
  const SimResult ri = RunGraph(Build(si, kAnalyticFeatures));
  EXPECT_LT(
      Rel(ri.peak_memory_bytes[0], InflightLayerMicrobatches(si.model, si.layout) * layer_bytes),
      1e-12);
}

TEST(StepGraphTest, ZeroBubbleBeatsOneFOneB) {
  const Scenario s = Gpt3(64, 8, 64);
  for (SimFeatures features : {kAnalyticFeatures, kOverlapFeatures}) {
    const double one = RunGraph(Build(s, features, ScheduleKind::kOneFOneB)).makespan_s;
    const double zb = RunGraph(Build(s, features, ScheduleKind::kZeroBubbleH1)).makespan_s;
    EXPECT_LT(zb, one);
  }
}

// Every combination of features, schedules and layout features builds a graph the engine runs
// to the end, and the causes of the difference sum to it.
TEST(StepGraphTest, EveryFeatureCombinationSimulatesAndCausesSumToTheDifference) {
  std::vector<Scenario> setups;
  setups.push_back(Gpt3(64, 8, 64));
  {
    Scenario s = Gpt3(512, 8, 256);
    s.layout.zero = 1;
    setups.push_back(s);
  }
  {
    Scenario s = Gpt3(128, 4, 64);
    s.layout.cp = 2;
    s.layout.dp = 2;
    s.layout.zero = 3;
    setups.push_back(s);
  }
  {
    Scenario s{LoadModel("mixtral-8x7b"), LoadCluster("dgx-h100", 64), {}, {}};
    s.layout = {.dp = 8, .tp = 2, .pp = 4, .ep = 8, .global_batch = 256};
    setups.push_back(s);
  }
  for (const Scenario& s : setups) {
    for (ScheduleKind kind : {ScheduleKind::kGpipe, ScheduleKind::kOneFOneB,
                              ScheduleKind::kInterleaved1F1B, ScheduleKind::kZeroBubbleH1}) {
      for (int mask = 0; mask < 8; ++mask) {
        SimulateOptions o;
        o.graph.schedule = kind;
        o.graph.features = {(mask & 1) != 0, (mask & 2) != 0, (mask & 4) != 0};
        o.graph.per_layer = mask >= 6;  // per op elsewhere: the same wiring, smaller graphs
        const StepSimulation sim = SimulateStep(s.model, s.cluster, s.layout, s.options, o);
        ASSERT_EQ(sim.error, "") << Describe(s.layout) << " " << ToString(kind) << " " << mask;
        double sum = 0;
        for (const DifferenceCause& cause : sim.causes) sum += cause.delta_s;
        EXPECT_NEAR(sum, sim.step_time_s - sim.analytic_step_time_s, 1e-9 * sim.step_time_s);
      }
    }
  }
}

TEST(StepGraphTest, StageImbalanceMakesTheSimulatedStepFaster) {
  const Scenario s = Gpt3(64, 8, 64);
  SimulateOptions o;
  const StepSimulation sim = SimulateStep(s.model, s.cluster, s.layout, s.options, o);
  ASSERT_EQ(sim.error, "");
  ASSERT_GE(sim.causes.size(), 2u);
  EXPECT_EQ(sim.causes[0].cause, "schedule");
  EXPECT_LT(std::abs(sim.causes[0].delta_s), 1e-9 * sim.analytic_step_time_s);
  EXPECT_EQ(sim.causes[1].cause, "stage imbalance");
  EXPECT_LT(sim.causes[1].delta_s, 0);
  EXPECT_NE(sim.causes[1].detail.find("last stage"), std::string::npos);
}

// Communication beside compute can only hide what the analytic model exposes: the CP ring gets
// the attention core forward and backward to hide behind (the analytic model credits 3x the
// forward), TP backward the weight-gradient GEMMs, PP transfers their own links. (ZB-H1 is the
// exception: its deferred weight pass leaves TP backward nothing to hide behind.)
TEST(StepGraphTest, CommunicationOverlapOnlyHides) {
  std::vector<Scenario> setups = {Gpt3(64, 8, 64), Gpt3(512, 8, 256)};
  setups[1].layout.zero = 1;
  setups.push_back(Gpt3(128, 4, 64));
  setups.back().layout.cp = 2;
  setups.back().layout.dp = 2;
  Scenario moe{LoadModel("mixtral-8x7b"), LoadCluster("dgx-h100", 64), {}, {}};
  moe.layout = {.dp = 8, .tp = 2, .pp = 4, .ep = 8, .global_batch = 256};
  setups.push_back(moe);
  for (const Scenario& s : setups) {
    for (int64_t vpp : {1, 2}) {
      ParallelConfig layout = s.layout;
      layout.vpp = vpp;
      if (FindLayoutIssue(s.model, s.cluster, layout)) continue;
      const StepSimulation sim = SimulateStep(s.model, s.cluster, layout, s.options, {});
      ASSERT_EQ(sim.error, "");
      ASSERT_EQ(sim.causes.size(), 4u);
      EXPECT_EQ(sim.causes[2].cause, "communication overlap");
      EXPECT_LE(sim.causes[2].delta_s, 1e-12) << Describe(layout) << ": " << sim.causes[2].detail;
    }
  }
}

TEST(StepGraphTest, ScheduleErrorsNameTheConstraint) {
  Scenario s = Gpt3();
  s.layout.vpp = 3;
  EXPECT_NE(CheckSchedule(s.layout, ScheduleKind::kOneFOneB)->find("interleaved"),
            std::string::npos);
  EXPECT_FALSE(CheckSchedule(s.layout, ScheduleKind::kInterleaved1F1B));
  s.layout.global_batch = 12;  // 12 micro-batches, 8 stages
  EXPECT_TRUE(CheckSchedule(s.layout, ScheduleKind::kInterleaved1F1B));
  const StepGraph g = Build(s, kOverlapFeatures, ScheduleKind::kInterleaved1F1B);
  EXPECT_NE(g.error, "");
  EXPECT_EQ(g.graph.num_tasks(), 0);
}

// The issue's trace: gpt3-175b TP8 PP8 on 64 A100s (interleaved, 3 chunks, 64 micro-batches), as
// `planner simulate ... --trace` writes it. Checked against the Trace Event Format's JSON Object
// Format as Perfetto imports it: typed, placed events; complete events with durations; every
// process and thread named by metadata; slices on one thread that never overlap (Perfetto
// rejects improperly nested slices); one process per stage with its streams as threads; and the
// micro-batch of every pipeline task in its args.
TEST(StepGraphTraceTest, Gpt3Tp8Pp8On64A100sIsAValidTraceEventFile) {
  Scenario s = Gpt3(64, 8, 64);
  s.layout.vpp = 3;
  const StepGraph g = Build(s, kOverlapFeatures);
  const SimResult r = RunGraph(g);
  const nlohmann::json trace = nlohmann::json::parse(ChromeTraceJson(g.graph, r));
  ASSERT_TRUE(trace.is_object());
  ASSERT_TRUE(trace.at("traceEvents").is_array());
  std::map<int, std::string> processes;
  std::map<std::pair<int, int>, std::string> threads;
  std::map<std::pair<int, int>, std::vector<std::pair<int64_t, int64_t>>> slices;
  std::set<std::string> categories;
  int64_t complete = 0, with_microbatch = 0;
  for (const nlohmann::json& e : trace.at("traceEvents")) {
    ASSERT_TRUE(e.at("name").is_string() && e.at("ph").is_string()) << e.dump();
    ASSERT_TRUE(e.at("pid").is_number_integer() && e.at("tid").is_number_integer()) << e.dump();
    ASSERT_TRUE(e.at("ts").is_number() && e.at("ts").get<double>() >= 0) << e.dump();
    const std::string ph = e.at("ph");
    const int pid = e.at("pid"), tid = e.at("tid");
    if (ph == "M") {
      const std::string what = e.at("name");
      if (what == "process_name") processes[pid] = e.at("args").at("name");
      if (what == "thread_name") threads[{pid, tid}] = e.at("args").at("name");
      continue;
    }
    ASSERT_EQ(ph, "X") << e.dump();
    ASSERT_TRUE(e.at("dur").is_number() && e.at("dur").get<double>() >= 0) << e.dump();
    ASSERT_FALSE(e.at("name").get<std::string>().empty());
    ++complete;
    const int64_t ts_ns = std::llround(e.at("ts").get<double>() * 1e3);
    const int64_t dur_ns = std::llround(e.at("dur").get<double>() * 1e3);
    slices[{pid, tid}].push_back({ts_ns, ts_ns + dur_ns});
    const std::string category = e.at("args").at("category");
    categories.insert(category);
    if (category != "dp_comm" && category != "optimizer" && category != "other") {
      EXPECT_TRUE(e.at("args").contains("microbatch")) << e.dump();
    }
    with_microbatch += e.at("args").contains("microbatch");
  }
  EXPECT_EQ(complete, g.graph.num_tasks());
  EXPECT_GT(with_microbatch, complete / 2);
  ASSERT_EQ(processes.size(), 8u);
  for (int stage = 0; stage < 8; ++stage) {
    EXPECT_EQ(processes[stage + 1], "stage " + std::to_string(stage));
  }
  for (const auto& [track, spans] : slices) {
    ASSERT_TRUE(processes.count(track.first)) << "pid " << track.first << " unnamed";
    ASSERT_TRUE(threads.count(track)) << "tid " << track.second << " unnamed";
    std::vector<std::pair<int64_t, int64_t>> sorted = spans;
    std::sort(sorted.begin(), sorted.end());
    for (size_t i = 1; i < sorted.size(); ++i) {
      ASSERT_LE(sorted[i - 1].second, sorted[i].first) << threads[track] << " overlaps itself";
    }
  }
  std::set<std::string> streams;
  for (const auto& [track, name] : threads) streams.insert(name);
  for (const char* stream : {"compute", "tp-comm"}) EXPECT_TRUE(streams.count(stream)) << stream;
  for (const char* category : {"forward", "backward_input", "backward_weight", "recompute",
                               "tp_comm", "pp_p2p", "optimizer"}) {
    EXPECT_TRUE(categories.count(category)) << category;
  }
}

}  // namespace
}  // namespace planner::sim
