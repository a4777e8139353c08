#include "planner/core/calibrate.h"

#include <algorithm>
#include <cmath>
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

constexpr std::string_view kNames[] = {"all_reduce", "reduce_scatter", "all_gather", "broadcast",
                                       "reduce",     "all_to_all",     "sendrecv"};

double Weight(const XY& p, Weighting w) { return w == Weighting::kRelative ? 1.0 / (p.y * p.y) : 1.0; }

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

void SplitAlternate(const std::vector<XY>& sorted, bool hold_out, std::vector<XY>& train,
                    std::vector<bool>& held) {
  held.assign(sorted.size(), false);
  for (size_t i = 0; i < sorted.size(); ++i) {
    held[i] = hold_out && i % 2 == 1;
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

std::vector<XY> SortedUsable(std::vector<XY> pts) {
  std::erase_if(pts, [](const XY& p) { return !(p.x > 0.0) || !(p.y > 0.0); });
  std::sort(pts.begin(), pts.end(), [](const XY& l, const XY& r) { return l.x < r.x; });
  return pts;
}

bool SameGroup(const CommSample& a, const CommSample& b) {
  return a.collective == b.collective && a.nranks == b.nranks && a.level == b.level;
}

}  // namespace

std::optional<Collective> ParseCollective(std::string_view name) {
  for (size_t i = 0; i < std::size(kNames); ++i) {
    if (kNames[i] == name) return static_cast<Collective>(i);
  }
  return std::nullopt;
}

const char* ToString(Collective c) { return kNames[static_cast<size_t>(c)].data(); }

double BusFactor(Collective c, int nranks) {
  if (nranks < 1) return 0.0;
  const double n = nranks;
  switch (c) {
    case Collective::kAllReduce: return 2.0 * (n - 1.0) / n;
    case Collective::kReduceScatter:
    case Collective::kAllGather:
    case Collective::kAllToAll: return (n - 1.0) / n;
    case Collective::kBroadcast:
    case Collective::kReduce:
    case Collective::kSendRecv: return 1.0;
  }
  return 1.0;
}

double AlphaBetaFit::busbw_GBps() const {
  return beta_s_per_byte > 0.0 ? 1.0 / beta_s_per_byte / 1e9
                               : std::numeric_limits<double>::infinity();
}

double PredictSeconds(const AlphaBetaFit& fit, double bytes) {
  return fit.alpha_s + fit.beta_s_per_byte * bytes * BusFactor(fit.collective, fit.nranks);
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
  const auto line = FitLine(train, options.weighting);
  if (!line) return std::nullopt;
  AlphaBetaFit fit{first.collective, first.level, first.nranks, line->a, line->b,
                   line->a_clamped, line->b_clamped, {}};
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
