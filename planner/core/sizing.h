// Pre-purchase (or rental) sizing for `planner size` and the cluster half of `planner compare`:
// what a training run of D tokens costs with the best layout the search finds, swept over GPU
// counts (whole nodes on a grid, or the counts asked for) per GPU type, and which row meets a deadline, fits a budget, or
// is where adding GPUs stops paying. Pure: no I/O, no exceptions.
//
// Conventions: steps = D / (global batch x seq_len), fractional (no partial-step rounding, as
// `planner explain` does); days = steps x step time / 86,400; GPU-hours = days x 24 x GPUs;
// cost = GPU-hours x the cluster's price per GPU-hour.
#ifndef PLANNER_CORE_SIZING_H_
#define PLANNER_CORE_SIZING_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "planner/core/cluster_spec.h"
#include "planner/core/model_spec.h"
#include "planner/core/parallel_config.h"
#include "planner/core/scaling_laws.h"
#include "planner/core/search.h"
#include "planner/core/stack_spec.h"

namespace planner {

// The marginal scaling efficiency below which adding GPUs "stops paying" (the knee): a doubling
// that buys less than 80% of the ideal extra throughput raises the cost per token by more than
// 1 / 0.9 (per-GPU throughput falls by more than 10%).
inline constexpr double kDefaultKneeEfficiency = 0.80;
// `planner size` sweeps up to this many GPUs unless --max-gpus says otherwise.
inline constexpr int64_t kDefaultMaxGpus = 4096;

struct RunCost {
  double steps = 0;
  double days = 0;
  double gpu_hours = 0;
  double cost_usd = 0;
};

RunCost CostOfRun(double tokens, int64_t global_batch, int64_t seq_len, double step_time_s,
                  int64_t gpus, double usd_per_gpu_hour);

// Global batch in sequences for a target in tokens: the power of two nearest (in log2) to
// tokens / seq_len, at least 1. A power of two keeps every power-of-two data-parallel degree (and
// micro-batch) a divisor, so the search can use all of them on whole-node GPU counts.
int64_t GlobalBatchForTokens(double global_batch_tokens, int64_t seq_len);

// The dtype a run trains in: bf16 where the GPU has it, else fp16 (V100).
Dtype TrainingDtype(const GpuSpec& gpu);

// The whole-node counts `planner size` tries: 1, 2, 3 and n x 2^k nodes for n in {4, 5, 6},
// i.e. 1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, ... nodes, times
// gpus_per_node, up to max_gpus (empty if one node is more). From 3 nodes on, neighbours are at
// most 4/3 apart, and
// each count's odd factor (1, 3 or 5) is one that pipeline stages or tensor groups can absorb
// while data parallelism stays a power of two, as a power-of-two global batch needs.
std::vector<int64_t> NodeGridGpuCounts(int64_t gpus_per_node, int64_t max_gpus);

// The search's threads find equally fast layouts in a timing-dependent order; asking it for this
// many plans and taking FastestPlan makes the choice reproducible.
inline constexpr int kTieCandidates = 32;

// The fastest plan; on equal step time the one needing less memory, then the lower (tp, pp, cp,
// vpp, micro-batch, zero, recompute, sp). nullptr when there is none.
const Plan* FastestPlan(const SearchResult& r);

// One GPU count of one GPU type.
struct SizingRow {
  std::string cluster;  // the cluster's name
  int64_t gpus = 0;
  bool fits = false;  // some layout fits; the numbers below are meaningful only then
  LayoutIssue top_rejection = LayoutIssue::kOutOfMemory;  // when !fits: the commonest reason
  ParallelConfig layout;
  double step_time_s = 0;
  double mfu = 0;
  double tokens_per_s_per_gpu = 0;
  RunCost run;
  // Per-GPU throughput relative to the smallest count of this GPU type where a layout fits.
  double scaling_efficiency = 0;
  // Extra throughput per extra GPU since the previous fitting count of this GPU type, relative
  // to that count's throughput per GPU: (T2 - T1) / (G2 - G1) / (T1 / G1). Absent on the first.
  std::optional<double> marginal_efficiency;
};

struct SizingRequest {
  double tokens = 0;
  int64_t global_batch = 0;  // sequences per step, fixed across GPU counts
  int64_t max_gpus = kDefaultMaxGpus;
  // The GPU counts to search, ascending, each whole nodes; empty: NodeGridGpuCounts up to
  // max_gpus. Every count given here gets a row, fitting or not.
  std::vector<int64_t> gpu_counts;
  int threads = 0;  // for Search; 0: all hardware threads
  // Wall-clock seconds for the whole sweep (0: no limit); see ClusterSizing::truncated.
  double time_limit_s = 0;
  // The software stack the layouts are priced with and restricted to (the CLI always sets it).
  std::optional<StackSpec> stack;
  // The compute dtype of every layout; unset: the GPU's 16-bit one (TrainingDtype).
  std::optional<Dtype> dtype;
};

struct ClusterSizing {
  // From the smallest count where a layout fits up to max_gpus (every count of gpu_counts when
  // the request lists them); empty when none fits.
  std::vector<SizingRow> rows;
  std::vector<int64_t> counts_too_small;  // grid counts tried before the first fit
  int64_t layouts_searched = 0;
  // The sweep hit request.time_limit_s: the last row is the best of a partial search, and the
  // larger counts were not searched.
  bool truncated = false;
};

// Called now and then with the fraction of the sweep done and the layouts searched so far.
using SizingProgress = std::function<void(double fraction, int64_t layouts)>;

// Runs the layout search at every GPU count of the request (gpu_counts, else the node grid of
// `c`) and costs a run of request.tokens with the fastest layout at each; fills the efficiencies.
ClusterSizing SizeOnCluster(const ModelSpec& m, const ClusterSpec& c, const SizingRequest& r,
                            const SizingProgress& progress = nullptr);

// Scaling and marginal efficiency of each fitting row against the earlier fitting rows of the
// same cluster (rows of one cluster in increasing GPU order; clusters may interleave).
void FillEfficiencies(std::vector<SizingRow>* rows);

struct SizingCriteria {
  std::optional<double> deadline_days;
  std::optional<double> budget_usd;
  double knee_efficiency = kDefaultKneeEfficiency;
};

// Indices into the rows given to MarkRows; only fitting rows are ever marked.
struct SizingMarks {
  std::optional<size_t> cheapest_meeting_deadline;  // min cost with days <= deadline
  std::optional<size_t> fastest_within_budget;      // min days with cost <= budget
  std::optional<size_t> cheapest_meeting_both;      // min cost meeting both (both given)
  std::optional<size_t> cheapest;                   // min cost overall: the nearest alternative
  std::optional<size_t> fastest;                    // min days overall
  // Per cluster, where adding GPUs stops paying: walking up the fitting counts from the smallest,
  // a count is reached when the extra throughput per extra GPU since the last count reached is
  // at least the knee threshold times that count's throughput per GPU; the knee is the last
  // count reached, when a larger fitting count was not. A count that dips (an awkward layout) is
  // skipped rather than ending the walk. Clusters whose largest count is reached have none.
  std::vector<size_t> knees;
  // Rows whose MFU is above the highest a published run measured on their GPU generation in
  // their precision. MarkRows leaves it empty: the CLI fills it from the validation table
  // (MarkAboveMeasuredMfu), which the core does not read.
  std::vector<size_t> above_measured_mfu;
};

// Ties go to the other measure (a cost tie to fewer days, a days tie to lower cost), then to
// the earlier row.
SizingMarks MarkRows(std::span<const SizingRow> rows, const SizingCriteria& c);

// A dense decoder shape with about `params` parameters, for sizing a compute-optimal N before a
// real architecture exists. Chinchilla 70B's proportions (Hoffmann et al. 2022 Table 4):
// d_model / n_layers = 8192 / 80 = 102.4, head_dim 128, d_ff = 4 d_model, GELU, RMSNorm, no
// biases, tied 32,000-token embeddings, 2,048-token context; rotary positions (no parameters)
// stand in for the relative ones the schema lacks. n_layers = the multiple of 8 (at least 8)
// nearest cbrt(params / (12 x 102.4^2)); d_model = the multiple of 1024 (128 below 1024: heads
// stay a multiple of 8 so tp up to 8 divides them) whose parameter count 12 L d^2 + 32,000 d is
// nearest `params` in log ratio. 70e9 gives Chinchilla's own 80 x 8192 (64.7B in this schema).
// nullopt when `params` is not finite and positive or the shape would not validate.
std::optional<ModelSpec> ChinchillaShape(double params);

// `planner size --chinchilla-budget`: what a dollar budget buys on one GPU type under Chinchilla
// approach 3, and a model shape of that N. FLOPs = budget / price x 3,600 x dense peak (the
// training dtype's) x an assumed MFU, because the real MFU depends on the layout the model shape
// does not have yet.
struct ChinchillaSizing {
  double gpu_hours = 0;
  double flops = 0;
  ComputeOptimalPoint optimum;  // approach 3's N and D for `flops`
  ModelSpec shape;              // ChinchillaShape(optimum.params)
};

// nullopt when the GPU has no price or peak, or the optimum has no valid shape.
std::optional<ChinchillaSizing> ChinchillaForBudget(double budget_usd, const ClusterSpec& c,
                                                    double mfu);

}  // namespace planner

#endif  // PLANNER_CORE_SIZING_H_
