// A training run's outlook: the failure-free (ideal) days and dollars of steps x step time, and
// what the run is expected to take once failures, checkpoints and restarts are counted
// (goodput.h), with P10-P90 bands, energy and carbon (energy.h), at one pricing class. This is
// what `planner size`, `compare`, `explain --tokens` and `sensitivity` print. Pure.
#ifndef PLANNER_CORE_OUTLOOK_H_
#define PLANNER_CORE_OUTLOOK_H_

#include <optional>
#include <string>

#include "planner/core/cluster_spec.h"
#include "planner/core/energy.h"
#include "planner/core/error_band.h"
#include "planner/core/goodput.h"
#include "planner/core/model_spec.h"
#include "planner/core/parallel_config.h"

namespace planner {

inline constexpr const char* kOnDemand = "on-demand";

// "on-demand" (price_per_gpu_hour_usd, no preemption) or one of the cluster's pricing classes;
// nullopt for a name the cluster does not list.
std::optional<PricingClass> FindPricing(const ClusterSpec& c, const std::string& name);

struct RunFigures {
  double days = 0;
  double gpu_hours = 0;
  double cost_usd = 0;
};

struct Outlook {
  RunFigures ideal;     // steps x step time: no failures, no checkpoints
  RunFigures expected;  // goodput-adjusted: the default figure everywhere
  RunBands bands;       // of the expected days and dollars
  Band mwh, tco2e;      // the energy at the band's wall times
  PricingClass pricing;
  Goodput goodput;
  Energy energy;        // over the expected wall time
  ErrorBand step_band;  // the step-time band the bands used
  Band rate_factor;     // ... and the failure-rate multipliers
  double utilisation = 0;
  double checkpoint_bytes = 0;
  double checkpoint_bytes_per_gpu = 0;
};

struct OutlookInputs {
  double tokens = 0;
  double steps = 0;
  double step_time_s = 0;
  double mfu = 0;
  double params = 0;                          // total parameters (the checkpoint's size)
  // The stack's checkpoint (CheckpointBytes with its memory options); else params x 14 bytes.
  std::optional<double> checkpoint_bytes;
  std::optional<double> per_gpu_state_bytes;  // CheckpointBytesPerGpu, when a layout is known
};

// The checkpoint of layout `p` as the stack's memory options keep the states: its parameters, the
// whole checkpoint (CheckpointBytes) and each GPU's share (CheckpointBytesPerGpu).
void SetCheckpoint(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p,
                   const MemoryOptions& mem, OutlookInputs* in);

Outlook ComputeOutlook(const ClusterSpec& c, int64_t gpus, const OutlookInputs& in,
                       const PricingClass& pricing, const ErrorBand& step_band);

}  // namespace planner

#endif  // PLANNER_CORE_OUTLOOK_H_
