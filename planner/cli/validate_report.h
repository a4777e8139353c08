// planner validate's report: every published run of a runs file priced as `planner explain`
// prices it, grouped per GPU generation with the leave-one-source-out fits, the carried-terms
// check and the MoE runs apart. validate.cc prints it as tables and text, validate_json.cc as
// JSON (docs/json.md).
#ifndef PLANNER_CLI_VALIDATE_REPORT_H_
#define PLANNER_CLI_VALIDATE_REPORT_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "planner/core/fit.h"
#include "planner/core/memory.h"
#include "planner/core/step_time.h"
#include "planner/io/runs_io.h"

namespace planner::validate {

// One GPU generation's runs, the efficiency they are predicted with, and the held-out fits.
struct Generation {
  std::string name;
  std::vector<MeasuredRun> runs;
  std::vector<std::string> sources;
  EfficiencySpec preset;  // the efficiency block of the runs' cluster preset
  std::optional<FitResult> fit;
  std::vector<HeldOutSource> held_out;
  FitScope scope = FitScope::kNone;  // which terms its runs can fit (ScopeOfFit, in BuildReport)
  const EfficiencySpec& used() const { return fit ? fit->efficiency : preset; }
};

struct Evaluated {
  const ValidationRun* run = nullptr;
  StepTime time;
  double error = 0;                       // predicted / measured step time - 1
  std::optional<MemoryBreakdown> memory;  // where the record states its memory
  double memory_error = 0;
  // Every run ran, so each fitted in its GPU's memory; where the memory model says it does not,
  // the model over-predicts that run (shown apart: what `plan` would wrongly reject).
  double predicted_total_GiB = 0, usable_GiB = 0;
  bool fits() const { return predicted_total_GiB <= usable_GiB; }
};

// One fitted generation's records priced with another fitted generation's terms
// (CarryFittedTerms, as a GPU without its own fit is): how far carried terms land.
struct Transfer {
  std::string from, onto;                // whose terms, whose records
  std::vector<const MeasuredRun*> runs;  // into Report::generations (moves keep them valid)
  std::vector<double> errors;            // predicted / measured step time - 1, in run order
};

struct Report {
  std::vector<ValidationRun> runs;
  std::vector<Generation> generations;
  std::vector<Transfer> carried;     // CarriedTransfers: each fitted generation under the other's
  std::vector<Evaluated> evaluated;  // predicted runs, in file order
  // MoE runs (ValidationRun::moe): priced with their generation's dense terms, kept out of the
  // fits, the bands and the MAPEs above, and reported on their own.
  std::vector<Evaluated> moe;
};

// Errors grouped by source or by GPU generation, with the signed largest.
struct Group {
  std::string name;
  std::vector<double> errors;
  std::string worst_id;
  double worst = 0;
};

// Reads and prices the runs file; with `refit`, each generation's terms are refitted first.
Report BuildReport(const std::string& path, bool refit);
// The layout as the tables show it: "tp8 pp8 v3 cp2 dp32 mb1 gb1536 full sp z1 bf16".
std::string LayoutText(const ParallelConfig& p);
std::vector<Group> GroupErrors(const Report& r, bool by_source);
std::vector<double> AllErrors(const Report& r);
// Mean of the signed errors: the direction carried terms err in.
double Bias(const std::vector<double>& errors);
// The error furthest from zero, with its sign; 0 for none.
double Worst(const std::vector<double>& errors);
// The leave-one-source-out MAPE over all the generation's held-out runs.
double HeldOutMape(const Generation& g);

// The report as `--format json` prints it (validate_json.cc).
nlohmann::ordered_json ReportJson(const Report& r);

}  // namespace planner::validate

#endif  // PLANNER_CLI_VALIDATE_REPORT_H_
