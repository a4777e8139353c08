// What-if sensitivity (`planner sensitivity`): how far the expected days and dollars of one run
// (a model, a cluster, a layout) move when one input at a time goes to a low and a high setting,
// ranked by the swing on days (ties: on dollars), as a tornado chart shows them. The layout stays
// fixed (a re-planned layout could absorb part of a change); step time is recomputed where the
// input feeds the step-time model. Pure.
#ifndef PLANNER_CORE_SENSITIVITY_H_
#define PLANNER_CORE_SENSITIVITY_H_

#include <string>
#include <vector>

#include "planner/core/cluster_spec.h"
#include "planner/core/model_spec.h"
#include "planner/core/outlook.h"
#include "planner/core/parallel_config.h"
#include "planner/core/step_time.h"

namespace planner {

struct SensitivityInput {
  std::string name;  // "network bandwidth"
  std::string low;   // the setting, in words: "x0.5"
  std::string high;
  double low_factor = 1, high_factor = 1;  // multipliers on the input
  double days_low = 0, days_high = 0;      // expected days at each setting
  double usd_low = 0, usd_high = 0;
  double days_swing() const;  // |days_high - days_low|
  double usd_swing() const;
};

struct SensitivityResult {
  Outlook base;
  double step_time_s = 0;
  std::vector<SensitivityInput> inputs;  // ranked, largest days swing first
};

struct SensitivityRequest {
  double tokens = 0;
  double steps = 0;
  PricingClass pricing;
  StepTimeOptions step = {};  // the stack's (StackOptions), as explain and size price the layout
};

// The inputs and their ranges (docs/goodput.md says why each): network bandwidth x0.5 / x2
// (every level), GEMM efficiency (efficiency.gemm_max) x0.8 / x1.2 (capped at 1), MFU x0.8 / x1.2
// (step time / the factor), failure rate reliability.rate_p10_factor / rate_p90_factor,
// checkpoint bandwidth x0.25 / x4, restart time x0.5 / x2, GPU price x0.5 / x1.5 (spot and
// reserved against list prices).
SensitivityResult Sensitivity(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p,
                              const SensitivityRequest& r);

}  // namespace planner

#endif  // PLANNER_CORE_SENSITIVITY_H_
