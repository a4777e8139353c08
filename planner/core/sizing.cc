#include "planner/core/sizing.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <tuple>

#include "planner/core/units.h"

namespace planner {
namespace {

constexpr double kHoursPerDay = 24.0;

// Chinchilla 70B (Hoffmann et al. 2022 Table 4): 80 layers of d_model 8192.
constexpr double kChinchillaAspect = 8192.0 / 80.0;
constexpr int64_t kShapeVocab = 32000;   // Rae et al. 2021 sec. 3, as Chinchilla
constexpr int64_t kShapeSeqLen = 2048;   // Hoffmann et al. 2022
constexpr int64_t kShapeHeadDim = 128;   // Hoffmann et al. 2022 Table 4
constexpr int64_t kShapeLayerStep = 8;   // pp up to 8 divides the layers

// 12 L d^2 (attention 4 d^2 + MLP 8 d^2 per layer) + V d (tied embedding).
double ApproxParams(int64_t layers, int64_t d_model) {
  const double d = static_cast<double>(d_model);
  return 12.0 * static_cast<double>(layers) * d * d + static_cast<double>(kShapeVocab) * d;
}

// The d_model solving 12 L d^2 + V d = params.
double SolveDModel(double params, int64_t layers) {
  const double a = 12.0 * static_cast<double>(layers);
  const double v = static_cast<double>(kShapeVocab);
  return (-v + std::sqrt(v * v + 4 * a * params)) / (2 * a);
}

int64_t NearestLayers(double params) {
  const double raw = std::cbrt(params / (12.0 * kChinchillaAspect * kChinchillaAspect));
  const double steps = std::round(raw / kShapeLayerStep);
  return kShapeLayerStep * std::max<int64_t>(1, static_cast<int64_t>(steps));
}

int64_t NearestDModel(double params, int64_t layers) {
  const double d = SolveDModel(params, layers);
  const int64_t step = d >= 1024 ? 1024 : 128;
  const int64_t lo = std::max<int64_t>(step, static_cast<int64_t>(std::floor(d / step)) * step);
  const int64_t hi = lo + step;
  const auto miss = [&](int64_t x) { return std::abs(std::log(ApproxParams(layers, x) / params)); };
  return miss(hi) < miss(lo) ? hi : lo;
}

auto TieKey(const Plan& p) {
  const ParallelConfig& l = p.layout;
  return std::make_tuple(p.time.step_time_s, p.memory.total, l.tp, l.pp, l.cp, l.vpp,
                         l.micro_batch, l.zero, static_cast<int>(l.recompute), l.sp);
}

// The commonest rejection reason of a search that found nothing.
LayoutIssue TopRejection(const SearchResult& r) {
  int best = static_cast<int>(LayoutIssue::kOutOfMemory);
  for (int i = 0; i < kNumLayoutIssues; ++i) {
    if (r.rejected[i] > r.rejected[best]) best = i;
  }
  return static_cast<LayoutIssue>(best);
}

SizingRow RowFromSearch(const ClusterSpec& c, const SearchResult& s, const SizingRequest& r,
                        int64_t seq_len) {
  SizingRow row;
  row.cluster = c.name;
  row.gpus = c.total_gpus();
  const Plan* fastest = FastestPlan(s);
  if (!fastest) {
    row.top_rejection = TopRejection(s);
    return row;
  }
  const Plan& best = *fastest;
  row.fits = true;
  row.layout = best.layout;
  row.step_time_s = best.time.step_time_s;
  row.mfu = best.time.mfu;
  row.tokens_per_s_per_gpu = best.time.tokens_per_s_per_gpu;
  row.run = CostOfRun(r.tokens, r.global_batch, seq_len, row.step_time_s, row.gpus,
                      c.price_per_gpu_hour_usd);
  return row;
}

// a is better than b when it is lower on `first`, then on `second`, then earlier.
template <class First, class Second>
void KeepBest(std::optional<size_t>* best, size_t i, std::span<const SizingRow> rows, First first,
              Second second) {
  if (!*best) {
    *best = i;
    return;
  }
  const SizingRow& a = rows[i];
  const SizingRow& b = rows[**best];
  if (first(a) < first(b) || (first(a) == first(b) && second(a) < second(b))) *best = i;
}

// (T2 - T1) / (G2 - G1) / (T1 / G1): the extra throughput per extra GPU from a to b, relative to
// a's throughput per GPU.
double MarginalEfficiency(const SizingRow& a, const SizingRow& b) {
  const double t1 = a.tokens_per_s_per_gpu * static_cast<double>(a.gpus);
  const double t2 = b.tokens_per_s_per_gpu * static_cast<double>(b.gpus);
  return (t2 - t1) / static_cast<double>(b.gpus - a.gpus) / a.tokens_per_s_per_gpu;
}

void MarkKnees(std::span<const SizingRow> rows, double threshold, SizingMarks* marks) {
  std::map<std::string, size_t> reached;  // per cluster, the last count reached
  std::map<std::string, bool> passed_over;
  for (size_t i = 0; i < rows.size(); ++i) {
    const SizingRow& r = rows[i];
    if (!r.fits) continue;
    const auto it = reached.find(r.cluster);
    if (it == reached.end() ||
        (r.gpus > rows[it->second].gpus && MarginalEfficiency(rows[it->second], r) >= threshold)) {
      reached[r.cluster] = i;
      passed_over[r.cluster] = false;
    } else {
      passed_over[r.cluster] = true;
    }
  }
  for (const auto& [cluster, i] : reached) {
    if (passed_over[cluster]) marks->knees.push_back(i);
  }
  std::sort(marks->knees.begin(), marks->knees.end());
}

}  // namespace

const Plan* FastestPlan(const SearchResult& r) {
  const Plan* best = nullptr;
  for (const Plan& p : r.plans) {
    if (!best || TieKey(p) < TieKey(*best)) best = &p;
  }
  return best;
}

RunCost CostOfRun(double tokens, int64_t global_batch, int64_t seq_len, double step_time_s,
                  int64_t gpus, double usd_per_gpu_hour) {
  RunCost c;
  c.steps = tokens / (static_cast<double>(global_batch) * static_cast<double>(seq_len));
  c.days = c.steps * step_time_s / kSecondsPerDay;
  c.gpu_hours = c.days * kHoursPerDay * static_cast<double>(gpus);
  c.cost_usd = c.gpu_hours * usd_per_gpu_hour;
  return c;
}

int64_t GlobalBatchForTokens(double global_batch_tokens, int64_t seq_len) {
  const double sequences = global_batch_tokens / static_cast<double>(seq_len);
  if (!(sequences > 1)) return 1;
  const double exponent = std::min(std::round(std::log2(sequences)), 40.0);
  return int64_t{1} << static_cast<int>(exponent);
}

Dtype TrainingDtype(const GpuSpec& gpu) {
  return gpu.peak(Dtype::kBf16) > 0 ? Dtype::kBf16 : Dtype::kFp16;
}

std::vector<int64_t> NodeGridGpuCounts(int64_t gpus_per_node, int64_t max_gpus) {
  std::vector<int64_t> counts;
  if (gpus_per_node <= 0) return counts;
  const int64_t max_nodes = max_gpus / gpus_per_node;
  for (const int64_t nodes : {1, 2, 3}) {
    if (nodes <= max_nodes) counts.push_back(nodes * gpus_per_node);
  }
  for (int64_t power = 1; 4 * power <= max_nodes; power *= 2) {
    for (const int64_t n : {4, 5, 6}) {
      if (n * power <= max_nodes) counts.push_back(n * power * gpus_per_node);
    }
  }
  return counts;
}

ClusterSizing SizeOnCluster(const ModelSpec& m, const ClusterSpec& c, const SizingRequest& r,
                            const SizingProgress& progress) {
  ClusterSizing out;
  const bool listed = !r.gpu_counts.empty();
  const std::vector<int64_t> counts =
      listed ? r.gpu_counts : NodeGridGpuCounts(c.gpus_per_node, r.max_gpus);
  SearchSpace space;
  space.global_batch = r.global_batch;
  space.dtypes = {r.dtype.value_or(TrainingDtype(c.gpu))};
  SearchOptions options;
  options.top_k = kTieCandidates;
  options.threads = r.threads;
  if (r.stack) {
    options.stack = r.stack;
    options.step = StackOptions(*r.stack, c);
  }
  const double n = static_cast<double>(counts.size());
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < counts.size(); ++i) {
    if (r.time_limit_s > 0) {
      const std::chrono::duration<double> used = std::chrono::steady_clock::now() - start;
      options.time_limit_s = r.time_limit_s - used.count();
      if (options.time_limit_s <= 0) {
        out.truncated = true;
        break;
      }
    }
    ClusterSpec sized = c;
    sized.nodes = counts[i] / c.gpus_per_node;
    if (progress) {
      options.progress = [&, i](int64_t done, int64_t total) {
        const double inner = total > 0 ? static_cast<double>(done) / total : 0;
        progress((static_cast<double>(i) + inner) / n, out.layouts_searched + done);
      };
    }
    const SearchResult s = Search(m, sized, space, options);
    out.layouts_searched += s.configs_total;
    if (s.truncated) {
      out.truncated = true;
      if (s.plans.empty()) break;  // unknown whether it fits: no row
    }
    if (progress) progress(static_cast<double>(i + 1) / n, out.layouts_searched);
    if (s.plans.empty() && out.rows.empty() && !listed) {
      out.counts_too_small.push_back(counts[i]);
      continue;
    }
    out.rows.push_back(RowFromSearch(sized, s, r, m.seq_len));
    if (out.truncated) break;
  }
  FillEfficiencies(&out.rows);
  return out;
}

void FillEfficiencies(std::vector<SizingRow>* rows) {
  std::map<std::string, const SizingRow*> first, previous;
  for (SizingRow& r : *rows) {
    if (!r.fits) continue;
    const SizingRow*& base = first[r.cluster];
    const SizingRow*& prev = previous[r.cluster];
    r.scaling_efficiency = base ? r.tokens_per_s_per_gpu / base->tokens_per_s_per_gpu : 1.0;
    r.marginal_efficiency.reset();
    if (prev) r.marginal_efficiency = MarginalEfficiency(*prev, r);
    if (!base) base = &r;
    prev = &r;
  }
}

SizingMarks MarkRows(std::span<const SizingRow> rows, const SizingCriteria& c) {
  SizingMarks m;
  const auto cost = [](const SizingRow& r) { return r.run.cost_usd; };
  const auto days = [](const SizingRow& r) { return r.run.days; };
  for (size_t i = 0; i < rows.size(); ++i) {
    const SizingRow& r = rows[i];
    if (!r.fits) continue;
    KeepBest(&m.cheapest, i, rows, cost, days);
    KeepBest(&m.fastest, i, rows, days, cost);
    const bool on_time = c.deadline_days && r.run.days <= *c.deadline_days;
    const bool affordable = c.budget_usd && r.run.cost_usd <= *c.budget_usd;
    if (on_time) KeepBest(&m.cheapest_meeting_deadline, i, rows, cost, days);
    if (affordable) KeepBest(&m.fastest_within_budget, i, rows, days, cost);
    if (on_time && affordable) KeepBest(&m.cheapest_meeting_both, i, rows, cost, days);
  }
  MarkKnees(rows, c.knee_efficiency, &m);
  return m;
}

std::optional<ModelSpec> ChinchillaShape(double params) {
  if (!std::isfinite(params) || params <= 0) return std::nullopt;
  ModelSpec s;
  s.n_layers = NearestLayers(params);
  s.d_model = NearestDModel(params, s.n_layers);
  s.head_dim = kShapeHeadDim;
  s.n_heads = std::max<int64_t>(1, s.d_model / kShapeHeadDim);
  s.n_kv_heads = s.n_heads;
  s.d_ff = 4 * s.d_model;
  s.vocab_size = kShapeVocab;
  s.seq_len = kShapeSeqLen;
  s.position = Position::kRope;
  s.mlp = MlpKind::kGelu;
  s.norm = NormKind::kRmsNorm;
  s.tied_embeddings = true;
  s.name = "chinchilla-shape-" + std::to_string(s.n_layers) + "x" + std::to_string(s.d_model);
  if (Validate(s)) return std::nullopt;
  return s;
}

std::optional<ChinchillaSizing> ChinchillaForBudget(double budget_usd, const ClusterSpec& c,
                                                    double mfu) {
  const double peak_flops = c.gpu.peak(TrainingDtype(c.gpu)) * kFlopsPerTflop;
  if (!(c.price_per_gpu_hour_usd > 0) || !(peak_flops > 0) || !(mfu > 0)) return std::nullopt;
  ChinchillaSizing out;
  out.gpu_hours = GpuHoursFromUsd(budget_usd, c.price_per_gpu_hour_usd);
  out.flops = TrainingFlopsFromGpuHours(out.gpu_hours, peak_flops, mfu);
  const std::optional<ComputeOptimalPoint> p =
      OptimalForFlops(ScalingFit::kChinchillaApproach3, out.flops);
  if (!p) return std::nullopt;
  out.optimum = *p;
  std::optional<ModelSpec> shape = ChinchillaShape(p->params);
  if (!shape) return std::nullopt;
  out.shape = std::move(*shape);
  return out;
}

}  // namespace planner
