// ParallelConfig: one training layout (DP x TP x PP x CP, EP, interleaving, micro-batching, ZeRO,
// recomputation, SP, dtype) and the checks that it fits a model and a cluster.
#ifndef PLANNER_CORE_PARALLEL_CONFIG_H_
#define PLANNER_CORE_PARALLEL_CONFIG_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "planner/core/cluster_spec.h"
#include "planner/core/enum_names.h"
#include "planner/core/flops.h"
#include "planner/core/model_spec.h"

namespace planner {

// Pipeline schedule: 1F1B (PipeDream-flush, Narayanan 2021), interleaved when vpp > 1; GPipe
// keeps all micro-batches in flight. DualPipe (DeepSeek-V3, arXiv 2412.19437 sec. 3.2.1) feeds
// micro-batches from both ends of the pipeline: each rank holds two stages (pp - 1 - s beside s),
// so twice the parameters, and pp + 1 micro-batches' activations.
enum class Schedule { kOneFOneB, kGPipe, kDualPipe };

struct ParallelConfig {
  int64_t dp = 1;
  int64_t tp = 1;
  int64_t pp = 1;
  int64_t cp = 1;
  int64_t ep = 1;   // expert parallel; experts are sharded across ep of the dp*cp ranks
  // Expert tensor parallel (Megatron-Core --expert-tensor-parallel-size; 0: the same as tp). With
  // etp != tp the MoE layers are folded onto their own grid (MoE parallel folding): etp x ep x
  // expert-dp over the tp*cp*dp ranks of a stage, so EP may take ranks that attention uses for TP.
  int64_t etp = 0;
  int64_t vpp = 1;  // virtual pipeline stages per GPU (interleaved 1F1B)
  // Layers on the first and last pipeline stage (Megatron-Core's
  // --decoder-first/last-pipeline-num-layers); 0: an even split. See pipeline_stages.h.
  int64_t first_stage_layers = 0;
  int64_t last_stage_layers = 0;
  // Virtual stages of unequal size (Megatron-Core's --pipeline-model-parallel-layout): a stage's
  // layers split over its vpp chunks as evenly as whole layers allow (each chunk at least one
  // layer, the embedding or loss counting as one on the first and last stage), instead of vpp
  // having to divide them. See pipeline_stages.h.
  bool uneven_chunks = false;
  int64_t micro_batch = 1;
  int64_t global_batch = 1;  // sequences per step
  Recompute recompute = Recompute::kNone;
  bool sp = false;  // Megatron sequence parallelism (needs tp > 1)
  // ZeRO stage: 0 none (Megatron DDP), 1 optimizer states (Megatron distributed optimizer),
  // 2 + gradients, 3 + weights (FSDP full shard).
  int zero = 0;
  // Hybrid sharding (HSDP: FSDP's HYBRID_SHARD, torchtitan's dp_shard): ZeRO shards over groups
  // of dp_shard data-parallel ranks (x cp), replicated dp / dp_shard times; gradients are
  // reduce-scattered inside a group, then all-reduced across the replicas. 0: over all of dp.
  int64_t dp_shard = 0;
  // Megatron-Core's CPU activation offloading (--cpu-offloading-num-layers): the activations of
  // this many layers go to host memory after their forward and come back for their backward,
  // over the GPU's host link, beside compute. Megatron-Core allows it only without pipelining or
  // recomputation, for fewer layers than the model's (TransformerConfig.__post_init__).
  int64_t offload_layers = 0;
  Dtype dtype = Dtype::kBf16;
  Schedule schedule = Schedule::kOneFOneB;

  int64_t gpus() const { return dp * tp * pp * cp; }
  int64_t expert_tp() const { return etp > 0 ? etp : tp; }
  // The data-parallel replicas of an expert (its gradients are reduced, its ZeRO states sharded
  // over them): tp*cp*dp / (etp*ep), which is dp*cp/ep when etp = tp.
  double expert_dp() const {
    return static_cast<double>(tp * cp * dp) / static_cast<double>(expert_tp() * ep);
  }
  int64_t grad_accum() const { return global_batch / (dp * micro_batch); }  // micro-batches
  // The data-parallel ranks of a shard group, the ranks ZeRO shards the dense states over (x cp),
  // and how many copies of each shard there are.
  int64_t dp_shard_size() const { return dp_shard > 0 ? dp_shard : dp; }
  int64_t zero_shard() const { return dp_shard_size() * cp; }
  int64_t dp_replicas() const { return dp_shard > 0 ? dp / dp_shard : 1; }
  // One GPU's part of something split as the optimizer states are (their parameters, Muon's
  // Newton-Schulz work): under ZeRO >= 1 the dense part over the shard group and the routed
  // experts' over their data-parallel replicas; without ZeRO each GPU holds it whole.
  double OptimizerShare(double dense, double expert) const {
    if (zero < 1) return dense + expert;
    return dense / static_cast<double>(zero_shard()) + expert / expert_dp();
  }
};

// Why a layout is invalid; the kinds are the search's rejection reasons.
enum class LayoutIssue {
  kGpuCount,      // dp*tp*pp*cp != GPUs
  kTpHeads,       // tp does not divide heads / kv heads
  kPpLayers,      // the layers do not split over pp stages (and vpp chunks per stage)
  kBatch,         // dp*micro_batch does not divide the global batch
  kInterleave,    // vpp > 1 needs pp > 1 and micro-batches a multiple of pp
  kCpSeq,         // cp does not divide the sequence in 2*cp chunks
  kEp,            // ep does not divide the routed experts
  kEpDp,          // ep (x etp) does not divide the ranks the experts are spread over
  kEpDense,       // ep > 1 on a dense model
  kDualPipe,      // DualPipe needs an even pp and an even number of micro-batches >= 2 pp
  kDpShard,       // dp_shard does not divide dp, or shards nothing (ZeRO 0)
  kSp,            // sequence parallelism needs tp > 1
  kDtype,         // the GPU has no peak for this dtype
  kTpSpansNodes,  // tp larger than the fastest network level
  kOffload,       // CPU offloading with pp > 1, recompute, too many layers or no host link/memory
  // The software stack cannot run the layout (StackRefuses; set by the search, not CheckLayout).
  kStackZero,        // a ZeRO stage above the stack's
  kStackZeroWithPp,  // ZeRO-2/3 with pipelining (DeepSpeed's pipeline engine refuses it)
  kStackFeature,     // CP, EP, expert TP, SP, interleaving, pipelining, selective recompute or a
                     // dtype the stack lacks
  kStackCpHeads,     // all-to-all (Ulysses) CP with heads per tp rank not divisible by cp
  kOutOfMemory,      // set by the memory model, not by CheckLayout
};
inline constexpr int kNumLayoutIssues = 20;

// The layout inputs an error can point at. Core and io name them only through this enum; the CLI
// spells them as flags (cli/layout_flags.cc), the runs reader as keys (FieldName).
enum class LayoutField {
  kNone,
  kGpus,
  kDp,
  kTp,
  kPp,
  kCp,
  kEp,
  kEtp,
  kVpp,
  kFirstStageLayers,
  kLastStageLayers,
  kUnevenChunks,
  kMicroBatch,
  kGlobalBatch,
  kRecompute,
  kSp,
  kZero,
  kDpShard,
  kOffloadLayers,
  kDtype,
  kSchedule,
};

// A setting that would fix a layout, for the example an error proposes.
struct FieldValue {
  LayoutField field;
  int64_t value;
};

struct LayoutError {
  LayoutIssue issue;
  LayoutField field;                // the input to change
  std::string message;              // names the constraint (values as "pp=12")
  std::vector<FieldValue> example = {};  // settings that would make the layout valid, if known
  std::string example_note = {};         // what the example gives, e.g. "5+6x10+5"
};

const char* FieldName(LayoutField f);  // ParallelConfig's member name: "first_stage_layers"
// The message with its example spelled by `name` (a flag or a key): "..., e.g. X 5 Y 5 (note)".
std::string WithExample(const LayoutError& e, const std::function<std::string(LayoutField)>& name);

// The first constraint the layout breaks, cheaply (no strings): the search's hot path.
std::optional<LayoutIssue> FindLayoutIssue(const ModelSpec& m, const ClusterSpec& c,
                                           const ParallelConfig& p);
// FindLayoutIssue in two parts, in its order, for a search that checks each where it varies:
// the shape checks (degrees, divisibility; not sp or dtype) once per micro-batch size, the
// device checks (sp, dtype, tp within the fast domain) per layout.
std::optional<LayoutIssue> FindShapeIssue(const ModelSpec& m, const ClusterSpec& c,
                                          const ParallelConfig& p);
// The last of the shape checks: a hybrid shard group that does not divide dp, or without ZeRO.
// The only one that depends on zero and dp_shard, which the search varies outside the others.
inline std::optional<LayoutIssue> FindShardIssue(const ParallelConfig& p) {
  if (p.dp_shard != 0 && (p.dp_shard < 0 || p.dp % p.dp_shard != 0 || p.zero == 0)) {
    return LayoutIssue::kDpShard;
  }
  return std::nullopt;
}
// Inline: the search asks once per layout.
inline int64_t FastDomain(const ClusterSpec& c) {
  return c.network.front().size > 0 ? c.network.front().size : c.total_gpus();
}
inline std::optional<LayoutIssue> FindDeviceIssue(const ClusterSpec& c, const ParallelConfig& p) {
  if (p.sp && p.tp == 1) return LayoutIssue::kSp;
  if (c.gpu.peak(p.dtype) <= 0) return LayoutIssue::kDtype;
  if (p.tp > FastDomain(c)) return LayoutIssue::kTpSpansNodes;
  return std::nullopt;
}
// The same check with the input to change and a message naming the constraint.
std::optional<LayoutError> CheckLayout(const ModelSpec& m, const ClusterSpec& c,
                                       const ParallelConfig& p);

// Sequences per step where none is given: one micro-batch per data-parallel replica without a
// pipeline (no gradient accumulation); with one, kDefaultMicroBatchesPerStage micro-batches per
// stage, so the bubble is small as published pipeline runs keep it. Korthikanti et al. 2022
// (Table 3 configurations, data-parallel size 1, micro-batch 1) ran exactly 8 per stage: 64 on
// 8 stages (175B), 280 on 35 (530B), 512 on 64 (1T); Narayanan et al. 2021 Table 1 ran 8 per
// stage for its 530B and 1T rows.
inline constexpr int64_t kDefaultMicroBatchesPerStage = 8;
int64_t DefaultGlobalBatch(const ParallelConfig& p);

const char* ToString(LayoutIssue i);  // short reason for rejection counts
inline constexpr EnumName<Schedule> kScheduleNames[] = {
    {Schedule::kOneFOneB, "1f1b"}, {Schedule::kGPipe, "gpipe"}, {Schedule::kDualPipe, "dualpipe"}};
inline const char* ToString(Schedule s) { return NameIn(kScheduleNames, s); }
std::string Describe(const ParallelConfig& p);  // "dp=8 tp=8 pp=8 mb=1 ..."

}  // namespace planner

#endif  // PLANNER_CORE_PARALLEL_CONFIG_H_
