// Energy, carbon and electricity cost of a training run. Pure: no I/O, no exceptions.
//
//   utilisation u = MFU / efficiency.gemm_max, at most 1: the share of the step the GPU's tensor
//     cores run at the rate this GPU generation sustains (the rest is communication, bubble and
//     memory-bound work, at lower draw)
//   GPU draw = TDP x (idle + (1 - idle) x u): linear between idle and TDP (an assumption; the
//     defaults give an 8x H100 node (0.15 + 0.85 u) x 5.6 kW + 2.8 kW, 8.4 kW at u = 1, the peak
//     Latif et al. 2024 measured; Newkirk et al. 2025, arXiv 2506.14551, find compute-heavy
//     training at 76% of the 10.2 kW node rating, 7.75 kW, which the model gives at u = 0.86)
//   IT power = GPUs x (GPU draw + node overhead fraction x TDP); facility power = IT x PUE
//   energy = facility power x wall-clock hours (the whole run, restarts included: a job holding
//     its nodes keeps them powered)
//   tCO2e = MWh x grid intensity (kg/kWh, = t/MWh); electricity cost = kWh x price
// Operations.h holds the defaults and their sources; the cluster file's `power:` block and
// `--grid-kg-per-kwh` override them.
#ifndef PLANNER_CORE_ENERGY_H_
#define PLANNER_CORE_ENERGY_H_

#include <cstdint>

#include "planner/core/operations.h"

namespace planner {

double GpuUtilisation(double mfu, double gemm_max);

struct Energy {
  double gpu_W = 0;        // one GPU under this run's load
  double it_kW = 0;        // GPUs and their hosts
  double facility_kW = 0;  // x PUE
  double mwh = 0;          // facility energy over the run
  double joules_per_token = 0;
  double tco2e = 0;
  double electricity_usd = 0;
};

// Zero energy (all fields 0) when tdp_W is 0 (the cluster file gives no TDP).
Energy EstimateEnergy(double tdp_W, int64_t gpus, double utilisation, double wall_hours,
                      double tokens, const PowerSpec& p);

}  // namespace planner

#endif  // PLANNER_CORE_ENERGY_H_
