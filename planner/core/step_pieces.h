// The analytic step time taken apart into the pieces a simulator schedules: per layer and per
// pipeline stage, compute split into forward, input gradient and weight gradient, and every
// collective as its own duration. Everything comes from the analytic model's public cost functions
// (ComputeLayerCost, EstimateStepTime, CollectiveSeconds, ParamsOnStage), so the simulator and the
// analytic estimate share one source of truth; tests/sim/step_graph_test.cc checks that the pieces
// add back up to the analytic per-micro-batch terms.
#ifndef PLANNER_CORE_STEP_PIECES_H_
#define PLANNER_CORE_STEP_PIECES_H_

#include <vector>

#include "planner/core/cluster_spec.h"
#include "planner/core/collectives.h"
#include "planner/core/memory.h"
#include "planner/core/model_spec.h"
#include "planner/core/parallel_config.h"
#include "planner/core/step_time.h"

namespace planner {

// One transformer layer, one micro-batch, one GPU (seconds, bytes).
struct LayerPieces {
  double forward_s = 0;               // all forward compute
  double attention_fwd_s = 0;         // the part of forward_s the CP ring exchange can hide behind
  double backward_input_s = 0;        // input gradient: dgrad GEMMs, attention core, element-wise
  double attention_bwd_s = 0;         // the part of backward_input_s the CP ring can hide behind
  double backward_weight_s = 0;       // weight-gradient GEMMs
  double recompute_s = 0;             // forward work repeated before backward
  double tp_fwd_s = 0;                // TP/SP collectives in forward (synchronous in Megatron)
  double tp_bwd_s = 0;                // TP collectives in backward that the analytic model exposes
  double tp_bwd_overlap_s = 0;        // TP collectives that run beside the weight-gradient GEMMs
  double tp_recompute_s = 0;          // the forward's collectives again under full recompute
  double cp_fwd_s = 0, cp_bwd_s = 0;  // ring K/V exchange (whole ring)
  double ep_fwd_s = 0, ep_bwd_s = 0;  // expert all-to-all: dispatch + combine
  double activation_bytes = 0;        // stored for backward under the layout's recompute mode
};

// One GPU of one pipeline stage.
struct StagePieces {
  LayerPieces layer;
  double layers = 0;  // layers on the stage (all of its virtual chunks)
  // The LM head and loss (last stage only): forward, input gradient, weight gradient.
  double head_fwd_s = 0, head_bwd_input_s = 0, head_bwd_weight_s = 0;
  // Per micro-batch, what the analytic model leaves exposed of CP, PP and ZeRO-3 traffic.
  double cp_exposed_s = 0, pp_exposed_s = 0, zero3_exposed_s = 0;
  double p2p_s = 0;  // one activation (or gradient) transfer of one chunk to the next stage
  // ZeRO-3: one layer's parameters gathered (each pass) and gradients reduce-scattered, and the
  // same for the stage's parameters outside its layers (embeddings, head, final norm).
  // The backward gathers the layer once more, or twice where full recompute's forward gathers it
  // again (StepTimeOptions::zero3_recompute_regathers).
  double zero3_gather_s = 0, zero3_scatter_s = 0, zero3_backward_gather_s = 0;
  double zero3_extra_gather_s = 0, zero3_extra_scatter_s = 0;
  // Data-parallel gradients, once per step: one layer's bucket (all-reduce, or reduce-scatter
  // under ZeRO-1/2), the stage's non-layer parameters, the ZeRO-1/2 parameter all-gather after the
  // optimizer, the whole stage as one collective, and what of it the analytic model exposes.
  double dp_layer_s = 0, dp_extra_s = 0, dp_gather_s = 0, dp_step_s = 0, dp_exposed_s = 0;
  double optimizer_s = 0;
  double per_step_s = 0;  // work done once per step (fp8 weight casts cached across micro-batches)

  // Compute and synchronous communication of one micro-batch as the analytic model counts it.
  double MicrobatchSeconds() const;
};

struct StepPieces {
  StepTime analytic;  // EstimateStepTime of the same layout and options
  LayerCost layer_cost;
  // Per stage with its real costs: the first without the LM head, the last with it.
  std::vector<StagePieces> stages;
  // What the analytic model assumes of every stage: the slowest stage's micro-batch time,
  // with the head and loss spread over the layers, and its DP and optimizer time.
  StagePieces uniform;
  bool zero3_prefetch = true;  // the stack gathers the next layer beside this one's compute
};

StepPieces ComputeStepPieces(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p,
                             const StepTimeOptions& o);

// A collective of the data-parallel (x CP) group over `dense` and `expert` parameters of one GPU,
// `bytes_per_param` each: experts are replicated over p.expert_dp() ranks, every (etp*ep)-th
// (dp*cp/ep ranks, every (tp*ep)-th, when etp = tp). Under hybrid sharding (p.dp_shard) the
// dense all-gathers and reduce-scatters span a shard group and a reduce-scatter adds the
// all-reduce of its shard across the p.dp_replicas() groups.
double DpCollectiveSeconds(const ClusterSpec& c, const ParallelConfig& p, Collective op,
                           double dense, double expert, double bytes_per_param);
// ZeRO-3's traffic of one micro-batch on a stage of `layers` layers: every pass's gathers and the
// reduce-scatter, one call per layer (or parameter tensor) each, their seconds (the bytes as one
// collective, every further call's latency, every call's host work) and the host work among
// them. A stage kept gathered (zero3_with_pp: gathered) gathers and reduce-scatters once per
// step, spread over the micro-batches so that the same overlap rule applies.
struct Zero3Traffic {
  double seconds = 0, calls = 0, host_s = 0;
};
Zero3Traffic Zero3PerMicrobatch(const ClusterSpec& c, const ParallelConfig& p,
                                const StageParams& sp, const StepTimeOptions& o, double layers);
// The data-parallel gradient reduction under ZeRO 0-2: ZeRO-0 all-reduces, ZeRO-1/2 reduce-
// scatter, o.grad_comm_bytes per parameter; a bf16 layout under ZeRO 0-1 on a stack that reduces
// fp32 gradients (o.bf16_fp32_all_reduce) all-reduces 4 bytes per parameter.
struct GradReduce {
  Collective op;
  double bytes_per_param;
};
GradReduce DpGradReduce(const ParallelConfig& p, const StepTimeOptions& o);
// Local optimizer parameters of a stage (sharded under ZeRO >= 1), as the optimizer step reads.
double OptimizerParams(const ParallelConfig& p, const StageParams& sp);

}  // namespace planner

#endif  // PLANNER_CORE_STEP_PIECES_H_
