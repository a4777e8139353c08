// The goodput, energy and band part of every command that prints days or dollars (`size`,
// `compare`, `explain --tokens`, `sensitivity`): the --pricing and --grid-kg-per-kwh flags, the
// step-time band a run's bands use, and the text lines and JSON of an Outlook (core/outlook.h).
#ifndef PLANNER_CLI_OUTLOOK_REPORT_H_
#define PLANNER_CLI_OUTLOOK_REPORT_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "planner/cli/command.h"
#include "planner/core/outlook.h"
#include "planner/core/stack_spec.h"
#include "planner/core/step_time.h"

namespace planner {

struct OutlookFlags {
  std::string pricing = kOnDemand;
  std::optional<double> grid_kg_per_kWh;
};

void AddOutlookOptions(po::options_description* options);
OutlookFlags ParseOutlookFlags(const po::variables_map& vm);

// The pricing class --pricing names on `c` (an InputError naming --pricing and the classes the
// cluster lists when it has no such class); applies --grid-kg-per-kwh to c->power.
PricingClass ApplyOutlookFlags(const OutlookFlags& f, ClusterSpec* c);

// The P10-P90 step-time band for runs on `c` priced with `stack`: the out-of-sample residuals of
// its GPU generation and stack (configs/validation/error_bands.yaml).
ErrorBand StepBandFor(const ClusterSpec& c, const std::string& stack, const ModelSpec& m);
// "", or where the band leaves the point estimate outside it (its records all ran faster, or all
// slower, than predicted): "; the prediction lies above it: ..." to append to the band's line.
std::string BandSideNote(const ErrorBand& band);

// The outlook of a run of `tokens` in `steps` steps on layout `p` of `c`: the checkpoint from the
// model's parameter count as `stack` keeps the states, each GPU's share of it from the memory
// model (core/goodput.h).
Outlook OutlookOfLayout(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p,
                        const StackSpec& stack, double tokens, double steps, double step_time_s,
                        double mfu, const PricingClass& pricing, const ErrorBand& band);

// `planner explain --tokens`: the outlook of `tokens` on layout `p` as `stack` runs it, with
// --pricing and --grid-kg-per-kwh from `vm`; nullopt without --tokens.
std::optional<Outlook> ExplainOutlook(const po::variables_map& vm, const ModelSpec& m,
                                      const ClusterSpec& c, const ParallelConfig& p,
                                      const StackSpec& stack, const StepTime& t,
                                      std::optional<double> tokens);
// Prints the outlook block `planner explain` shows under the run.
void PrintOutlook(const Outlook& o, std::ostream& out);

// Three significant figures below 100 days (0.824, 62.6), whole days above (27,018); "never"
// for a run that would not finish. Dollars grouped ($1,234,567).
std::string DaysText(double days);
std::string UsdText(double usd);

// The lines of the outlook block: expected days and dollars with bands and the ideal beside,
// goodput, interruptions, checkpoint interval and overhead, energy, carbon, electricity.
std::vector<std::string> OutlookLines(const Outlook& o);

nlohmann::ordered_json OutlookJson(const Outlook& o);

// One sentence on where the defaults come from (docs/goodput.md), for notes.
std::string OutlookAssumptions(const ClusterSpec& c);

}  // namespace planner

#endif  // PLANNER_CLI_OUTLOOK_REPORT_H_
