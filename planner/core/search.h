// Layout search: enumerate every (tp, pp, cp, dp, ep, vpp, micro-batch, ZeRO, recompute, SP,
// dtype) for a GPU count and global batch, reject what does not divide or fit (counting reasons),
// evaluate the rest on all cores with a shared CostModel per thread, and rank.
#ifndef PLANNER_CORE_SEARCH_H_
#define PLANNER_CORE_SEARCH_H_

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "planner/core/cluster_spec.h"
#include "planner/core/memory.h"
#include "planner/core/model_spec.h"
#include "planner/core/parallel_config.h"
#include "planner/core/stack_spec.h"
#include "planner/core/step_time.h"

namespace planner {

enum class Objective { kTime, kCost };

struct SearchSpace {
  int64_t global_batch = 1;                 // sequences per step
  std::vector<Dtype> dtypes = {Dtype::kBf16};
  std::vector<int> zero_stages = {0, 1, 2, 3};
  std::vector<Recompute> recomputes = {Recompute::kNone, Recompute::kSelective, Recompute::kFull};
  int64_t max_micro_batch = 1 << 20;
  int64_t max_vpp = 16;
  bool allow_cp = true;
  // Degrees the user fixed (`plan --tp 4,8`): only these are enumerated; empty: every divisor.
  std::vector<int64_t> tp, pp, cp, ep, vpp, micro_batch;
  // Expert TP degrees (`plan --etp 1`; 0: the same as tp). Empty: for a MoE model with tp > 1,
  // both 0 and 1 (Megatron-Core's MoE parallel folding); otherwise 0.
  std::vector<int64_t> etp;
  // Memory kept free on every GPU: a layout fits when its total is at most
  // UsableHbmBytes * (1 - headroom_fraction) - headroom_bytes.
  double headroom_fraction = 0;
  double headroom_bytes = 0;
};

// The per-GPU memory a layout may use in this search.
double MemoryLimitBytes(const ClusterSpec& c, const SearchSpace& s);

struct SearchOptions {
  int top_k = 10;
  Objective objective = Objective::kTime;
  int threads = 0;  // 0: all hardware threads
  StepTimeOptions step;  // from the stack (StackOptions)
  // Layouts the stack cannot run are rejected with a named reason; nullopt: no stack rules.
  std::optional<StackSpec> stack;
  // Called from one worker now and then with (raw layouts handled, raw layouts total), and once
  // with (0, total) before the search starts, so the caller can say up front how big it is.
  std::function<void(int64_t, int64_t)> progress;
  // Wall-clock seconds the search may take (0: no limit). Past it the workers stop, and the
  // result holds the best plans among the layouts considered so far, with `truncated` set.
  double time_limit_s = 0;
  // Layouts with the same step time and memory (to 1e-9 relative; e.g. dp 16 cp 2 and dp 32
  // cp 1 when the ring attention hides behind compute) become one plan: the simplest of them
  // (SimplerLayout), which counts how many it stands for.
  bool collapse_equivalent = false;
};

struct Plan {
  ParallelConfig layout;
  StepTime time;
  MemoryBreakdown memory;
  double cost_per_step_usd = 0;
  double objective = 0;  // what the ranking sorts by (seconds or dollars per step)
  int64_t equivalent_layouts = 1;  // itself and those collapsed into it
};

// The order in which equivalent layouts are preferred: fewer GPUs in context, pipeline, tensor
// and expert parallelism (cp first: the least common), no interleaving, a lower ZeRO stage, less
// recomputation, then the smaller micro-batch.
bool SimplerLayout(const ParallelConfig& a, const ParallelConfig& b);

struct SearchResult {
  std::vector<Plan> plans;  // best first, at most top_k
  int64_t configs_total = 0;      // every combination of the flags' values
  int64_t configs_evaluated = 0;  // passed the divisibility checks and the memory bound
  int64_t configs_feasible = 0;   // fit in memory
  std::array<int64_t, kNumLayoutIssues> rejected{};  // by LayoutIssue
  // Stopped at options.time_limit_s: configs_total of configs_planned layouts were considered.
  bool truncated = false;
  int64_t configs_planned = 0;
  // The valid layout that needs the least memory, when nothing fits.
  std::optional<Plan> least_memory;
};

SearchResult Search(const ModelSpec& m, const ClusterSpec& c, const SearchSpace& space,
                    const SearchOptions& options);

// Divisors of n in increasing order.
std::vector<int64_t> Divisors(int64_t n);

// What a published run's layout leaves unstated, to be chosen as a tuned run would have it.
struct Unstated {
  bool recompute = false;  // none, or selective where none does not fit
  // The fastest virtual stage count in 2..SearchSpace's max_vpp that fits, among those the
  // stages divide into (or, where the stack takes a pipeline layout, split unevenly).
  bool vpp = false;
};

// p with the unstated choices made: the least recompute under which some candidate fits, and the
// fastest fitting candidate under it; when none fits, the fastest under p's own recompute (the
// report then says it does not fit). nullopt: no candidate the stack runs (vpp > 1 only).
std::optional<ParallelConfig> TuneUnstated(const ModelSpec& m, const ClusterSpec& c,
                                           const ParallelConfig& p, const StackSpec& s,
                                           const StepTimeOptions& o, Unstated u);

// A published run that leaves its tensor or pipeline degree unstated (and with it perhaps dp,
// the micro-batch, recompute).
struct UnstatedDegrees {
  bool tp = false;
  bool pp = false;
  bool dp = false;
  bool micro_batch = false;
  bool recompute = false;  // none or selective, as TuneUnstated
  bool sp = false;
};

// p with the unstated degrees chosen as a tuned run would have them: the fastest layout the stack
// runs that fits, every stated choice (dp, cp, ep, vpp, ZeRO, dtype, sp, and micro-batch and
// recompute where stated) kept; where none fits (*fits false), the fastest that does not.
// nullopt: the stack runs no layout with the stated choices.
std::optional<ParallelConfig> ChooseUnstatedDegrees(const ModelSpec& m, const ClusterSpec& c,
                                                    const ParallelConfig& p, const StackSpec& s,
                                                    const StepTimeOptions& o, UnstatedDegrees u,
                                                    bool* fits);

}  // namespace planner

#endif  // PLANNER_CORE_SEARCH_H_
