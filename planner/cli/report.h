// Reports of one evaluated layout (explain, and the details of a plan's best layout): memory and
// time breakdowns, throughput, what bounds it, and a training-run estimate for D tokens.
#ifndef PLANNER_CLI_REPORT_H_
#define PLANNER_CLI_REPORT_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>

#include "planner/core/cluster_spec.h"
#include "planner/core/error_band.h"
#include "planner/core/memory.h"
#include "planner/core/model_spec.h"
#include "planner/core/parallel_config.h"
#include "planner/core/sizing.h"
#include "planner/core/step_time.h"
#include "planner/io/table.h"

namespace planner {

struct Explanation {
  const ModelSpec& model;
  const ClusterSpec& cluster;
  const ParallelConfig& layout;
  MemoryBreakdown memory;
  StepTime time;
  std::optional<double> tokens;  // training tokens D, if given
  std::string stack_line = "";   // "stack: megatron-core (default; --stack to change)"
  std::string stack = "";        // the stack's name
  ErrorBand band = {};           // the step-time band of its generation and stack
  std::vector<std::string> warnings = {};  // PredictionWarnings
  std::vector<std::string> notes = {};     // layout choices the flags left open (LayoutInputs)
  bool cp_all_to_all = false;  // CP by Ulysses all-to-alls (the stack's cp_comm), not a ring
  // Whether memory.total fits the GPU's usable HBM and the offloaded activations its share of
  // host memory (gpu.host_GiB); explain and simulate exit 1 when not.
  bool fits() const;
};

// "does not fit: 91.2 GiB of 80.0 GiB usable per GPU (...)"; empty when it fits.
std::string DoesNotFitLine(const Explanation& e);
// "does not fit: X GiB of Y GiB usable per GPU; raise ..." for any layout's memory, or that its
// offloaded activations overflow the host memory; empty when it fits.
std::string DoesNotFitText(const MemoryBreakdown& m, const ClusterSpec& c, const ParallelConfig& p);

// A training run of D tokens with this layout: the detailed estimate (steps x step time, priced
// by CostOfRun as `plan` and `size` price theirs) and the design card's simple one,
// time = 6*N*D / (GPUs * tau), tau the achieved model FLOP/s per GPU.
struct RunEstimate : RunCost {
  double simple_days = 0;
};
RunEstimate EstimateRun(const Explanation& e, double tokens);

void PrintExplanation(const Explanation& e, std::ostream& out);
Table ExplanationTable(const Explanation& e);  // section,item,value,unit rows (CSV)
nlohmann::ordered_json ExplanationJson(const Explanation& e);
nlohmann::ordered_json MemoryJson(const MemoryBreakdown& m);
nlohmann::ordered_json TimeJson(const StepTime& t);
nlohmann::ordered_json LayoutJson(const ParallelConfig& p);

}  // namespace planner

#endif  // PLANNER_CLI_REPORT_H_
