// Expert-parallel cost of a MoE layer: the dispatch and combine all-to-all (placed on the network
// levels the EP group spans, with node-limited routing's de-duplicated scale-out traffic), the
// part of it left exposed beside compute, and what overlapping it costs the compute (the SMs the
// communication kernels occupy). Called from step_time.cc for layouts with ep > 1.
#ifndef PLANNER_CORE_MOE_COST_H_
#define PLANNER_CORE_MOE_COST_H_

#include <cstdint>

#include "planner/core/cluster_spec.h"
#include "planner/core/model_spec.h"
#include "planner/core/parallel_config.h"
#include "planner/core/step_time.h"

namespace planner {

// One MoE layer, one micro-batch on one GPU: dispatch and combine, forward and backward.
struct MoeAllToAll {
  double seconds = 0;         // the four all-to-alls, as the busiest rank sees them
  double scaleout_bytes = 0;  // bytes one GPU sends across the scale-out network
  double domain_bytes = 0;    // bytes one GPU sends or forwards inside its NVLink domain
};

// `tokens`: tokens of the micro-batch on this GPU; `stride`: rank distance between EP members.
//
// Without node-limited routing every routed copy of a token goes straight to its expert's GPU
// (Megatron-Core's all-to-all dispatcher), priced as the cluster's all-to-all on the slowest level
// the group spans. With a dispatcher that de-duplicates per node (o.a2a_node_dedup: DeepSeek's
// kernels, DeepEP, HybridEP) a token crosses the scale-out network once per target node, to the
// GPU of the same in-node index, which forwards it over NVLink to the GPUs holding its experts;
// the two hops are pipelined ("fully overlapped"), so the slower one paces. The target nodes are
// the moe.max_nodes_per_token its routing allows (DeepSeek-V3 sec. 3.2.2: at most 4), or, without
// that limit, the distinct nodes its top_k experts fall on. The busiest rank receives
// moe.load_imbalance times the mean.
MoeAllToAll MoeAllToAllCost(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p,
                            const StepTimeOptions& o, double tokens, int64_t stride);

// What a micro-batch's `a2a_s` seconds of all-to-all add to a stage whose micro-batch computes
// `compute_s` seconds. Not overlapped: all of it. Overlapped (one micro-batch's dispatch and
// combine beside another's compute: DeepEP, DualPipe, Megatron-Core's EP overlap), the
// communication kernels keep o.a2a_sm_fraction f of the SMs while they run (DeepSeek-V3: 20 of
// the H800's 132), so compute loses f x a2a_s of progress; the stage takes
// max(compute + f a2a, a2a), of which max(f a2a, a2a - compute) is the all-to-all's.
double ExposedAllToAllSeconds(const StepTimeOptions& o, double a2a_s, double compute_s);

// DualPipe's pipeline bubble: (pp/2 - 1)(F + B - 2W), with F + B a micro-batch's forward and
// full backward on one stage (`chunk_s`, with what communication stays exposed) and W the weight-
// gradient part of B. This is what the simulator gives for the reference schedule
// (deepseek-ai/DualPipe) without overlap (tests/sim/dualpipe_test.cc). The report's Table 2
// writes (pp/2 - 1)(F&B + B - 3W) with F&B a forward and a backward chunk run together; read with
// F&B = F + B it is larger by (pp/2 - 1)(B - W), an input-gradient pass per half-pipeline step
// that the reference schedule fills. 1F1B's bubble is (pp - 1)(F + B). Never negative.
double DualPipeBubbleSeconds(int64_t pp, double chunk_s, double w_s);

}  // namespace planner

#endif  // PLANNER_CORE_MOE_COST_H_
