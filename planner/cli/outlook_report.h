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
#include "planner/io/table.h"

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

// A P10-P90 band in a table: one text column (`header`, e.g. "days P10-P90": "82.6-130") and its
// two ends as data columns for CSV, keyed as the JSON beside them (days_p10, step_time_p10_s).
std::vector<Column> BandColumns(const std::string& header, const std::string& p10_key,
                                const std::string& p90_key);
// The three cells of BandColumns, each end written by `text`; "-" and empty cells without a band.
std::vector<Cell> BandCells(std::optional<Band> band, std::string (*text)(double));
// A predicted step time's band: `step_time_s` times the factors; nullopt when no validating
// record stands behind them.
std::optional<Band> StepTimeBand(const ErrorBand& b, double step_time_s);
// The bands as plan, size and compare rows show them: the step time's (StepTimeBand, seconds to
// two decimals), an outlook's expected days and expected cost (grouped whole dollars, as the
// cost columns).
std::vector<Cell> StepBandCells(const ErrorBand& b, double step_time_s);
std::vector<Cell> DaysBandCells(const Outlook& o);
std::vector<Cell> CostBandCells(const Outlook& o);
// The same three bands as JSON fields of the row (step_time_p10_s, step_time_p90_s: null without
// a step band; days_p10, days_p90, cost_usd_p10, cost_usd_p90).
void AddBandFields(const Outlook& o, double step_time_s, nlohmann::ordered_json* j);

// One sentence on where the defaults come from (docs/goodput.md), for notes.
std::string OutlookAssumptions(const ClusterSpec& c);

}  // namespace planner

#endif  // PLANNER_CLI_OUTLOOK_REPORT_H_
