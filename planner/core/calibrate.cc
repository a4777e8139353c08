#include "planner/core/calibrate.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace planner::calib {
namespace {

struct XY {
  double x = 0.0;
  double y = 0.0;
};

struct Line {
  double a = 0.0;  // intercept
  double b = 0.0;  // slope
  bool a_clamped = false;
  bool b_clamped = false;
};

double Weight(const XY& p, Weighting w) {
  return w == Weighting::kRelative ? 1.0 / (p.y * p.y) : 1.0;
}

size_t DistinctX(const std::vector<XY>& pts) {
  size_t distinct = 0;
  for (size_t i = 0; i < pts.size(); ++i) {
    if (i == 0 || pts[i].x != pts[i - 1].x) ++distinct;
  }
  return distinct;
}

// Weighted least squares for y = a + b x on sorted points, with a, b >= 0. x and y are scaled to
// order one first so that bytes (1e9) and seconds (1e-6) do not cost precision.
std::optional<Line> FitLine(const std::vector<XY>& pts, Weighting weighting) {
  if (DistinctX(pts) < 2) return std::nullopt;
  const double xs = pts.back().x > 0.0 ? pts.back().x : 1.0;
  double ys = 0.0;
  for (const XY& p : pts) ys = std::max(ys, p.y);
  double w = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const XY& p : pts) {
    const double wi = Weight(p, weighting) * ys * ys;
    const double x = p.x / xs, y = p.y / ys;
    w += wi;
    sx += wi * x;
    sy += wi * y;
    sxx += wi * x * x;
    sxy += wi * x * y;
  }
  Line line;
  const double det = w * sxx - sx * sx;
  line.b = det > 0.0 ? (w * sxy - sx * sy) / det : 0.0;
  line.a = (sy - line.b * sx) / w;
  if (line.a < 0.0) {  // a line through the origin
    line = {0.0, sxy / sxx, true, false};
  }
  if (line.b < 0.0) {  // a constant
    line = {sy / w, 0.0, line.a_clamped, true};
  }
  line.a *= ys;
  line.b *= ys / xs;
  return line;
}

// Alternates over distinct sizes, so repeated samples of one size (out-of-place and in-place,
// or repeated runs) are all fitted or all held out.
void SplitAlternate(const std::vector<XY>& sorted, bool hold_out, std::vector<XY>& train,
                    std::vector<bool>& held) {
  held.assign(sorted.size(), false);
  size_t distinct = 0;
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (i > 0 && sorted[i].x != sorted[i - 1].x) ++distinct;
    held[i] = hold_out && distinct % 2 == 1;
    if (!held[i]) train.push_back(sorted[i]);
  }
}

// Fills mean errors from the points' rel_error and held_out flags.
void Summarise(FitQuality& q) {
  double train_sum = 0.0, held_sum = 0.0;
  for (const PointError& p : q.points) {
    const double e = std::fabs(p.rel_error);
    if (p.held_out) {
      held_sum += e;
      ++q.n_heldout;
      q.heldout_max_abs_rel_error = std::max(q.heldout_max_abs_rel_error, e);
    } else {
      train_sum += e;
      ++q.n_train;
    }
  }
  q.train_mape = q.n_train ? train_sum / q.n_train : 0.0;
  q.heldout_mape = q.n_heldout ? held_sum / q.n_heldout : 0.0;
}

// Weighted squared residuals of a line over pts[begin, end).
double Cost(const std::vector<XY>& pts, size_t begin, size_t end, Weighting weighting) {
  const std::vector<XY> part(pts.begin() + begin, pts.begin() + end);
  const auto line = FitLine(part, weighting);
  if (!line) return std::numeric_limits<double>::infinity();
  double cost = 0.0;
  for (const XY& p : part) {
    const double r = line->a + line->b * p.x - p.y;
    cost += Weight(p, weighting) * r * r;
  }
  return cost;
}

// Start index of each run of equal x in sorted points, plus pts.size() at the end.
std::vector<size_t> Blocks(const std::vector<XY>& pts) {
  std::vector<size_t> starts;
  for (size_t i = 0; i < pts.size(); ++i) {
    if (i == 0 || pts[i].x != pts[i - 1].x) starts.push_back(i);
  }
  starts.push_back(pts.size());
  return starts;
}

// Splits sorted points into `segments` runs of at least two distinct x that minimise the summed
// cost (dynamic programming over block boundaries). Returns the start index of each run.
std::vector<size_t> SplitSegments(const std::vector<XY>& pts, int segments, Weighting weighting) {
  const std::vector<size_t> blocks = Blocks(pts);
  const size_t m = blocks.size() - 1;  // distinct x
  const size_t k_max = std::min<size_t>(std::max(segments, 1), m / 2);
  const double inf = std::numeric_limits<double>::infinity();
  // best[k][j]: cost of k runs over blocks [0, j); from[k][j]: where the last run starts.
  std::vector<std::vector<double>> best(k_max + 1, std::vector<double>(m + 1, inf));
  std::vector<std::vector<size_t>> from(k_max + 1, std::vector<size_t>(m + 1, 0));
  best[0][0] = 0.0;
  for (size_t k = 1; k <= k_max; ++k) {
    for (size_t j = 2; j <= m; ++j) {
      for (size_t i = 0; i + 2 <= j; ++i) {
        if (best[k - 1][i] == inf) continue;
        const double c = best[k - 1][i] + Cost(pts, blocks[i], blocks[j], weighting);
        if (c < best[k][j]) {
          best[k][j] = c;
          from[k][j] = i;
        }
      }
    }
  }
  std::vector<size_t> starts(k_max);
  for (size_t k = k_max, j = m; k > 0; j = from[k][j], --k) starts[k - 1] = blocks[from[k][j]];
  return starts;
}

std::vector<XY> SortedUsable(std::vector<XY> pts) {
  std::erase_if(pts, [](const XY& p) { return !(p.x > 0.0) || !(p.y > 0.0); });
  std::sort(pts.begin(), pts.end(), [](const XY& l, const XY& r) { return l.x < r.x; });
  return pts;
}

bool SameGroup(const CommSample& a, const CommSample& b) {
  return a.collective == b.collective && a.nranks == b.nranks && a.level == b.level;
}

// Fits each run of the (bus-byte) training points; boundaries fall midway (geometrically)
// between the last size of one run and the first of the next, in algorithm bytes.
bool FitSegments(const std::vector<XY>& train, double factor, const FitOptions& options,
                 AlphaBetaFit& fit) {
  const std::vector<size_t> starts = SplitSegments(train, options.max_segments, options.weighting);
  if (starts.empty()) return false;
  for (size_t s = 0; s < starts.size(); ++s) {
    const size_t end = s + 1 < starts.size() ? starts[s + 1] : train.size();
    const auto line = FitLine({train.begin() + starts[s], train.begin() + end}, options.weighting);
    if (!line) return false;
    const double upper = end < train.size() ? std::sqrt(train[end - 1].x * train[end].x) / factor
                                            : std::numeric_limits<double>::infinity();
    fit.segments.push_back({upper, line->a, line->b});
    fit.alpha_clamped = fit.alpha_clamped || line->a_clamped;
    fit.beta_clamped = fit.beta_clamped || line->b_clamped;
  }
  fit.alpha_s = fit.segments.back().alpha_s;
  fit.beta_s_per_byte = fit.segments.back().beta_s_per_byte;
  return true;
}

}  // namespace

double AlphaBetaFit::busbw_GBps() const {
  return beta_s_per_byte > 0.0 ? 1.0 / beta_s_per_byte / 1e9
                               : std::numeric_limits<double>::infinity();
}

double PredictSeconds(const AlphaBetaFit& fit, double bytes) {
  double alpha = fit.alpha_s, beta = fit.beta_s_per_byte;
  for (const AlphaBetaSegment& s : fit.segments) {
    if (bytes <= s.max_bytes) {
      alpha = s.alpha_s;
      beta = s.beta_s_per_byte;
      break;
    }
  }
  return alpha + beta * bytes * BusFactor(fit.collective, fit.nranks);
}

std::optional<AlphaBetaFit> FitAlphaBeta(const std::vector<CommSample>& group,
                                         const FitOptions& options) {
  if (group.empty()) return std::nullopt;
  const CommSample& first = group.front();
  const double factor = BusFactor(first.collective, first.nranks);
  if (!(factor > 0.0)) return std::nullopt;  // one rank: nothing crosses a link
  std::vector<XY> pts;
  for (const CommSample& s : group) {
    if (SameGroup(s, first)) pts.push_back({s.bytes, s.time_s});
  }
  const std::vector<XY> sorted = SortedUsable(pts);
  std::vector<XY> train;
  std::vector<bool> held;
  SplitAlternate(sorted, options.hold_out_alternate, train, held);
  for (XY& p : train) p.x *= factor;
  AlphaBetaFit fit;
  fit.collective = first.collective;
  fit.level = first.level;
  fit.nranks = first.nranks;
  if (!FitSegments(train, factor, options, fit)) return std::nullopt;
  for (size_t i = 0; i < sorted.size(); ++i) {
    const double predicted = PredictSeconds(fit, sorted[i].x);
    fit.quality.points.push_back(
        {sorted[i].x, sorted[i].y, predicted, predicted / sorted[i].y - 1.0, held[i]});
  }
  Summarise(fit.quality);
  return fit;
}

std::vector<AlphaBetaFit> FitAllAlphaBeta(const std::vector<CommSample>& samples,
                                          const FitOptions& options) {
  std::vector<std::vector<CommSample>> groups;
  for (const CommSample& s : samples) {
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const auto& g) { return SameGroup(g.front(), s); });
    if (it == groups.end()) {
      groups.push_back({s});
    } else {
      it->push_back(s);
    }
  }
  std::vector<AlphaBetaFit> fits;
  for (const auto& g : groups) {
    if (auto fit = FitAlphaBeta(g, options)) fits.push_back(std::move(*fit));
  }
  return fits;
}

std::optional<std::string> FindFitProblem(const AlphaBetaFit& fit,
                                          std::optional<double> heldout_mape,
                                          double datasheet_GBps, const FitLimits& limits) {
  char what[160];
  std::snprintf(what, sizeof what, "%s on %s, %d ranks: ", ToString(fit.collective),
                fit.level.empty() ? "(no level)" : fit.level.c_str(), fit.nranks);
  char why[400];
  if (heldout_mape && *heldout_mape > limits.max_heldout_mape) {
    std::snprintf(why, sizeof why,
                  "held-out error %.1f%% exceeds the %.0f%% limit: the line does not predict the "
                  "sizes it did not see (measure more iterations, or fit one regime: a narrower "
                  "size range or more segments)",
                  *heldout_mape * 100, limits.max_heldout_mape * 100);
    return what + std::string(why);
  }
  const double busbw = fit.busbw_GBps();
  if (datasheet_GBps > 0 && std::isfinite(busbw)) {
    const double fraction = busbw / datasheet_GBps;
    if (fraction < limits.min_bw_fraction || fraction > limits.max_bw_fraction) {
      std::snprintf(why, sizeof why,
                    "fitted bus bandwidth %.3g GB/s is %.3g%% of the level's datasheet %.4g GB/s "
                    "(plausible: %.0f%% to %.0f%%): the ranks measured were not on this level, "
                    "or the cluster is not the machine measured (name the level the ranks spanned)",
                    busbw, fraction * 100, datasheet_GBps, limits.min_bw_fraction * 100,
                    limits.max_bw_fraction * 100);
      return what + std::string(why);
    }
  }
  return std::nullopt;
}

double PredictEfficiency(const GemmEfficiencyFit& fit, double flops) {
  if (!(flops > 0.0)) return 0.0;
  return fit.eff_max * flops / (flops + fit.flops_half);
}

std::optional<GemmEfficiencyFit> FitGemmEfficiency(const std::vector<GemmSample>& samples,
                                                   double peak_flops_per_s,
                                                   const FitOptions& options) {
  if (!(peak_flops_per_s > 0.0)) return std::nullopt;
  std::vector<XY> pts;
  for (const GemmSample& s : samples) pts.push_back({2.0 * s.m * s.n * s.k, s.time_s});
  const std::vector<XY> sorted = SortedUsable(pts);
  std::vector<XY> train;
  std::vector<bool> held;
  SplitAlternate(sorted, options.hold_out_alternate, train, held);
  const auto line = FitLine(train, options.weighting);
  if (!line || !(line->b > 0.0)) return std::nullopt;  // time must grow with work
  GemmEfficiencyFit fit;
  fit.peak_flops_per_s = peak_flops_per_s;
  fit.overhead_s = line->a;
  fit.eff_max = 1.0 / (line->b * peak_flops_per_s);
  fit.flops_half = line->a / line->b;
  for (size_t i = 0; i < sorted.size(); ++i) {
    const double measured = sorted[i].x / (peak_flops_per_s * sorted[i].y);
    const double predicted = PredictEfficiency(fit, sorted[i].x);
    fit.quality.points.push_back(
        {sorted[i].x, measured, predicted, predicted / measured - 1.0, held[i]});
  }
  Summarise(fit.quality);
  return fit;
}

}  // namespace planner::calib
