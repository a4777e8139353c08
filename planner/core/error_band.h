// How far a step-time prediction may be from what a run will measure: the P10-P90 band of the
// leave-one-source-out residuals (measured / predicted) of published runs on the same GPU
// generation and software stack. Every step time, day count and dollar figure the planner
// prints carries one. Pure data; the table is built from `planner validate`'s residuals and
// embedded in the binary (see docs/validation.md).
#ifndef PLANNER_CORE_ERROR_BAND_H_
#define PLANNER_CORE_ERROR_BAND_H_

#include <string>

namespace planner {

struct ErrorBand {
  // Multipliers on the predicted step time: the run is expected to take between
  // predicted * p10_factor and predicted * p90_factor (80% of held-out records fall inside).
  double p10_factor = 1;
  double p90_factor = 1;
  int records = 0;    // held-out records behind the band; 0 = no validation data
  std::string basis;  // e.g. "H100 megatron-core, 14 records" or "all generations, 61 records"
};

}  // namespace planner

#endif  // PLANNER_CORE_ERROR_BAND_H_
