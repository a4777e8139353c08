#include "planner/core/search.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <tuple>

#include "planner/core/cost_model.h"
#include "planner/core/pipeline_stages.h"
#include "planner/core/units.h"

namespace planner {
namespace {

// The outer loop: one (tp, pp, cp) with dp = GPUs / (tp*pp*cp); workers take these in turn.
struct Outer {
  int64_t tp, pp, cp;
  int64_t layouts_through = 0;  // layouts of this Outer and those before it (for progress)
};

struct Axes {
  std::vector<Outer> outer;
  std::vector<int64_t> ep, vpp, micro_batch;
  int64_t inner_size = 0;  // layouts per Outer and expert TP degree
  bool moe = false;
};

// The expert TP degrees tried with a TP degree (SearchSpace::etp).
std::vector<int64_t> Etps(const Axes& a, const SearchSpace& s, int64_t tp) {
  if (!s.etp.empty()) return s.etp;
  if (a.moe && tp > 1) return {0, 1};
  return {0};
}

// Whether a degree is among those the user fixed (none fixed: any).
bool Allowed(const std::vector<int64_t>& fixed, int64_t v) {
  return fixed.empty() || std::find(fixed.begin(), fixed.end(), v) != fixed.end();
}

std::vector<int64_t> AllowedDivisors(int64_t n, const std::vector<int64_t>& fixed) {
  std::vector<int64_t> out;
  for (int64_t v : Divisors(n)) {
    if (Allowed(fixed, v)) out.push_back(v);
  }
  return out;
}

// The vpp values tried for a split: the axis (divisors of the layers) for the even split; for an
// uneven one those that split its stages, the first and last possibly one layer short of whole
// chunks (pipeline_stages.h), which need not divide the layers.
std::vector<int64_t> SplitVpps(const ModelSpec& m, const SearchSpace& s, const Axes& a,
                               ParallelConfig p) {
  if (p.first_stage_layers == 0 && p.last_stage_layers == 0) return a.vpp;
  std::vector<int64_t> out;
  for (int64_t v = 1; v <= s.max_vpp; ++v) {
    p.vpp = v;
    if (Allowed(s.vpp, v) && StageLayers(m.n_layers, p).ok) out.push_back(v);
  }
  return out;
}

Axes BuildAxes(const ModelSpec& m, const ClusterSpec& c, const SearchSpace& s) {
  Axes a;
  const int64_t gpus = c.total_gpus();
  for (int64_t tp : AllowedDivisors(gpus, s.tp)) {
    for (int64_t pp : AllowedDivisors(gpus, s.pp)) {
      if (gpus % (tp * pp) != 0) continue;
      for (int64_t cp : AllowedDivisors(gpus, s.cp)) {
        if (gpus % (tp * pp * cp) != 0 || (cp > 1 && !s.allow_cp)) continue;
        a.outer.push_back({tp, pp, cp, 0});
      }
    }
  }
  a.ep = AllowedDivisors(m.is_moe() ? m.moe.n_experts : 1, s.ep);
  a.moe = m.is_moe();
  for (int64_t v : AllowedDivisors(m.n_layers, s.vpp)) {
    if (v <= s.max_vpp) a.vpp.push_back(v);
  }
  for (int64_t mb : AllowedDivisors(s.global_batch, s.micro_batch)) {
    if (mb <= s.max_micro_batch) a.micro_batch.push_back(mb);
  }
  a.inner_size =
      static_cast<int64_t>(a.ep.size() * a.vpp.size() * a.micro_batch.size() *
                           s.zero_stages.size() * s.recomputes.size() * 2 * s.dtypes.size());
  const int64_t per_vpp = a.vpp.empty() ? 0 : a.inner_size / static_cast<int64_t>(a.vpp.size());
  int64_t through = 0;
  for (Outer& o : a.outer) {
    ParallelConfig p;
    p.pp = o.pp;
    for (const auto& [first, last] : SearchedSplits(m.n_layers, o.pp, m.mtp_run())) {
      p.first_stage_layers = first;
      p.last_stage_layers = last;
      const auto vpps = static_cast<int64_t>(SplitVpps(m, s, a, p).size());
      const auto etps = static_cast<int64_t>(Etps(a, s, o.tp).size());
      through += a.vpp.empty() ? 0 : per_vpp * vpps * etps;
    }
    o.layouts_through = through;
  }
  return a;
}

// A total order (objective, then memory, then the layout) so that ties, and therefore the top K,
// do not depend on which thread found them.
bool Better(const Plan& a, const Plan& b) {
  // Consider ranks only finite objectives; were a NaN to get here, it sorts last, keeping the
  // order total (std::sort with a NaN in a `<` comparator is undefined).
  if (std::isnan(a.objective) != std::isnan(b.objective)) return std::isnan(b.objective);
  if (a.objective != b.objective && !std::isnan(a.objective)) return a.objective < b.objective;
  if (a.memory.total != b.memory.total) return a.memory.total < b.memory.total;
  const ParallelConfig &x = a.layout, &y = b.layout;
  return std::tie(x.dp, x.tp, x.pp, x.cp, x.ep, x.etp, x.vpp, x.micro_batch, x.zero, x.dp_shard,
                  x.recompute, x.sp, x.dtype, x.first_stage_layers, x.last_stage_layers,
                  x.offload_layers) < std::tie(y.dp, y.tp, y.pp, y.cp, y.ep, y.etp, y.vpp,
                                               y.micro_batch, y.zero, y.dp_shard, y.recompute, y.sp,
                                               y.dtype, y.first_stage_layers, y.last_stage_layers,
                                               y.offload_layers);
}

// Plans each worker keeps: more than top_k when equivalent layouts are to be collapsed, so that
// top_k distinct plans remain afterwards (a group rarely exceeds the few ways to trade cp and dp).
int Keep(const SearchOptions& o) { return o.collapse_equivalent ? o.top_k * 8 + 32 : o.top_k; }

bool Equivalent(const Plan& a, const Plan& b) {
  const auto near = [](double x, double y) {
    return std::fabs(x - y) <= 1e-9 * std::max(std::fabs(x), std::fabs(y));
  };
  return near(a.time.step_time_s, b.time.step_time_s) && near(a.memory.total, b.memory.total);
}

// Sorted plans in, one plan per group of equivalent ones out (the simplest, with the group's
// size), in Better order.
std::vector<Plan> Collapse(std::vector<Plan> sorted) {
  std::vector<Plan> out;
  for (Plan& p : sorted) {
    auto it = std::find_if(out.begin(), out.end(), [&](const Plan& q) { return Equivalent(q, p); });
    if (it == out.end()) {
      out.push_back(std::move(p));
      continue;
    }
    const int64_t n = it->equivalent_layouts + p.equivalent_layouts;
    if (SimplerLayout(p.layout, it->layout)) *it = std::move(p);
    it->equivalent_layouts = n;
  }
  std::sort(out.begin(), out.end(), Better);
  return out;
}

double Objective(const ClusterSpec& c, const ParallelConfig& p, double step_time_s, Objective o) {
  const double cost = step_time_s * p.gpus() * c.price_per_gpu_hour_usd / kSecondsPerHour;
  return o == Objective::kTime ? step_time_s : cost;
}

// One worker's share: its own CostModel, counters and best plans.
class Worker {
 public:
  Worker(const ModelSpec& m, const ClusterSpec& c, const SearchSpace& s, const SearchOptions& o)
      : m_(m),
        c_(c),
        s_(s),
        o_(o),
        model_(m, c, o.step),
        usable_(MemoryLimitBytes(c, s)),
        keep_(Keep(o)),
        per_micro_batch_(static_cast<int64_t>(s.recomputes.size() * s.dtypes.size() * 2)) {}

  void Run(const Axes& a, const Outer& outer) {
    ParallelConfig p;
    p.tp = outer.tp;
    p.pp = outer.pp;
    p.cp = outer.cp;
    p.dp = c_.total_gpus() / (p.tp * p.pp * p.cp);
    p.global_batch = s_.global_batch;
    // Where pp does not divide the layers, the uneven splits Megatron-Core users pick.
    for (const auto& [first, last] : SearchedSplits(m_.n_layers, p.pp, m_.mtp_run())) {
      p.first_stage_layers = first;
      p.last_stage_layers = last;
      RunSplit(a, SplitVpps(m_, s_, a, p), Etps(a, s_, p.tp), p);
    }
  }

  SearchResult& result() { return r_; }

  // Layouts are skipped (not counted) once `stop` is set or the clock passes `deadline`.
  void SetDeadline(std::chrono::steady_clock::time_point deadline, std::atomic<bool>* stop) {
    deadline_ = deadline;
    stop_ = stop;
  }

 private:
  void RunSplit(const Axes& a, const std::vector<int64_t>& vpps, const std::vector<int64_t>& etps,
                ParallelConfig p) {
    for (int64_t ep : a.ep) {
      p.ep = ep;
      for (int64_t etp : etps) {
        p.etp = etp;
        RunExpertLayout(a, vpps, p);
      }
    }
  }

  // Every layout of one (ep, etp) choice.
  void RunExpertLayout(const Axes& a, const std::vector<int64_t>& vpps, ParallelConfig p) {
    // The shape checks but the last depend on neither the ZeRO stage nor the shard group: they
    // run once per (vpp, micro-batch) here, not once per ZeRO stage below.
    shape_issues_.clear();
    p.dp_shard = 0;
    for (int64_t vpp : vpps) {
      p.vpp = vpp;
      for (int64_t mb : a.micro_batch) {
        p.micro_batch = mb;
        shape_issues_.push_back(FindShapeIssue(m_, c_, p));
      }
    }
    for (int zero : s_.zero_stages) {
      p.zero = zero;
      const int64_t hybrid = HybridShard(p);
      for (int64_t dp_shard : {int64_t{0}, hybrid}) {
        p.dp_shard = dp_shard;
        RunShardedLayout(a, vpps, p);
        if (hybrid == 0) break;
      }
    }
  }

  // Hybrid sharding the search tries beside sharding over all of dp: where the stack has it and
  // ZeRO shards something, a shard group that stays inside the fast domain (FSDP's
  // HYBRID_SHARD: shard within a node, replicate across nodes), if smaller than dp. 0: none.
  int64_t HybridShard(const ParallelConfig& p) const {
    if (!o_.stack || !o_.stack->hybrid_shard || p.zero == 0) return 0;
    if (p.dp * p.tp * p.cp <= FastDomain(c_)) return 0;  // no replica outside the domain
    const int64_t fit = FastDomain(c_) / (p.tp * p.cp);
    int64_t shard = 0;
    for (int64_t d = 1; d <= fit && d < p.dp; ++d) {
      if (p.dp % d == 0) shard = d;
    }
    return shard > 1 ? shard : 0;
  }

  // Every layout of one (ep, etp, ZeRO stage, shard group) choice.
  void RunShardedLayout(const Axes& a, const std::vector<int64_t>& vpps, ParallelConfig p) {
    const std::optional<LayoutIssue> shard_issue = FindShardIssue(p);
    auto shape_issue = shape_issues_.begin();
    for (int64_t vpp : vpps) {
      p.vpp = vpp;
      for (int64_t mb : a.micro_batch) {
        p.micro_batch = mb;
        // The shape checks do not depend on the loops below: a failure rejects them all.
        const std::optional<LayoutIssue> issue = *shape_issue++;
        if (issue || shard_issue) {
          if (Expired()) return;
          r_.configs_total += per_micro_batch_;
          r_.rejected[static_cast<int>(issue ? *issue : *shard_issue)] += per_micro_batch_;
          continue;
        }
        // Nor do the weights, gradients and optimizer states: when they alone overflow,
        // every layout below is out of memory, whatever it recomputes.
        const MemoryStates states = model_.States(p);
        for (Recompute rc : s_.recomputes) {
          p.recompute = rc;
          for (Dtype dt : s_.dtypes) {
            p.dtype = dt;
            for (bool sp : {false, true}) {
              p.sp = sp;
              Consider(p, states);
            }
          }
        }
      }
    }
  }

  // A layout that passed FindShapeIssue, with its weights, gradients and optimizer states.
  void Consider(const ParallelConfig& p, const MemoryStates& states) {
    if (Expired()) return;
    ++r_.configs_total;
    if (auto issue = FindDeviceIssue(c_, p)) {
      ++r_.rejected[static_cast<int>(*issue)];
      return;
    }
    if (o_.stack) {
      if (auto issue = StackIssue(*o_.stack, m_, p)) {
        ++r_.rejected[static_cast<int>(*issue)];
        return;
      }
    }
    ++r_.configs_evaluated;
    const double floor = states.lower_bound_bytes;
    if (floor > usable_ && r_.least_memory && floor >= r_.least_memory->memory.total) {
      ++r_.rejected[static_cast<int>(LayoutIssue::kOutOfMemory)];  // and not the least memory
      return;
    }
    const LayerCost& layer = model_.Layer(p);
    MemoryBreakdown mem = model_.Memory(p, states, layer);
    if (mem.total > usable_) {
      ConsiderOffloading(p, states, mem);
      return;
    }
    Rank(p, layer, std::move(mem));
  }

  // The cold path, out of line so that Consider stays small: a layout that does not fit, ranked
  // with CPU activation offloading where that makes it fit, else counted out of memory.
  [[gnu::noinline]] void ConsiderOffloading(const ParallelConfig& p, const MemoryStates& states,
                                            const MemoryBreakdown& mem) {
    if (std::optional<Offloaded> o = Offload(states, mem, p)) {
      Rank(o->layout, o->layer, std::move(o->memory));
      return;
    }
    ++r_.rejected[static_cast<int>(LayoutIssue::kOutOfMemory)];
    if (!r_.least_memory || mem.total < r_.least_memory->memory.total) {
      r_.least_memory = Plan{p, {}, mem, 0, 0};
    }
  }

  struct Offloaded {
    ParallelConfig layout;
    LayerCost layer;
    MemoryBreakdown memory;
  };

  // A layout that does not fit without pipelining or recompute, on a stack with CPU activation
  // offloading and a GPU with a host link: the fewest offloaded layers that make it fit (each
  // takes one layer's activations off the GPU but the one in transit), with their stalls; none
  // where the host memory cannot hold that many layers' activations.
  std::optional<Offloaded> Offload(const MemoryStates& states, const MemoryBreakdown& mem,
                                   const ParallelConfig& p) {
    if (!o_.stack || !o_.stack->cpu_offload || !c_.gpu.can_offload() || p.pp != 1 ||
        p.recompute != Recompute::kNone || mem.layer_activation_bytes <= 0) {
      return std::nullopt;
    }
    Offloaded out{p, {}, {}};
    ParallelConfig* q = &out.layout;
    LayerCost* lc = &out.layer;
    // Memory falls as layers are offloaded (the allocator's share with the activations): the
    // fewest that fit, by bisection over [1, L - 1].
    auto fits = [&](int64_t n) {
      q->offload_layers = n;
      *lc = model_.Layer(*q);
      AddOffloadStalls(m_, c_, *q, lc);
      return model_.Memory(*q, states, *lc).total <= usable_;
    };
    int64_t lo = 1, hi = m_.n_layers - 1;
    if (hi < lo || !fits(hi)) return std::nullopt;
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo) / 2;
      if (fits(mid)) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    fits(hi);
    out.memory = model_.Memory(*q, states, *lc);
    if (!HostHoldsOffload(out.memory, c_)) return std::nullopt;
    return out;
  }

  void Rank(const ParallelConfig& p, const LayerCost& layer, MemoryBreakdown&& mem) {
    ++r_.configs_feasible;
    // Both objectives grow with the step time: a layout whose compute alone ranks below the
    // worst kept plan would be dropped below after pricing, so it is dropped unpriced.
    const bool full = static_cast<int>(r_.plans.size()) >= keep_;
    if (full &&
        Objective(c_, p, model_.TimeFloor(p, layer), o_.objective) > r_.plans.front().objective) {
      return;
    }
    const StepTime t = model_.Time(p, layer);
    const double objective = Objective(c_, p, t.step_time_s, o_.objective);
    if (!std::isfinite(objective) || !std::isfinite(t.step_time_s)) return;  // never ranked
    // Worse than the worst kept plan (Better orders by objective first): no Plan to build.
    if (full && objective > r_.plans.front().objective) return;
    Plan plan{p, t, std::move(mem), Objective(c_, p, t.step_time_s, Objective::kCost), objective};
    if (full && !Better(plan, r_.plans.front())) return;
    r_.plans.push_back(std::move(plan));
    std::push_heap(r_.plans.begin(), r_.plans.end(), Worse);
    if (static_cast<int>(r_.plans.size()) > keep_) {
      std::pop_heap(r_.plans.begin(), r_.plans.end(), Worse);
      r_.plans.pop_back();
    }
  }

  // Max-heap in Better order: the worst kept plan sits at the front.
  static bool Worse(const Plan& a, const Plan& b) { return Better(a, b); }

  const ModelSpec& m_;
  const ClusterSpec& c_;
  const SearchSpace& s_;
  const SearchOptions& o_;
  CostModel model_;
  double usable_;
  int keep_;
  int64_t per_micro_batch_;  // layouts per (tp, pp, cp, split, ep, zero, vpp, micro-batch)
  // FindShapeIssue of each (vpp, micro-batch) of the current (ep, etp), in loop order.
  std::vector<std::optional<LayoutIssue>> shape_issues_;
  SearchResult r_;
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
  std::atomic<bool>* stop_ = nullptr;
  int64_t until_clock_ = 0;  // layouts until the next look at the clock

  // A layout takes about a microsecond; the clock is read every 256 of them.
  bool Expired() {
    if (stop_ == nullptr) return false;
    if (stop_->load(std::memory_order_relaxed)) return true;
    if (--until_clock_ > 0) return false;
    until_clock_ = 256;
    if (std::chrono::steady_clock::now() < deadline_) return false;
    stop_->store(true, std::memory_order_relaxed);
    return true;
  }
};

void Merge(SearchResult& from, SearchResult* into) {
  into->configs_total += from.configs_total;
  into->configs_evaluated += from.configs_evaluated;
  into->configs_feasible += from.configs_feasible;
  for (int i = 0; i < kNumLayoutIssues; ++i) into->rejected[i] += from.rejected[i];
  for (Plan& p : from.plans) into->plans.push_back(std::move(p));
  if (from.least_memory &&
      (!into->least_memory || from.least_memory->memory.total < into->least_memory->memory.total)) {
    into->least_memory = from.least_memory;
  }
}

}  // namespace

double MemoryLimitBytes(const ClusterSpec& c, const SearchSpace& s) {
  return UsableHbmBytes(c) * (1 - s.headroom_fraction) - s.headroom_bytes;
}

bool SimplerLayout(const ParallelConfig& a, const ParallelConfig& b) {
  // Expert TP as tp (etp 0) is simpler than a folded grid.
  const int64_t a_fold = a.expert_tp() != a.tp, b_fold = b.expert_tp() != b.tp;
  // Sharding over all of dp is simpler than hybrid sharding.
  const int64_t a_hybrid = a.dp_replicas() > 1, b_hybrid = b.dp_replicas() > 1;
  return std::tie(a.cp, a.pp, a.tp, a.ep, a_fold, a.vpp, a.zero, a_hybrid, a.recompute,
                  a.micro_batch, a.sp, a.dtype) < std::tie(b.cp, b.pp, b.tp, b.ep, b_fold, b.vpp,
                                                           b.zero, b_hybrid, b.recompute,
                                                           b.micro_batch, b.sp, b.dtype);
}

std::vector<int64_t> Divisors(int64_t n) {
  std::vector<int64_t> small, large;
  for (int64_t i = 1; i * i <= n; ++i) {
    if (n % i != 0) continue;
    small.push_back(i);
    if (i != n / i) large.push_back(n / i);
  }
  small.insert(small.end(), large.rbegin(), large.rend());
  return small;
}

SearchResult Search(const ModelSpec& m, const ClusterSpec& c, const SearchSpace& space,
                    const SearchOptions& options) {
  const Axes axes = BuildAxes(m, c, space);
  const int64_t total = axes.outer.empty() ? 0 : axes.outer.back().layouts_through;
  int threads =
      options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency());
  threads = std::max(1, std::min<int>(threads, static_cast<int>(axes.outer.size())));
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(std::min(options.time_limit_s, 1e9)));
  if (options.progress) options.progress(0, total);
  std::vector<SearchResult> results(threads);
  std::vector<std::thread> pool;
  auto work = [&](int id) {
    Worker w(m, c, space, options);
    if (options.time_limit_s > 0) w.SetDeadline(deadline, &stop);
    for (size_t i; !stop.load() && (i = next.fetch_add(1)) < axes.outer.size();) {
      w.Run(axes, axes.outer[i]);
      if (id == 0 && options.progress) {
        const size_t done = std::min(next.load(), axes.outer.size());
        options.progress(done > 0 ? axes.outer[done - 1].layouts_through : 0, total);
      }
    }
    results[id] = std::move(w.result());
  };
  for (int t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (std::thread& t : pool) t.join();
  SearchResult out;
  out.truncated = stop.load();
  out.configs_planned = total;
  for (SearchResult& r : results) Merge(r, &out);
  std::sort(out.plans.begin(), out.plans.end(), Better);
  // Every worker kept its best Keep(): the first Keep() of the merge are the same whatever the
  // thread count, so collapse those only.
  if (static_cast<int>(out.plans.size()) > Keep(options)) out.plans.resize(Keep(options));
  if (options.collapse_equivalent) out.plans = Collapse(std::move(out.plans));
  if (static_cast<int>(out.plans.size()) > options.top_k) out.plans.resize(options.top_k);
  if (!out.plans.empty()) out.least_memory.reset();
  return out;
}

namespace {

// The fastest of p's virtual stage candidates under its recompute mode; `fits` says whether it is
// the fastest that fits (else the fastest of all). nullopt: the stack runs none of them.
std::optional<ParallelConfig> FastestCandidate(const ModelSpec& m, const ClusterSpec& c,
                                               ParallelConfig p, const StackSpec& s,
                                               const StepTimeOptions& o, bool vary_vpp,
                                               bool* fits) {
  std::optional<ParallelConfig> best;
  double best_s = 0;
  *fits = false;
  const int64_t first = vary_vpp ? 2 : p.vpp;
  const int64_t last = vary_vpp ? SearchSpace{}.max_vpp : p.vpp;
  const bool stated_uneven = p.uneven_chunks;
  for (int64_t v = first; v <= last; ++v) {
    p.vpp = v;
    p.uneven_chunks = stated_uneven;  // a candidate refused with unequal chunks leaves none set
    std::optional<LayoutError> e = CheckLayout(m, c, p);
    if (vary_vpp && e && e->field == LayoutField::kUnevenChunks && s.uneven_chunks) {
      p.uneven_chunks = true;
      e = CheckLayout(m, c, p);
    }
    if (e || StackIssue(s, m, p)) continue;
    const double step_s = EstimateStepTime(m, c, p, o).step_time_s;
    const bool fit = EstimateMemory(m, c, p, o.memory).total <= UsableHbmBytes(c);
    if (!best || (fit && !*fits) || (fit == *fits && step_s < best_s)) {
      best = p;
      best_s = step_s;
      *fits = fit;
    }
  }
  return best;
}

}  // namespace

std::optional<ParallelConfig> TuneUnstated(const ModelSpec& m, const ClusterSpec& c,
                                           const ParallelConfig& p, const StackSpec& s,
                                           const StepTimeOptions& o, Unstated u) {
  std::vector<Recompute> modes = {p.recompute};
  // Not full: it costs a third more compute, and the sources that ran it say so. Tried as a last
  // resort where none and selective do not fit by the memory model, it put the seven such dense
  // records (NeMo 24.07 and Megatron-Bridge fp8, OPT-175B) 17-45% slow: they did not run it.
  if (u.recompute) modes = {Recompute::kNone, Recompute::kSelective};
  std::optional<ParallelConfig> fallback;
  for (Recompute mode : modes) {
    ParallelConfig q = p;
    q.recompute = mode;
    bool fits = false;
    std::optional<ParallelConfig> best = FastestCandidate(m, c, q, s, o, u.vpp, &fits);
    if (best && fits) return best;
    if (!fallback && mode == p.recompute) fallback = best;
  }
  return fallback;
}

namespace {

// The fastest of the layouts `space` holds that the stack runs with p's stated choices.
std::optional<ParallelConfig> FastestStated(const ModelSpec& m, const ClusterSpec& c,
                                            const ParallelConfig& p, const SearchSpace& space,
                                            const SearchOptions& options, UnstatedDegrees u) {
  for (const Plan& plan : Search(m, c, space, options).plans) {
    if (!u.dp && plan.layout.dp != p.dp) continue;
    if (!u.sp && plan.layout.tp > 1 && plan.layout.sp != p.sp) continue;
    ParallelConfig q = plan.layout;
    q.dp_shard = p.dp_shard;
    q.schedule = p.schedule;
    if (q.dp_shard > 0 && q.dp % q.dp_shard != 0) continue;
    return q;
  }
  return std::nullopt;
}

}  // namespace

std::optional<ParallelConfig> ChooseUnstatedDegrees(const ModelSpec& m, const ClusterSpec& c,
                                                    const ParallelConfig& p, const StackSpec& s,
                                                    const StepTimeOptions& o, UnstatedDegrees u,
                                                    bool* fits) {
  SearchSpace space;
  space.global_batch = p.global_batch;
  space.dtypes = {p.dtype};
  space.zero_stages = {p.zero};
  space.recomputes = {p.recompute};
  // Not full, as in TuneUnstated.
  if (u.recompute) space.recomputes = {Recompute::kNone, Recompute::kSelective};
  if (!u.tp) space.tp = {p.tp};
  if (!u.pp) space.pp = {p.pp};
  space.cp = {p.cp};
  space.ep = {p.ep};
  space.etp = {p.etp};
  space.vpp = {p.vpp};
  space.max_vpp = std::max(space.max_vpp, p.vpp);  // a stated count above what plan tries
  if (!u.micro_batch) space.micro_batch = {p.micro_batch};
  space.allow_cp = p.cp > 1;
  SearchOptions options;
  options.top_k = 256;  // enough to find one with a stated dp among the fastest
  options.threads = 1;
  options.step = o;
  options.stack = s;
  options.collapse_equivalent = true;
  *fits = true;
  if (auto q = FastestStated(m, c, p, space, options, u)) return q;
  // The run ran, so the memory model is what misses: the fastest layout, fitting or not.
  *fits = false;
  space.headroom_bytes = -std::numeric_limits<double>::infinity();
  return FastestStated(m, c, p, space, options, u);
}

}  // namespace planner
