#include "planner/core/cluster_spec.h"

#include <cmath>
#include <string>

#include "planner/core/limits.h"

namespace planner {
namespace {

bool Positive(double v) { return std::isfinite(v) && v > 0; }

// Upper bounds far beyond any real hardware, so an absurd value (1e308 $/h, 1e300 GiB) is an
// input error instead of an infinity in the report.
constexpr double kMaxHbm_GiB = 1e6;
constexpr double kMaxBw_GBps = 1e7;
constexpr double kMinBw_GBps = 1e-3;
constexpr double kMaxPrice_usd = 1e6;
constexpr double kMinPrice_usd = 1e-6;
// Dense TFLOP/s per GPU: 1 GFLOP/s (a CPU core) to 100 PFLOP/s (20x a B200 at fp8); HBM
// bandwidth 1 GB/s to 1 PB/s; board power 1 W to 100 kW; a message step at most one second; a
// GEMM efficiency curve that reaches half its maximum by 1 PFLOP.
constexpr double kMinPeak_tflops = 1e-3;
constexpr double kMaxPeak_tflops = 1e5;
constexpr double kMinHbm_GBps = 1;
constexpr double kMaxHbm_GBps = 1e6;
constexpr double kMinTdp_W = 1;
constexpr double kMaxTdp_W = 1e5;
constexpr double kMaxLatency_us = 1e6;
constexpr double kMaxGemmHalf_flops = 1e15;
// Efficiency fractions below 1% describe no real system and make every figure meaningless.
constexpr double kMinFraction = 0.01;

// One measured line of `planner calibrate`: a level of this cluster, at least two ranks, and a
// usable latency and bandwidth (the reader has already matched the collective's name).
std::optional<ClusterError> ValidateFit(const ClusterSpec& c, const CollectiveFit& f, size_t i) {
  const std::string key = "efficiency.collectives[" + std::to_string(i) + "]";
  std::string levels;
  bool known = false;
  for (const NetworkLevel& l : c.network) {
    known = known || l.name == f.level;
    levels += (levels.empty() ? "" : ", ") + l.name;
  }
  if (!known) {
    return ClusterError{key + ".level", key + ".level: '" + f.level +
                                            "' is not a network level of this cluster (" + levels +
                                            ")"};
  }
  if (f.nranks < 2 || f.nranks > kMaxGpus) {
    return ClusterError{key + ".nranks", key + ".nranks must be between 2 and " +
                                             std::to_string(kMaxGpus) + ", got " +
                                             std::to_string(f.nranks)};
  }
  if (!std::isfinite(f.alpha_us) || f.alpha_us < 0) {
    return ClusterError{key + ".alpha_us", key + ".alpha_us must be a non-negative number"};
  }
  if (!Positive(f.bus_bw_GBps) || f.bus_bw_GBps < kMinBw_GBps || f.bus_bw_GBps > kMaxBw_GBps) {
    return ClusterError{key + ".bus_bw_GBps", key + ".bus_bw_GBps must lie between 0.001 and 1e7"};
  }
  return std::nullopt;
}

}  // namespace

std::optional<ClusterError> Validate(const ClusterSpec& c) {
  if (!Positive(c.gpu.hbm_GiB) || c.gpu.hbm_GiB > kMaxHbm_GiB) {
    return ClusterError{"gpu.hbm_GiB", "gpu.hbm_GiB must be positive and at most 1e6"};
  }
  if (!(c.gpu.hbm_GBps >= kMinHbm_GBps && c.gpu.hbm_GBps <= kMaxHbm_GBps)) {
    return ClusterError{"gpu.hbm_GBps", "gpu.hbm_GBps must lie between 1 and 1e6"};
  }
  if (!(c.gpu.host_link_GBps >= 0 && c.gpu.host_link_GBps <= 1e5)) {
    return ClusterError{"gpu.host_link_GBps", "gpu.host_link_GBps must lie between 0 and 1e5 GB/s"};
  }
  if (!(c.gpu.host_GiB >= 0 && c.gpu.host_GiB <= kMaxHbm_GiB)) {
    return ClusterError{"gpu.host_GiB", "gpu.host_GiB must lie between 0 and 1e6 GiB"};
  }
  if (!(c.gpu.tdp_W == 0 || (c.gpu.tdp_W >= kMinTdp_W && c.gpu.tdp_W <= kMaxTdp_W))) {
    return ClusterError{"gpu.tdp_W", "gpu.tdp_W must lie between 1 and 1e5 watts"};
  }
  bool any_peak = false;
  for (int i = 0; i < kNumDtypes; ++i) {
    const double p = c.gpu.peak_tflops[i];
    const std::string key = std::string("gpu.peak_tflops.") + ToString(static_cast<Dtype>(i));
    if (!(p == 0 || (p >= kMinPeak_tflops && p <= kMaxPeak_tflops))) {
      return ClusterError{key, key + " must lie between 0.001 and 1e5 TFLOP/s (dense, per GPU)"};
    }
    any_peak = any_peak || p > 0;
  }
  if (!any_peak) return ClusterError{"gpu.peak_tflops", "gpu.peak_tflops needs at least one dtype"};
  if (c.gpus_per_node <= 0 || c.gpus_per_node > 1024) {
    return ClusterError{"gpus_per_node", "gpus_per_node must be between 1 and 1024, got " +
                                             std::to_string(c.gpus_per_node)};
  }
  if (c.nodes <= 0 || c.nodes > kMaxGpus / c.gpus_per_node) {
    return ClusterError{"nodes", "nodes must be between 1 and " +
                                     std::to_string(kMaxGpus / c.gpus_per_node) + ", got " +
                                     std::to_string(c.nodes)};
  }
  if (c.network.empty()) return ClusterError{"network", "network needs at least one level"};
  int64_t previous = 1;
  for (size_t i = 0; i < c.network.size(); ++i) {
    const NetworkLevel& l = c.network[i];
    const std::string key = "network[" + std::to_string(i) + "]";
    const bool last = i + 1 == c.network.size();
    if (!Positive(l.bw_GBps) || l.bw_GBps < kMinBw_GBps || l.bw_GBps > kMaxBw_GBps) {
      return ClusterError{key + ".bw_GBps", key + ".bw_GBps must lie between 0.001 and 1e7"};
    }
    if (!(l.latency_us >= 0 && l.latency_us <= kMaxLatency_us)) {
      return ClusterError{key + ".latency_us", key + ".latency_us must lie between 0 and 1e6"};
    }
    if (l.size < 0 || (l.size == 0 && !last)) {
      return ClusterError{key + ".size", key + ".size must be positive (0, 'whole cluster', "
                                         "only for the last level)"};
    }
    if (l.size > 0 && (l.size % previous != 0)) {
      return ClusterError{key + ".size", key + ".size: each level's size must be a multiple of "
                                         "the previous level's (" + std::to_string(previous) + ")"};
    }
    if (l.size > 0) previous = l.size;
  }
  if (!(c.price_per_gpu_hour_usd >= kMinPrice_usd && c.price_per_gpu_hour_usd <= kMaxPrice_usd)) {
    return ClusterError{"price_per_gpu_hour_usd",
                        "price_per_gpu_hour_usd must lie between 1e-6 and 1e6"};
  }
  if (!(c.usable_hbm_fraction >= kMinFraction && c.usable_hbm_fraction <= 1)) {
    return ClusterError{"usable_hbm_fraction", "usable_hbm_fraction must lie in [0.01, 1]"};
  }
  const EfficiencySpec& e = c.efficiency;
  for (const auto& [name, member] : kEfficiencyTerms) {  // fractions, all but gemm_half_flops
    const double v = e.*member;
    if (member != &EfficiencySpec::gemm_half_flops && !(v >= kMinFraction && v <= 1)) {
      return ClusterError{std::string("efficiency.") + name,
                          std::string("efficiency.") + name + " must lie in [0.01, 1]"};
    }
  }
  if (!(e.gemm_half_flops >= 0 && e.gemm_half_flops <= kMaxGemmHalf_flops)) {
    return ClusterError{"efficiency.gemm_half_flops",
                        "efficiency.gemm_half_flops must lie between 0 and 1e15 FLOPs"};
  }
  for (size_t i = 0; i < e.collectives.size(); ++i) {
    if (auto err = ValidateFit(c, e.collectives[i], i)) return err;
  }
  return ValidateOperations(c);
}

std::string UnsupportedDtypeText(Dtype d, const GpuSpec& gpu, const std::string& where) {
  const std::string name = ToString(d);
  return name + " is not supported by " + gpu.name + " (" + (where.empty() ? "" : where + ": ") +
         "no " + name + " peak_tflops in its cluster file)";
}

}  // namespace planner
