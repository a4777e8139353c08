#include "planner/sim/trace.h"

#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace planner::sim {
namespace {

using nlohmann::json;

constexpr double kNsPerSecond = 1e9;
constexpr double kNsPerUs = 1e3;

// Times go out as whole nanoseconds written in microseconds ("12.345"). Perfetto reads the
// decimal string into integer nanoseconds; rounding once here makes a task's ts + dur equal its
// successor's ts exactly, where independent float rounding could make back-to-back slices on a
// stream overlap by a nanosecond and be rejected as badly nested.
int64_t ToNs(double seconds) { return std::llround(seconds * kNsPerSecond); }

// Process ids start at 1: some trace viewers treat pid 0 as the idle "swapper" process.
int ProcessId(const TaskGraph& graph, int32_t stage) {
  return stage >= 0 ? stage + 1 : graph.num_stages() + 1;
}
int ThreadId(ResourceId resource) { return resource + 1; }

json Metadata(const char* name, int pid, int tid, json args) {
  return {{"name", name}, {"ph", "M"},  {"ts", 0},
          {"pid", pid},   {"tid", tid}, {"args", std::move(args)}};
}

// Names and orders every process (stage) and thread (resource) that the events use.
std::vector<json> MetadataEvents(const TaskGraph& graph) {
  std::vector<json> events;
  std::vector<bool> named(static_cast<size_t>(graph.num_stages()) + 2, false);
  for (ResourceId r = 0; r < graph.num_resources(); ++r) {
    const Resource& resource = graph.resources()[r];
    const int pid = ProcessId(graph, resource.stage);
    if (!named[pid]) {
      named[pid] = true;
      const std::string process =
          resource.stage >= 0 ? "stage " + std::to_string(resource.stage) : "step";
      events.push_back(Metadata("process_name", pid, 0, {{"name", process}}));
      events.push_back(Metadata("process_sort_index", pid, 0, {{"sort_index", pid}}));
    }
    const std::string& thread = resource.stream.empty() ? resource.name : resource.stream;
    events.push_back(Metadata("thread_name", pid, ThreadId(r), {{"name", thread}}));
    events.push_back(Metadata("thread_sort_index", pid, ThreadId(r), {{"sort_index", r}}));
  }
  return events;
}

json TaskEvent(const TaskGraph& graph, const SimResult& result, TaskId id) {
  const Task& task = graph.task(id);
  json args = {{"task", id}, {"category", ToString(task.category)}};
  if (task.microbatch >= 0) args["microbatch"] = task.microbatch;
  if (task.chunk >= 0) args["chunk"] = task.chunk;
  if (task.stage >= 0) args["stage"] = task.stage;
  const int32_t stage = graph.resources()[task.resource].stage;
  const int64_t start_ns = ToNs(result.start_s[id]);
  const int64_t end_ns = ToNs(result.end_s[id]);
  return {{"name", DisplayName(task)},
          {"cat", ToString(task.category)},
          {"ph", "X"},
          {"ts", static_cast<double>(start_ns) / kNsPerUs},
          {"dur", static_cast<double>(end_ns - start_ns) / kNsPerUs},
          {"pid", ProcessId(graph, stage)},
          {"tid", ThreadId(task.resource)},
          {"args", std::move(args)}};
}

}  // namespace

void WriteChromeTrace(const TaskGraph& graph, const SimResult& result, std::ostream& out) {
  const json other = {{"makespan_s", result.makespan_s},
                      {"tasks", graph.num_tasks()},
                      {"events", result.events},
                      {"time_unit", "ts and dur in microseconds"}};
  out << "{\"displayTimeUnit\":\"ms\",\"otherData\":" << other.dump() << ",\"traceEvents\":[";
  bool first = true;
  const auto emit = [&](const json& event) {
    out << (first ? "\n" : ",\n") << event.dump();
    first = false;
  };
  for (const json& event : MetadataEvents(graph)) emit(event);
  const bool have_times = static_cast<int32_t>(result.start_s.size()) == graph.num_tasks();
  for (TaskId id = 0; have_times && id < graph.num_tasks(); ++id) {
    if (result.start_s[id] < 0.0 || result.end_s[id] < 0.0) continue;  // never ran
    emit(TaskEvent(graph, result, id));
  }
  out << "\n]}\n";
}

std::string ChromeTraceJson(const TaskGraph& graph, const SimResult& result) {
  std::ostringstream out;
  WriteChromeTrace(graph, result, out);
  return out.str();
}

}  // namespace planner::sim
