// Chrome trace-event JSON (the "JSON Object Format" of the Trace Event Format document) for a
// simulated step, as Perfetto (ui.perfetto.dev) and chrome://tracing load it:
//   {"displayTimeUnit":"ms","otherData":{...},"traceEvents":[...]}
// One process per pipeline stage ("stage 3"; resources without a stage go to a last "step"
// process), one thread per resource (its stream name), a complete event ("ph":"X", ts and dur
// in microseconds) per task with its micro-batch, chunk and category in args, and metadata
// events ("ph":"M") naming and ordering every process and thread.
#ifndef PLANNER_SIM_TRACE_H_
#define PLANNER_SIM_TRACE_H_

#include <ostream>
#include <string>

#include "planner/sim/engine.h"
#include "planner/sim/task_graph.h"

namespace planner::sim {

// `result` must come from simulating `graph`; tasks that never ran are left out. Streams the
// events, so memory stays flat for large graphs; check `out` for write errors.
void WriteChromeTrace(const TaskGraph& graph, const SimResult& result, std::ostream& out);

std::string ChromeTraceJson(const TaskGraph& graph, const SimResult& result);

}  // namespace planner::sim

#endif  // PLANNER_SIM_TRACE_H_
