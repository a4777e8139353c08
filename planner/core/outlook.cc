#include "planner/core/outlook.h"

#include <algorithm>
#include <cmath>

#include "planner/core/params.h"
#include "planner/core/units.h"

namespace planner {

std::optional<PricingClass> FindPricing(const ClusterSpec& c, const std::string& name) {
  if (name == kOnDemand) return PricingClass{kOnDemand, c.price_per_gpu_hour_usd, 0};
  for (const PricingClass& p : c.pricing) {
    if (p.name == name) return p;
  }
  return std::nullopt;
}

void SetCheckpoint(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p,
                   const MemoryOptions& mem, OutlookInputs* in) {
  const ParamCount pc = CountParams(m);
  in->params = static_cast<double>(pc.total);
  in->checkpoint_bytes = CheckpointBytes(in->params, mem, p.zero, static_cast<double>(pc.layers));
  in->per_gpu_state_bytes = CheckpointBytesPerGpu(EstimateMemory(m, c, p, mem), p.dp, p.cp, p.zero);
}

Outlook ComputeOutlook(const ClusterSpec& c, int64_t gpus, const OutlookInputs& in,
                       const PricingClass& pricing, const ErrorBand& step_band) {
  Outlook o;
  o.pricing = pricing;
  o.step_band = step_band;
  o.rate_factor = {c.reliability.rate_p10_factor, c.reliability.rate_p90_factor};
  const double n = static_cast<double>(gpus);
  const double compute_hours = in.steps * in.step_time_s / kSecondsPerHour;
  o.ideal = {compute_hours / 24, compute_hours * n, compute_hours * n * pricing.usd_per_gpu_hour};

  GoodputInputs g;
  g.compute_hours = compute_hours;
  g.gpus = gpus;
  // A partial node (fewer GPUs than gpus_per_node) is still one node.
  g.nodes = std::max<int64_t>(1, (gpus + c.gpus_per_node - 1) / c.gpus_per_node);
  o.checkpoint_bytes = in.checkpoint_bytes.value_or(CheckpointBytes(in.params));
  o.checkpoint_bytes_per_gpu = in.per_gpu_state_bytes.value_or(o.checkpoint_bytes / n);
  g.checkpoint_bytes = o.checkpoint_bytes;
  g.preemptions_per_node_hour = pricing.preemptions_per_node_hour;
  g.reliability = c.reliability;
  g.storage = c.storage;
  o.goodput = ComputeGoodput(g);
  const double wall = o.goodput.wall_hours;
  o.expected = {wall / 24, wall * n, wall * n * pricing.usd_per_gpu_hour};
  o.bands = ComputeBands(g, o.goodput, step_band, pricing.usd_per_gpu_hour);

  o.utilisation = GpuUtilisation(in.mfu, c.efficiency.gemm_max);
  o.energy = EstimateEnergy(c.gpu.tdp_W, gpus, o.utilisation, wall, in.tokens, c.power);
  // Energy is proportional to wall time at a fixed draw.
  const double per_hour_mwh = wall > 0 && std::isfinite(wall) ? o.energy.mwh / wall : 0;
  const double per_hour_t = wall > 0 && std::isfinite(wall) ? o.energy.tco2e / wall : 0;
  o.mwh = {o.bands.wall_hours.p10 * per_hour_mwh, o.bands.wall_hours.p90 * per_hour_mwh};
  o.tco2e = {o.bands.wall_hours.p10 * per_hour_t, o.bands.wall_hours.p90 * per_hour_t};
  return o;
}

}  // namespace planner
