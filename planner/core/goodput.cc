#include "planner/core/goodput.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <random>

#include "planner/core/units.h"

namespace planner {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// exp() overflows past ~709; a wall time e^700 times the compute time is "never".
constexpr double kMaxExponent = 700;
// z of the 90th percentile of the standard normal: P10 and P90 are mu -/+ 1.2816 sigma.
constexpr double kZ90 = 1.2815515655446004;

// A log-normal multiplier with the given P10 and P90, from one standard-normal draw.
double LogNormalFactor(double p10, double p90, double z) {
  const double lo = std::log(p10), hi = std::log(p90);
  return std::exp((lo + hi) / 2 + z * (hi - lo) / (2 * kZ90));
}

// Standard normal draws from mt19937_64 by Box-Muller, written out so the sequence is the same
// with every standard library (std::normal_distribution's algorithm is unspecified).
class Normal {
 public:
  explicit Normal(uint64_t seed) : rng_(seed) {}
  double operator()() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = Uniform(), u2 = Uniform();
    const double r = std::sqrt(-2 * std::log(u1));
    spare_ = r * std::sin(2 * std::numbers::pi * u2);
    has_spare_ = true;
    return r * std::cos(2 * std::numbers::pi * u2);
  }

 private:
  double Uniform() {  // (0, 1]: 53 random bits
    return (static_cast<double>(rng_() >> 11) + 1) * 0x1.0p-53;
  }
  std::mt19937_64 rng_;
  double spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace

double CheckpointBytes(double params, const MemoryOptions& o, int zero, double layer_params) {
  const double per_param = zero >= 3 ? o.zero3_weight_bytes + o.zero3_optimizer_bytes
                                     : o.weight_bytes + o.optimizer_bytes;
  return params * per_param - o.muon_moment_bytes * layer_params;
}

double CheckpointBytesPerGpu(const MemoryBreakdown& mem, int64_t dp, int64_t cp, int zero) {
  const double copies = static_cast<double>(std::max<int64_t>(1, dp * cp));
  const double weights = zero >= 3 ? mem.weights : mem.weights / copies;
  const double optimizer = zero >= 1 ? mem.optimizer : mem.optimizer / copies;
  return weights + optimizer;
}

double Goodput::checkpoint_overhead() const {
  return wall_hours > 0 && std::isfinite(wall_hours) ? checkpoint_hours / wall_hours : 0;
}

double YoungInterval(double write_s, double mtbf_s) { return std::sqrt(2 * write_s * mtbf_s); }

double DalyInterval(double write_s, double mtbf_s) {
  if (!(write_s < 2 * mtbf_s)) return mtbf_s;
  const double x = write_s / (2 * mtbf_s);
  return YoungInterval(write_s, mtbf_s) * (1 + std::sqrt(x) / 3 + x / 9) - write_s;
}

double DalyWallTime(double compute_s, double interval_s, double write_s, double restart_s,
                    double mtbf_s) {
  if (!std::isfinite(mtbf_s)) return compute_s + compute_s / interval_s * write_s;
  const double exponent = (interval_s + write_s) / mtbf_s;
  if (exponent + restart_s / mtbf_s > kMaxExponent) return kInf;
  return mtbf_s * std::exp(restart_s / mtbf_s) * std::expm1(exponent) * compute_s / interval_s;
}

Goodput ComputeGoodput(const GoodputInputs& in) {
  const ReliabilitySpec& r = in.reliability;
  Goodput g;
  g.interruptions_per_hour = static_cast<double>(in.gpus) * r.interruptions_per_gpu_hour +
                             static_cast<double>(in.nodes) * in.preemptions_per_node_hour;
  g.mtbf_h = g.interruptions_per_hour > 0 ? 1 / g.interruptions_per_hour : kInf;
  g.checkpoint_write_s = TransferSeconds(in.checkpoint_bytes, in.storage.write_GBps);
  g.restart_s =
      r.detect_s + r.relaunch_s + TransferSeconds(in.checkpoint_bytes, in.storage.read_GBps);
  const double compute_s = in.compute_hours * kSecondsPerHour;
  const double mtbf_s = g.mtbf_h * kSecondsPerHour;
  g.interval_is_daly = !r.checkpoint_interval_s;
  if (r.checkpoint_interval_s) {
    g.interval_s = *r.checkpoint_interval_s;
  } else {
    // Without failures there is nothing to checkpoint against: one interval spans the run.
    g.interval_s = std::isfinite(mtbf_s) ? DalyInterval(g.checkpoint_write_s, mtbf_s) : compute_s;
  }
  if (compute_s <= 0 || g.interval_s <= 0) {
    g.wall_hours = in.compute_hours;
    return g;
  }
  const bool checkpoints = std::isfinite(mtbf_s) || r.checkpoint_interval_s;
  const double write_s = checkpoints ? g.checkpoint_write_s : 0;
  const double wall_s = DalyWallTime(compute_s, g.interval_s, write_s, g.restart_s, mtbf_s);
  g.wall_hours = wall_s / 3600;
  g.goodput = std::isfinite(wall_s) ? compute_s / wall_s : 0;
  g.interruptions = std::isfinite(mtbf_s) ? wall_s / mtbf_s : 0;
  g.checkpoint_hours = checkpoints ? compute_s / g.interval_s * write_s / 3600 : 0;
  g.restart_hours = g.interruptions * g.restart_s / 3600;
  g.lost_hours =
      std::max(0.0, g.wall_hours - in.compute_hours - g.checkpoint_hours - g.restart_hours);
  return g;
}

double Quantile(std::vector<double>* values, double p) {
  std::vector<double>& v = *values;
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = p * static_cast<double>(v.size() - 1);
  const size_t i = static_cast<size_t>(std::floor(pos));
  if (i + 1 >= v.size()) return v.back();
  return v[i] + (pos - static_cast<double>(i)) * (v[i + 1] - v[i]);
}

RunBands ComputeBands(const GoodputInputs& in, const Goodput& nominal, const ErrorBand& step,
                      double usd_per_gpu_hour, int samples, uint64_t seed) {
  Normal normal(seed);
  std::vector<double> wall, good;
  wall.reserve(samples);
  good.reserve(samples);
  for (int i = 0; i < samples; ++i) {
    GoodputInputs s = in;
    s.compute_hours *= LogNormalFactor(step.p10_factor, step.p90_factor, normal());
    const double rate =
        LogNormalFactor(in.reliability.rate_p10_factor, in.reliability.rate_p90_factor, normal());
    s.reliability.interruptions_per_gpu_hour *= rate;  // spot preemption is the provider's
    s.reliability.checkpoint_interval_s = nominal.interval_s;
    const Goodput g = ComputeGoodput(s);
    wall.push_back(g.wall_hours);
    good.push_back(g.goodput);
  }
  RunBands b;
  b.samples = samples;
  b.wall_hours = {Quantile(&wall, 0.1), Quantile(&wall, 0.9)};
  b.days = {b.wall_hours.p10 / 24, b.wall_hours.p90 / 24};
  const double gpu_usd = static_cast<double>(in.gpus) * usd_per_gpu_hour;
  b.cost_usd = {b.wall_hours.p10 * gpu_usd, b.wall_hours.p90 * gpu_usd};
  b.goodput = {Quantile(&good, 0.1), Quantile(&good, 0.9)};
  return b;
}

}  // namespace planner
