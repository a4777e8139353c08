// The trace must follow the Trace Event Format's JSON Object Format closely enough for
// Perfetto's and Chrome's importers: every event named, typed and placed, complete events with
// non-negative durations, and every process and thread that events use named by metadata.
#include "planner/sim/trace.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "planner/sim/engine.h"
#include "planner/sim/pipeline_graph.h"

namespace planner::sim {
namespace {

using nlohmann::json;

struct Traced {
  TaskGraph graph;
  SimResult result;
  json trace;
};

Traced TraceOf(const ScheduleSpec& spec) {
  Traced t;
  ChunkCosts per_stage{.forward_s = 0.010,
                       .backward_input_s = 0.012,
                       .backward_weight_s = 0.008,
                       .p2p_s = 0.001,
                       .activation_bytes = 1e9};
  const PipelineTasks tasks =
      AddPipelineTasks(MakeSchedule(spec), UniformCosts(spec, per_stage), {}, &t.graph);
  EXPECT_EQ(tasks.error, "");
  // A resource outside any stage, as a DP or optimizer stream would be.
  Task optimizer;
  optimizer.category = TaskCategory::kOptimizer;
  optimizer.resource = t.graph.AddResource(-1, "optimizer");
  optimizer.duration_s = 0.005;
  optimizer.name = "optimizer step";
  const TaskId step = t.graph.AddTask(optimizer);
  for (const auto& spans : tasks.spans) t.graph.AddDependency(spans.back().last, step);
  t.result = Simulate(t.graph);
  EXPECT_TRUE(t.result.ok()) << t.result.error;
  t.trace = json::parse(ChromeTraceJson(t.graph, t.result));
  return t;
}

TEST(TraceTest, IsATraceEventObject) {
  const Traced t = TraceOf({ScheduleKind::kInterleaved1F1B, 4, 8, 2});
  ASSERT_TRUE(t.trace.is_object());
  EXPECT_EQ(t.trace.at("displayTimeUnit"), "ms");
  ASSERT_TRUE(t.trace.at("traceEvents").is_array());
  EXPECT_DOUBLE_EQ(t.trace.at("otherData").at("makespan_s").get<double>(), t.result.makespan_s);
}

TEST(TraceTest, EveryEventIsWellFormedAndEveryTrackIsNamed) {
  for (ScheduleKind kind :
       {ScheduleKind::kOneFOneB, ScheduleKind::kInterleaved1F1B, ScheduleKind::kZeroBubbleH1}) {
    const int v = kind == ScheduleKind::kInterleaved1F1B ? 2 : 1;
    const Traced t = TraceOf({kind, 4, 8, v});
    std::set<int> named_pids, used_pids;
    std::set<std::pair<int, int>> named_tids, used_tids;
    int complete = 0;
    for (const json& event : t.trace.at("traceEvents")) {
      for (const char* key : {"name", "ph", "ts", "pid", "tid"}) {
        ASSERT_TRUE(event.contains(key)) << key << " missing in " << event.dump();
      }
      ASSERT_TRUE(event.at("name").is_string());
      ASSERT_TRUE(event.at("ts").is_number());
      const std::string ph = event.at("ph");
      const int pid = event.at("pid"), tid = event.at("tid");
      if (ph == "M") {
        const std::string name = event.at("name");
        ASSERT_TRUE(event.at("args").is_object());
        if (name == "process_name") named_pids.insert(pid);
        if (name == "thread_name") named_tids.insert({pid, tid});
        if (name == "process_name" || name == "thread_name") {
          EXPECT_TRUE(event.at("args").at("name").is_string());
        } else {
          EXPECT_TRUE(event.at("args").at("sort_index").is_number_integer()) << name;
        }
        continue;
      }
      ASSERT_EQ(ph, "X") << event.dump();
      ++complete;
      ASSERT_TRUE(event.at("dur").is_number());
      EXPECT_GE(event.at("dur").get<double>(), 0.0);
      EXPECT_GE(event.at("ts").get<double>(), 0.0);
      EXPECT_TRUE(event.at("args").contains("category"));
      used_pids.insert(pid);
      used_tids.insert({pid, tid});
    }
    EXPECT_EQ(complete, t.graph.num_tasks());
    for (int pid : used_pids) EXPECT_TRUE(named_pids.count(pid)) << "pid " << pid;
    for (const auto& [pid, tid] : used_tids) {
      EXPECT_TRUE(named_tids.count({pid, tid})) << "pid " << pid << " tid " << tid;
    }
  }
}

TEST(TraceTest, TimesAreMicrosecondsAndTasksCarryTheirIds) {
  const Traced t = TraceOf({ScheduleKind::kOneFOneB, 2, 4, 1});
  std::map<int, json> by_task;
  for (const json& event : t.trace.at("traceEvents")) {
    if (event.at("ph") == "X") by_task[event.at("args").at("task").get<int>()] = event;
  }
  ASSERT_EQ(static_cast<int>(by_task.size()), t.graph.num_tasks());
  for (TaskId id = 0; id < t.graph.num_tasks(); ++id) {
    const json& event = by_task.at(id);
    const Task& task = t.graph.task(id);
    // Whole nanoseconds, written in microseconds.
    EXPECT_NEAR(event.at("ts").get<double>(), t.result.start_s[id] * 1e6, 0.5e-3 + 1e-9);
    EXPECT_NEAR(event.at("dur").get<double>(), task.duration_s * 1e6, 1e-3 + 1e-9);
    EXPECT_EQ(event.at("name"), DisplayName(task));
    EXPECT_EQ(event.at("cat"), ToString(task.category));
    if (task.microbatch >= 0) {
      EXPECT_EQ(event.at("args").at("microbatch"), task.microbatch);
    }
  }
}

// Perfetto turns ts and dur into integer nanoseconds; slices on one thread must then nest or
// follow each other, never partly overlap. Back-to-back tasks must meet exactly.
TEST(TraceTest, SlicesOnATrackNeverOverlapInNanoseconds) {
  const Traced t = TraceOf({ScheduleKind::kInterleaved1F1B, 4, 16, 3});
  std::map<std::pair<int, int>, std::vector<std::pair<int64_t, int64_t>>> tracks;
  for (const json& event : t.trace.at("traceEvents")) {
    if (event.at("ph") != "X") continue;
    const double ts_ns = event.at("ts").get<double>() * 1e3;
    const double dur_ns = event.at("dur").get<double>() * 1e3;
    ASSERT_NEAR(ts_ns, std::round(ts_ns), 1e-6) << event.dump();
    ASSERT_NEAR(dur_ns, std::round(dur_ns), 1e-6) << event.dump();
    const int64_t start = std::llround(ts_ns);
    tracks[{event.at("pid"), event.at("tid")}].push_back({start, start + std::llround(dur_ns)});
  }
  int touching = 0;
  for (auto& [track, slices] : tracks) {
    std::sort(slices.begin(), slices.end());
    for (size_t i = 1; i < slices.size(); ++i) {
      EXPECT_LE(slices[i - 1].second, slices[i].first);
      touching += slices[i - 1].second == slices[i].first;
    }
  }
  EXPECT_GT(touching, 0);
}

TEST(TraceTest, OneProcessPerStageOneThreadPerStream) {
  const Traced t = TraceOf({ScheduleKind::kOneFOneB, 3, 3, 1});
  std::map<int, std::string> process_names;
  std::map<std::pair<int, int>, std::string> thread_names;
  for (const json& event : t.trace.at("traceEvents")) {
    if (event.at("name") == "process_name") {
      process_names[event.at("pid")] = event.at("args").at("name");
    } else if (event.at("name") == "thread_name") {
      thread_names[{event.at("pid"), event.at("tid")}] = event.at("args").at("name");
    }
  }
  EXPECT_EQ(process_names.at(1), "stage 0");
  EXPECT_EQ(process_names.at(3), "stage 2");
  EXPECT_EQ(process_names.at(4), "step");  // resources outside any stage
  EXPECT_EQ(process_names.size(), 4u);
  // Stage 0's compute stream is resource 0, tid 1; its p2p link to stage 1 is named after it.
  EXPECT_EQ(thread_names.at({1, 1}), "compute");
  bool link = false;
  for (const auto& [key, name] : thread_names) link |= key.first == 1 && name == "p2p->1";
  EXPECT_TRUE(link);
}

TEST(TraceTest, TasksThatNeverRanAreLeftOut) {
  TaskGraph graph;
  Task task;
  task.resource = graph.AddResource(0, "compute");
  task.duration_s = 1.0;
  const TaskId a = graph.AddTask(task);
  const TaskId b = graph.AddTask(task);
  graph.AddDependency(b, a);  // deadlock: a waits for b, queued behind it
  const SimResult result = Simulate(graph);
  ASSERT_FALSE(result.ok());
  const json trace = json::parse(ChromeTraceJson(graph, result));
  for (const json& event : trace.at("traceEvents")) EXPECT_EQ(event.at("ph"), "M");
}

TEST(TraceTest, EscapesNames) {
  TaskGraph graph;
  Task task;
  task.resource = graph.AddResource(0, "str\"eam");
  task.name = "quote \" backslash \\ newline \n";
  graph.AddTask(task);
  const SimResult result = Simulate(graph);
  std::ostringstream out;
  WriteChromeTrace(graph, result, out);
  const json trace = json::parse(out.str());
  bool found = false;
  for (const json& event : trace.at("traceEvents")) found |= event.at("name") == task.name;
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace planner::sim
