// How a layout's pipeline stages divide the transformer layers. Stages may be uneven as
// Megatron-Core allows (--decoder-first-pipeline-num-layers, --decoder-last-pipeline-num-layers):
// the first and last stage get the stated counts and the remaining layers are split evenly over
// the stages between. BLOOM 176B ran 70 layers as 5 + 6x10 + 5 on 12 stages (Megatron-DeepSpeed's
// 'type:transformer|embedding' partition, bigscience-workshop/bigscience train/tr11-176B-ml);
// Llama 3 405B ran 126 layers as 7 + 8x14 + 7 on 16 (Llama 3 paper, sec. 3.3.2: one layer fewer on
// the first and last stage, which hold the embedding and the output layer).
#ifndef PLANNER_CORE_PIPELINE_STAGES_H_
#define PLANNER_CORE_PIPELINE_STAGES_H_

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "planner/core/parallel_config.h"

namespace planner {

// Layers per stage. With pp == 1 the one stage is both first and last (first == last == all
// layers); with pp == 2 there is no middle stage (middle == 0).
struct StageLayout {
  bool ok = false;  // the layers split as asked (see StageLayers)
  int64_t first = 0, middle = 0, last = 0;
  int64_t pp = 1;

  // Layers on stage s (0 .. pp-1).
  int64_t layers(int64_t s) const { return s == 0 ? first : s == pp - 1 ? last : middle; }
  // Every stage holds the same number of layers (today's n_layers / pp).
  bool even() const { return first == last && (pp <= 2 || middle == first); }
  int64_t max_layers() const { return std::max(std::max(first, last), pp > 2 ? middle : 0); }
};

// The split of n_layers that p asks for: even when p.first_stage_layers and p.last_stage_layers
// are 0, else Megatron-Core's rule. `ok` is false when the layers do not split (a count left over,
// a stage without layers, a stated count with pp == 1) or vpp does not divide every stage (an
// uneven first or last stage may be one layer short of it: the embedding or loss fills the gap).
StageLayout StageLayers(int64_t n_layers, const ParallelConfig& p);

// The stage that paces the pipeline: the one with the most work per micro-batch, each stage
// costing layers x `layer_s` plus `first_extra_s` on the first and `last_extra_s` (LM head and
// loss) on the last stage. Ties go to the last stage, then the first: what the even split priced
// (the last stage, head included) stays what is priced.
struct PacedStage {
  int64_t stage = 0;                 // 0 .. pp-1; a middle stage is reported as stage 1
  int64_t layers = 0;                // its layers
  bool first = false, last = false;  // it runs the embedding / the LM head and loss
};
PacedStage SlowestStage(const StageLayout& s, double layer_s, double first_extra_s,
                        double last_extra_s);

// "8+9x14+6": first, middle x count, last; "" for an even split.
std::string StagesText(const StageLayout& s);

// The splits Megatron-Core users pick when pp does not divide n_layers: the middle stages get
// ceil(L/pp) or floor(L/pp) layers and the first and last stage share what is left (an odd layer
// tried on either), neither holding more than a middle stage plus one. The ceil split is the one
// that gives the first and last stage fewer layers to offset the embedding and head. As
// (first_stage_layers, last_stage_layers) pairs; {(0, 0)}, the even split, when pp divides n_layers
// or nothing else splits.
std::vector<std::pair<int64_t, int64_t>> UnevenSplits(int64_t n_layers, int64_t pp);

// A last stage that also runs multi-token prediction (the MTP layers, and the head and loss once
// more per module) is lightened by up to this many layers: Megatron-Bridge's DeepSeek-V3 layouts
// give it 3 fewer than the middle stages (4+4x14+1 on 16 stages, 8+8x6+5 on 8, 16+16+16+13 on 4,
// 32+29 on 2; recipes/deepseek/deepseek_v3.py's layout map and the GB300 presets' pp_layout).
inline constexpr int64_t kMtpLighterLastStage = 3;

// UnevenSplits, and where the last stage runs `mtp_modules` > 0 the splits whose last stage holds
// 1 to kMtpLighterLastStage layers fewer than the ceil split's middle stages (the first taking
// the rest, at most a middle stage plus one).
std::vector<std::pair<int64_t, int64_t>> SearchedSplits(int64_t n_layers, int64_t pp,
                                                        int64_t mtp_modules);

// When p states at most one of the first/last stage counts and its layers do not split over its
// stages, the first split `plan` would try (UnevenSplits) that keeps the stated count, written
// into p; returns its StagesText (the stage split alone, vpp aside) or "" when p was left as it
// was. What `explain` and the runs reader take when a layout does not say how its stages split.
std::string ApplyDefaultStageSplit(int64_t n_layers, ParallelConfig* p);

}  // namespace planner

#endif  // PLANNER_CORE_PIPELINE_STAGES_H_
