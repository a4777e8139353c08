#include "planner/core/fit.h"

#include <algorithm>
#include <cmath>
#include <tuple>
#include <utility>

#include "planner/core/params.h"

namespace planner {
namespace {

using Point = std::vector<double>;  // fitted parameters mapped to [0, 1] each

// The EfficiencySpec term each fitted parameter moves; its key (kEfficiencyTerms) is its name.
constexpr std::pair<FitParameter, double EfficiencySpec::*> kFitTerms[] = {
    {FitParameter::kGemmMax, &EfficiencySpec::gemm_max},
    {FitParameter::kGemmHalfFlops, &EfficiencySpec::gemm_half_flops},
    {FitParameter::kCollectiveBwFraction, &EfficiencySpec::collective_bw_fraction},
    {FitParameter::kHbmFraction, &EfficiencySpec::hbm_fraction},
    {FitParameter::kFp8GemmFraction, &EfficiencySpec::fp8_gemm_fraction},
    {FitParameter::kAttentionFraction, &EfficiencySpec::attention_fraction},
    {FitParameter::kFp4GemmFraction, &EfficiencySpec::fp4_gemm_fraction}};

double EfficiencySpec::*Member(FitParameter p) {
  for (const auto& [parameter, member] : kFitTerms) {
    if (parameter == p) return member;
  }
  return &EfficiencySpec::gemm_max;
}

double* Field(EfficiencySpec* e, FitParameter p) { return &(e->*Member(p)); }

double FromUnit(const FitBound& b, double x) {
  x = std::clamp(x, 0.0, 1.0);
  if (b.log_scale) return std::exp(std::log(b.lo) + x * (std::log(b.hi) - std::log(b.lo)));
  return b.lo + x * (b.hi - b.lo);
}

double ToUnit(const FitBound& b, double v) {
  const double x = b.log_scale ? (std::log(v) - std::log(b.lo)) / (std::log(b.hi) - std::log(b.lo))
                               : (v - b.lo) / (b.hi - b.lo);
  return std::isfinite(x) ? std::clamp(x, 0.0, 1.0) : 0.5;
}

EfficiencySpec Apply(const EfficiencySpec& start, const FitOptions& o, const Point& x) {
  EfficiencySpec e = start;
  for (size_t i = 0; i < o.bounds.size(); ++i)
    *Field(&e, o.bounds[i].parameter) = FromUnit(o.bounds[i], x[i]);
  return e;
}

// What does not depend on the efficiency terms, computed once per run.
struct PreparedRun {
  const MeasuredRun* run;
  ParamSplit split;
  SequenceFlops flops;
};

std::vector<PreparedRun> Prepare(const std::vector<MeasuredRun>& runs) {
  std::vector<PreparedRun> out;
  out.reserve(runs.size());
  for (const MeasuredRun& r : runs) {
    out.push_back({&r, SplitParams(r.model, CountParams(r.model)),
                   FlopsPerSequence(r.model, r.layout.recompute)});
  }
  return out;
}

double PreparedStepTime(const PreparedRun& pr, const EfficiencySpec& e) {
  const MeasuredRun& r = *pr.run;
  ClusterSpec c = r.cluster;
  c.efficiency = e;
  const LayerCost lc = ComputeLayerCost(r.model, c, r.layout, r.options);
  return AssembleStepTime(r.model, c, pr.split, r.layout, r.options, lc, pr.flops).step_time_s;
}

std::vector<double> Errors(const std::vector<PreparedRun>& runs, const EfficiencySpec& e) {
  std::vector<double> errors;
  errors.reserve(runs.size());
  for (const PreparedRun& pr : runs) {
    errors.push_back(PreparedStepTime(pr, e) / pr.run->measured_step_time_s - 1);
  }
  return errors;
}

// Nelder-Mead (reflection 1, expansion 2, contraction 1/2, shrink 1/2) on f over the unit cube;
// points outside are clamped by the parameter mapping, so the simplex may lean on a bound.
template <class F>
std::pair<Point, double> NelderMead(const F& f, Point x0, int max_evaluations, double tolerance,
                                    int* evaluations) {
  const size_t n = x0.size();
  std::vector<std::pair<double, Point>> simplex;
  auto eval = [&](const Point& x) {
    ++*evaluations;
    return f(x);
  };
  simplex.push_back({eval(x0), x0});
  for (size_t i = 0; i < n; ++i) {
    Point x = x0;
    x[i] += x[i] < 0.5 ? 0.2 : -0.2;  // steps stay inside the cube
    simplex.push_back({eval(x), x});
  }
  int used = static_cast<int>(n + 1);
  auto affine = [&](const Point& a, const Point& b, double t) {  // a + t (b - a)
    Point x(n);
    for (size_t i = 0; i < n; ++i) x[i] = a[i] + t * (b[i] - a[i]);
    return x;
  };
  while (used < max_evaluations) {
    std::sort(simplex.begin(), simplex.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    if (simplex.back().first - simplex.front().first < tolerance) break;
    Point centroid(n, 0.0);
    for (size_t k = 0; k < n; ++k) {
      for (size_t i = 0; i < n; ++i) centroid[i] += simplex[k].second[i] / n;
    }
    const Point& worst = simplex.back().second;
    const Point reflected = affine(centroid, worst, -1);
    const double fr = eval(reflected);
    ++used;
    if (fr < simplex.front().first) {
      const Point expanded = affine(centroid, worst, -2);
      const double fe = eval(expanded);
      ++used;
      simplex.back() = fe < fr ? std::make_pair(fe, expanded) : std::make_pair(fr, reflected);
    } else if (fr < simplex[n - 1].first) {
      simplex.back() = {fr, reflected};
    } else {
      const Point contracted = affine(centroid, worst, fr < simplex.back().first ? -0.5 : 0.5);
      const double fc = eval(contracted);
      ++used;
      if (fc < std::min(fr, simplex.back().first)) {
        simplex.back() = {fc, contracted};
      } else {
        for (size_t k = 1; k <= n; ++k) {
          simplex[k].second = affine(simplex[0].second, simplex[k].second, 0.5);
          simplex[k].first = eval(simplex[k].second);
          ++used;
        }
      }
    }
  }
  std::sort(simplex.begin(), simplex.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return {simplex.front().second, simplex.front().first};
}

// Runs all in fp8 or fp4: none fixes the 16-bit GEMM efficiency apart from the low-precision
// fractions (ScopeOfFit).
bool AllLowPrecision(const std::vector<MeasuredRun>& runs) {
  return std::all_of(runs.begin(), runs.end(),
                     [](const MeasuredRun& r) { return IsLowPrecision(r.layout.dtype); });
}

bool AnyIn(const std::vector<MeasuredRun>& runs, Dtype d) {
  return std::any_of(runs.begin(), runs.end(),
                     [d](const MeasuredRun& r) { return r.layout.dtype == d; });
}

}  // namespace

const char* ToString(FitParameter p) { return EfficiencyKey(Member(p)); }

double FitValue(const EfficiencySpec& e, FitParameter p) {
  EfficiencySpec copy = e;
  return *Field(&copy, p);
}

EfficiencySpec CarryFittedTerms(const EfficiencySpec& from, EfficiencySpec onto) {
  for (const FitBound& b : FitOptions{}.bounds)
    *Field(&onto, b.parameter) = FitValue(from, b.parameter);
  return onto;
}

std::string GpuGeneration(const GpuSpec& gpu) {
  return gpu.name.substr(0, gpu.name.find_first_of("- "));
}

StepTime PredictStep(const MeasuredRun& run, const EfficiencySpec& e) {
  ClusterSpec c = run.cluster;
  c.efficiency = e;
  return EstimateStepTime(run.model, c, run.layout, run.options);
}

double PredictStepTime(const MeasuredRun& run, const EfficiencySpec& e) {
  return PredictStep(run, e).step_time_s;
}

double Mape(const std::vector<double>& errors) {
  if (errors.empty()) return 0;
  double sum = 0;
  for (double e : errors) sum += std::abs(e);
  return sum / static_cast<double>(errors.size());
}

FitScope ScopeOfFit(const std::vector<MeasuredRun>& runs) {
  std::vector<std::string> sources;
  for (const MeasuredRun& r : runs) {
    if (std::find(sources.begin(), sources.end(), r.source) == sources.end())
      sources.push_back(r.source);
  }
  if (static_cast<int>(sources.size()) < kMinFitSources) return FitScope::kNone;
  const int n = static_cast<int>(runs.size());
  if (AllLowPrecision(runs))
    return n >= kMinGemmMaxFitRuns ? FitScope::kGemmMaxOnly : FitScope::kNone;
  return n >= kMinFitRuns ? FitScope::kAll : FitScope::kNone;
}

FitResult FitEfficiency(const std::vector<MeasuredRun>& runs, const EfficiencySpec& start,
                        const FitOptions& given) {
  FitOptions o = given;
  // A term no run exercises is not identified: it keeps its starting value and is not reported
  // as fitted.
  auto drop_unless = [&](FitParameter p, auto&& exercises) {
    if (std::none_of(runs.begin(), runs.end(), exercises)) {
      std::erase_if(o.bounds, [p](const FitBound& b) { return b.parameter == p; });
    }
  };
  drop_unless(FitParameter::kFp8GemmFraction,
              [](const MeasuredRun& r) { return r.layout.dtype == Dtype::kFp8; });
  drop_unless(FitParameter::kFp4GemmFraction,
              [](const MeasuredRun& r) { return r.layout.dtype == Dtype::kFp4; });
  drop_unless(FitParameter::kAttentionFraction,
              [](const MeasuredRun& r) { return r.options.memory.flash_attention; });
  if (!runs.empty() && AllLowPrecision(runs)) {
    // gemm_max from the fp8 runs; fp4's fraction of it from the fp4 runs, where fp8 runs beside
    // them fix gemm_max (fp4 runs alone fix only the product).
    const bool fp4_identified = AnyIn(runs, Dtype::kFp8) && AnyIn(runs, Dtype::kFp4);
    std::erase_if(o.bounds, [&](const FitBound& b) {
      return b.parameter != FitParameter::kGemmMax &&
             !(fp4_identified && b.parameter == FitParameter::kFp4GemmFraction);
    });
  }
  FitResult best;
  best.efficiency = start;
  for (const FitBound& b : o.bounds) best.fitted.push_back(b.parameter);
  const std::vector<PreparedRun> prepared = Prepare(runs);
  best.errors = Errors(prepared, start);
  best.mape = Mape(best.errors);
  if (runs.empty() || o.bounds.empty()) return best;
  auto objective = [&](const Point& x) { return Mape(Errors(prepared, Apply(start, o, x))); };
  // Starts: the given spec, and four spread points, so a poor preset cannot trap the search in a
  // local minimum of the (piecewise smooth) MAPE; each start is then polished by one restart.
  const size_t n = o.bounds.size();
  Point from_spec(n);
  for (size_t i = 0; i < n; ++i)
    from_spec[i] = ToUnit(o.bounds[i], *Field(&best.efficiency, o.bounds[i].parameter));
  std::vector<Point> starts = {from_spec, Point(n, 0.25), Point(n, 0.75), Point(n, 0.5)};
  Point mixed(n);
  for (size_t i = 0; i < n; ++i) mixed[i] = i % 2 ? 0.2 : 0.8;
  starts.push_back(mixed);
  Point best_x = from_spec;
  double best_f = best.mape;
  for (const Point& s : starts) {
    auto [x, f] = NelderMead(objective, s, o.max_evaluations, o.tolerance, &best.evaluations);
    std::tie(x, f) = NelderMead(objective, x, o.max_evaluations, o.tolerance, &best.evaluations);
    if (f < best_f) {
      best_f = f;
      best_x = x;
    }
  }
  best.efficiency = Apply(start, o, best_x);
  best.errors = Errors(prepared, best.efficiency);
  best.mape = Mape(best.errors);
  return best;
}

std::vector<HeldOutSource> LeaveOneSourceOut(const std::vector<MeasuredRun>& runs,
                                             const EfficiencySpec& start, const FitOptions& o) {
  std::vector<std::string> sources;
  for (const MeasuredRun& r : runs) {
    if (std::find(sources.begin(), sources.end(), r.source) == sources.end())
      sources.push_back(r.source);
  }
  std::vector<HeldOutSource> out;
  if (sources.size() < 2) return out;
  for (const std::string& s : sources) {
    std::vector<MeasuredRun> train, test;
    for (const MeasuredRun& r : runs) (r.source == s ? test : train).push_back(r);
    HeldOutSource h;
    h.generation = test.front().generation;
    h.source = s;
    h.runs = static_cast<int>(test.size());
    h.fit = FitEfficiency(train, start, o);
    for (const MeasuredRun& r : test) {
      h.errors.push_back(PredictStepTime(r, h.fit.efficiency) / r.measured_step_time_s - 1);
    }
    h.mape = Mape(h.errors);
    out.push_back(std::move(h));
  }
  return out;
}

}  // namespace planner
