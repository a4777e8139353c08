// planner explain CLUSTER MODEL [layout flags]: one layout in full: memory, time, MFU/HFU, what
// bounds it, and (with --tokens) days and dollars.
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>

#include "planner/cli/command.h"
#include "planner/cli/layout_flags.h"
#include "planner/cli/outlook_report.h"
#include "planner/cli/report.h"
#include "planner/cli/stack_flags.h"
#include "planner/core/memory.h"
#include "planner/core/step_time.h"
#include "planner/core/units.h"
#include "planner/io/cluster_io.h"
#include "planner/io/emit.h"
#include "planner/io/error_bands_io.h"
#include "planner/io/format.h"
#include "planner/io/model_io.h"

namespace planner {

int RunExplain(const std::vector<std::string>& args) {
  po::options_description options("planner explain options");
  AddLayoutOptions(&options);
  AddStackOptions(&options);
  options.add_options()("tokens", po::value<std::string>(),
                        "training tokens D (e.g. 300e9, 1.4T): adds days, GPU-hours and cost");
  AddOutlookOptions(&options);
  AddFormatOption(&options);
  po::variables_map vm;
  const std::optional<OutputFormat> format =
      ParseFormattedCommandLine("explain", "CLUSTER MODEL [layout flags] [--tokens D] [--format F]",
                                options, {"cluster", "model"}, args, &vm);
  if (!format) return 0;
  const LayoutInputs in = LayoutInputsFromFlags(vm);
  const ModelSpec& m = in.model;
  const ClusterSpec& c = in.cluster;
  const ParallelConfig& p = in.layout;
  const StackSpec& stack = in.stack;
  const std::optional<double> tokens =
      vm.count("tokens") ? std::optional<double>(QuantityFlag(vm, "tokens")) : std::nullopt;
  const StepTimeOptions o = StackOptions(stack, c);
  Explanation e{m, c, p, EstimateMemory(m, c, p, o.memory), EstimateStepTime(m, c, p, o),
                tokens};
  e.stack_line = StackLine(vm, stack);
  e.notes = in.notes;
  e.stack = stack.name;
  e.cp_all_to_all = o.cp_all_to_all && p.cp > 1;
  e.band = StepTimeBand(c, stack.name, m.is_moe());
  e.warnings = PredictionWarnings(c, stack.name, e.time.mfu, p);
  // Goodput, energy and bands of the --tokens run (outlook_report.h).
  const std::optional<Outlook> outlook = ExplainOutlook(vm, m, c, p, stack, e.time, tokens);
  Emit(*format, {[&] {
                   nlohmann::ordered_json j = ExplanationJson(e);
                   if (outlook) j["run"]["outlook"] = OutlookJson(*outlook);
                   return j;
                 },
                 [&] { return ExplanationTable(e); },
                 [&](std::ostream& out) {
                   PrintExplanation(e, out);
                   if (outlook) PrintOutlook(*outlook, out);
                 }});
  return e.fits() ? 0 : 1;  // the breakdown is printed either way
}

}  // namespace planner
