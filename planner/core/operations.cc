// Validation of the reliability, storage, power and pricing blocks of a cluster (operations.h).
#include <cmath>
#include <cstddef>
#include <string>

#include "planner/core/cluster_spec.h"

namespace planner {
namespace {

// Bounds far beyond any real value, so a typo (1e300 GB/s, a PUE of 50) is an input error.
constexpr double kMaxRate = 1.0;            // one interruption per GPU-hour
constexpr double kMaxPreemptions = 10.0;    // per node-hour
constexpr double kMaxSeconds = 30 * 86400;  // a month
constexpr double kMinStorageGBps = 1e-3;
constexpr double kMaxStorageGBps = 1e7;
constexpr double kMaxPue = 5;
constexpr double kMaxGridKgPerKwh = 2;  // coal-fired plants emit ~1 kg/kWh
constexpr double kMaxUsdPerKwh = 10;
constexpr double kMaxOverheadFraction = 10;
constexpr double kMaxGpuHourUsd = 1e6;

bool Finite(double v) { return std::isfinite(v); }

std::optional<ClusterError> Range(const std::string& key, double v, double lo, double hi,
                                  bool lo_open, const std::string& what) {
  const bool ok = Finite(v) && (lo_open ? v > lo : v >= lo) && v <= hi;
  if (ok) return std::nullopt;
  return ClusterError{key, key + " " + what};
}

// One bound check of a field with a fixed key.
struct RangeCheck {
  const char* key;
  double value;
  double lo, hi;
  bool lo_open;  // lo itself is out of range
  const char* what;
};

// The first check that fails, in order.
template <std::size_t N>
std::optional<ClusterError> FirstFailure(const RangeCheck (&checks)[N]) {
  for (const RangeCheck& c : checks) {
    if (auto e = Range(c.key, c.value, c.lo, c.hi, c.lo_open, c.what)) return e;
  }
  return std::nullopt;
}

std::optional<ClusterError> ValidateReliability(const ReliabilitySpec& r) {
  const RangeCheck checks[] = {
      {"reliability.interruptions_per_gpu_hour", r.interruptions_per_gpu_hour, 0, kMaxRate, false,
       "must lie between 0 and 1 (per GPU-hour)"},
      {"reliability.rate_p10_factor", r.rate_p10_factor, 0, 1, true, "must lie in (0, 1]"},
      {"reliability.rate_p90_factor", r.rate_p90_factor, 1, 100, false,
       "must lie between 1 and 100"},
      {"reliability.detect_s", r.detect_s, 0, kMaxSeconds, false,
       "must lie between 0 and 2,592,000 seconds"},
      {"reliability.relaunch_s", r.relaunch_s, 0, kMaxSeconds, false,
       "must lie between 0 and 2,592,000 seconds"}};
  if (auto e = FirstFailure(checks)) return e;
  if (r.checkpoint_interval_s) {
    return Range("reliability.checkpoint_interval_s", *r.checkpoint_interval_s, 0, kMaxSeconds,
                 true, "must be positive and at most 2,592,000 seconds");
  }
  return std::nullopt;
}

std::optional<ClusterError> ValidateStorageAndPower(const StorageSpec& s, const PowerSpec& p) {
  const RangeCheck checks[] = {
      {"storage.write_GBps", s.write_GBps, kMinStorageGBps, kMaxStorageGBps, false,
       "must lie between 0.001 and 1e7 GB/s"},
      {"storage.read_GBps", s.read_GBps, kMinStorageGBps, kMaxStorageGBps, false,
       "must lie between 0.001 and 1e7 GB/s"},
      {"power.gpu_idle_fraction", p.gpu_idle_fraction, 0, 1, false, "must lie in [0, 1]"},
      {"power.node_overhead_fraction", p.node_overhead_fraction, 0, kMaxOverheadFraction, false,
       "must lie between 0 and 10 (x GPU TDP)"},
      {"power.pue", p.pue, 1, kMaxPue, false,
       "must lie between 1 and 5 (facility power / IT power)"},
      {"power.grid_kg_per_kWh", p.grid_kg_per_kWh, 0, kMaxGridKgPerKwh, false,
       "must lie between 0 and 2 kg CO2e/kWh"},
      {"power.usd_per_kWh", p.usd_per_kWh, 0, kMaxUsdPerKwh, false,
       "must lie between 0 and 10 USD/kWh"}};
  return FirstFailure(checks);
}

}  // namespace

std::optional<ClusterError> ValidateOperations(const ClusterSpec& c) {
  if (auto e = ValidateReliability(c.reliability)) return e;
  if (auto e = ValidateStorageAndPower(c.storage, c.power)) return e;
  for (size_t i = 0; i < c.pricing.size(); ++i) {
    const PricingClass& p = c.pricing[i];
    const std::string key = "pricing[" + std::to_string(i) + "]";
    if (p.name.empty() || p.name == "on-demand") {
      return ClusterError{key + ".class", key +
                                              ".class must be a name other than 'on-demand' "
                                              "(price_per_gpu_hour_usd is the on-demand price)"};
    }
    for (size_t j = 0; j < i; ++j) {
      if (c.pricing[j].name == p.name) {
        return ClusterError{key + ".class", key + ".class '" + p.name + "' is listed twice"};
      }
    }
    if (auto e = Range(key + ".usd_per_gpu_hour", p.usd_per_gpu_hour, 0, kMaxGpuHourUsd, true,
                       "must be positive and at most 1e6")) {
      return e;
    }
    if (auto e = Range(key + ".preemptions_per_node_hour", p.preemptions_per_node_hour, 0,
                       kMaxPreemptions, false, "must lie between 0 and 10")) {
      return e;
    }
  }
  return std::nullopt;
}

}  // namespace planner
