// planner size's report: the sized rows as one table (text and CSV), the JSON, the notes and the
// sentence naming the run chosen and why. The request, the sweep and the flags are in size.cc.
#ifndef PLANNER_CLI_SIZE_REPORT_H_
#define PLANNER_CLI_SIZE_REPORT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "planner/cli/command.h"
#include "planner/cli/gpu_counts.h"
#include "planner/cli/outlook_report.h"
#include "planner/core/cluster_spec.h"
#include "planner/core/error_band.h"
#include "planner/core/model_spec.h"
#include "planner/core/params.h"
#include "planner/core/scaling_laws.h"
#include "planner/core/sizing.h"
#include "planner/core/stack_spec.h"
#include "planner/io/table.h"

namespace planner {

// --chinchilla-budget's first guess of MFU, as `planner chinchilla`'s default; the search's MFU
// then replaces it.
inline constexpr double kSizeFirstGuessMfu = kDefaultMfu;
// Choosing N again at the searched MFU converges when the two differ by less than this.
inline constexpr double kSizeMfuTolerance = 0.005;
inline constexpr int kSizeMaxChinchillaSweeps = 3;

struct SizeRequest {
  std::optional<std::string> model_arg;
  std::optional<double> tokens;
  std::optional<double> chinchilla_usd;
  std::optional<int64_t> global_batch;  // sequences
  std::optional<double> batch_tokens;   // else kDefaultGlobalBatchTokens
  SizingCriteria criteria;
  int64_t max_gpus = kDefaultMaxGpus;
  std::optional<GpuCountSpec> gpu_counts;  // --gpus
  double time_limit_s = kDefaultTimeLimit_s;  // for all GPU types together
  std::vector<std::string> gpu_args;
  bool gpus_are_default = true;
  bool knee_is_default = true;
  bool max_gpus_is_default = true;
  OutlookFlags outlook;
  StackSpec stack;  // --stack (default kDefaultStack): prices and restricts every layout
  std::optional<Dtype> dtype;  // --dtype; unset: each GPU's 16-bit dtype (TrainingDtype)
};

// One GPU type: its cluster, the model and tokens sized on it, and the sweep.
struct SizeGpuType {
  std::string arg;
  ClusterSpec cluster;
  Dtype dtype = Dtype::kBf16;  // what its layouts train in (--dtype, else its 16-bit dtype)
  std::string price_source;
  PricingClass pricing;  // --pricing on this cluster
  ErrorBand band;        // its step-time band
  // The highest MFU a published run measured on its generation in its dtype's precision
  // (MeasuredMfuCeiling); nullptr: none.
  const MfuCeiling* mfu_ceiling = nullptr;
  ModelSpec model;
  ParamCount params;
  double tokens = 0;
  int64_t global_batch = 0;
  std::optional<ChinchillaSizing> chinchilla;
  double chinchilla_mfu = kSizeFirstGuessMfu;  // the MFU `chinchilla` was chosen at
  int64_t mfu_gpus = 0;     // the count of the cheapest run, whose planned MFU that is (0: none)
  bool mfu_converged = true;
  std::vector<int64_t> counts;  // --gpus on this type; empty: the node grid
  ClusterSizing sizing;
  size_t first_row = 0;  // of its rows in the flat list MarkRows sees
};

using SizeOutlooks = std::vector<std::optional<Outlook>>;

std::string SizeNumber(double v);  // %.8g
std::string SizeDollars(double usd);  // $1,234,567
// "512 x dgx-h100: 41.6 days, $2,039,394 (layout)"
std::string SizeRowText(const SizingRow& r);

// Fills marks->above_measured_mfu: the fitting rows whose MFU is above their type's mfu_ceiling.
void MarkAboveMeasuredMfu(const std::vector<SizeGpuType>& types, const std::vector<SizingRow>& rows,
                          SizingMarks* marks);

void PrintSize(OutputFormat format, const std::vector<SizeGpuType>& types, const SizeRequest& r,
               const std::vector<SizingRow>& rows, const SizeOutlooks& outlooks,
               const SizingMarks& marks);

}  // namespace planner

#endif  // PLANNER_CLI_SIZE_REPORT_H_
