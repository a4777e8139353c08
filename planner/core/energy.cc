#include "planner/core/energy.h"

#include <algorithm>
#include <cmath>

namespace planner {

double GpuUtilisation(double mfu, double gemm_max) {
  if (!(gemm_max > 0) || !(mfu > 0)) return 0;
  return std::min(1.0, mfu / gemm_max);
}

Energy EstimateEnergy(double tdp_W, int64_t gpus, double utilisation, double wall_hours,
                      double tokens, const PowerSpec& p) {
  Energy e;
  if (!(tdp_W > 0) || gpus <= 0) return e;
  const double u = std::clamp(utilisation, 0.0, 1.0);
  e.gpu_W = tdp_W * (p.gpu_idle_fraction + (1 - p.gpu_idle_fraction) * u);
  const double per_gpu_W = e.gpu_W + p.node_overhead_fraction * tdp_W;
  e.it_kW = static_cast<double>(gpus) * per_gpu_W / 1e3;
  e.facility_kW = e.it_kW * p.pue;
  const double kwh = e.facility_kW * wall_hours;
  e.mwh = kwh / 1e3;
  e.joules_per_token = tokens > 0 ? kwh * 3.6e6 / tokens : 0;
  e.tco2e = kwh * p.grid_kg_per_kWh / 1e3;
  e.electricity_usd = kwh * p.usd_per_kWh;
  return e;
}

}  // namespace planner
