#include "planner/core/sensitivity.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

#include "planner/core/goodput.h"
#include "planner/core/step_time.h"

namespace planner {
namespace {

// One what-if: a copy of the cluster and pricing to change, and a multiplier on step time.
struct Variant {
  ClusterSpec cluster;
  PricingClass pricing;
  double step_factor = 1;
};
using Change = std::function<void(double factor, Variant*)>;

std::string Times(double f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "x%g", f);
  return buf;
}

class Runner {
 public:
  Runner(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p,
         const SensitivityRequest& r)
      : m_(m), c_(c), p_(p), r_(r) {
    base_.tokens = r.tokens;
    base_.steps = r.steps;
    SetCheckpoint(m, c, p, r.step.memory, &base_);
  }

  Outlook Run(const Variant& v) const {
    const StepTime t = EstimateStepTime(m_, v.cluster, p_, r_.step);
    OutlookInputs in = base_;
    in.step_time_s = t.step_time_s * v.step_factor;
    in.mfu = t.mfu / v.step_factor;
    // The bands are not needed per variant: a band of 1 x keeps each run to its nominal figure.
    return ComputeOutlook(v.cluster, p_.gpus(), in, v.pricing, ErrorBand{});
  }

  SensitivityInput Vary(const std::string& name, double low, double high,
                        const Change& change) const {
    SensitivityInput s{name, Times(low), Times(high), low, high};
    Variant lo{c_, r_.pricing}, hi{c_, r_.pricing};
    change(low, &lo);
    change(high, &hi);
    const Outlook a = Run(lo), b = Run(hi);
    s.days_low = a.expected.days;
    s.days_high = b.expected.days;
    s.usd_low = a.expected.cost_usd;
    s.usd_high = b.expected.cost_usd;
    return s;
  }

  Variant Base() const { return {c_, r_.pricing}; }

 private:
  const ModelSpec& m_;
  const ClusterSpec& c_;
  const ParallelConfig& p_;
  const SensitivityRequest& r_;
  OutlookInputs base_;  // the run and its checkpoint; each variant sets its step time
};

}  // namespace

double SensitivityInput::days_swing() const { return std::abs(days_high - days_low); }
double SensitivityInput::usd_swing() const { return std::abs(usd_high - usd_low); }

SensitivityResult Sensitivity(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p,
                              const SensitivityRequest& r) {
  const Runner run(m, c, p, r);
  SensitivityResult out;
  out.step_time_s = EstimateStepTime(m, c, p, r.step).step_time_s;
  out.base = run.Run(run.Base());
  out.inputs.push_back(run.Vary("network bandwidth", 0.5, 2, [](double f, Variant* v) {
    for (NetworkLevel& l : v->cluster.network) l.bw_GBps *= f;
    for (CollectiveFit& fit : v->cluster.efficiency.collectives) fit.bus_bw_GBps *= f;
  }));
  out.inputs.push_back(run.Vary("GEMM efficiency", 0.8, 1.2, [](double f, Variant* v) {
    v->cluster.efficiency.gemm_max = std::min(1.0, v->cluster.efficiency.gemm_max * f);
  }));
  out.inputs.push_back(
      run.Vary("MFU", 0.8, 1.2, [](double f, Variant* v) { v->step_factor = 1 / f; }));
  const ReliabilitySpec& rel = c.reliability;
  out.inputs.push_back(run.Vary(
      "failure rate", rel.rate_p10_factor, rel.rate_p90_factor,
      [](double f, Variant* v) { v->cluster.reliability.interruptions_per_gpu_hour *= f; }));
  out.inputs.push_back(run.Vary("checkpoint bandwidth", 0.25, 4, [](double f, Variant* v) {
    v->cluster.storage.write_GBps *= f;
    v->cluster.storage.read_GBps *= f;
  }));
  out.inputs.push_back(run.Vary("restart time", 0.5, 2, [](double f, Variant* v) {
    v->cluster.reliability.detect_s *= f;
    v->cluster.reliability.relaunch_s *= f;
  }));
  out.inputs.push_back(run.Vary("GPU price", 0.5, 1.5,
                                [](double f, Variant* v) { v->pricing.usd_per_gpu_hour *= f; }));
  std::stable_sort(out.inputs.begin(), out.inputs.end(),
                   [](const SensitivityInput& a, const SensitivityInput& b) {
                     if (a.days_swing() != b.days_swing()) return a.days_swing() > b.days_swing();
                     return a.usd_swing() > b.usd_swing();
                   });
  return out;
}

}  // namespace planner
