// Which keys a query attends to beyond plain causal attention: local windows (sliding, chunked)
// and DeepSeek-V4's hybrid attention (CsaSpec: which layers compress their keys how), for the
// FLOP count (flops.cc), the parameters (params.cc) and the step time (layer_cost.cc).
#ifndef PLANNER_CORE_SPARSE_ATTENTION_H_
#define PLANNER_CORE_SPARSE_ATTENTION_H_

#include <cstdint>
#include <map>

#include "planner/core/count.h"
#include "planner/core/model_spec.h"

namespace planner {

// Query-key pairs one head scores in one sequence of t tokens in a global layer, or a local one
// of window w (sliding: the last w positions; chunked: its own chunk), causal or not (see
// FlopsOptions::causal).
Count AttentionPairs(Count t, const WindowSpec& w, bool local, bool causal);

// Layers [first, first + count) by compress ratio: window only (0), the indexed ratio (CSA: top-k
// of the compressed keys through the indexer) and the larger ratios (HCA: all compressed keys).
struct CsaLayerCounts {
  int64_t window_only = 0;
  int64_t indexed = 0;
  int64_t compressed = 0;
};
CsaLayerCounts CountCsaLayers(const ModelSpec& s, int64_t first, int64_t count);
// The same layers by their compress ratio (0: window only): how many have each.
std::map<int64_t, int64_t> CsaLayersByRatio(const ModelSpec& s, int64_t first, int64_t count);

// Keys one query of a causal sequence of T tokens attends to, averaged over the sequence, in a
// layer of compress ratio m: its sliding window (W, or fewer near the start), plus m = 0: nothing;
// the indexed ratio: min(topk, i/m) of position i's compressed keys, on average
// k (1 - m k / 2T) with k = min(topk, T/m) (Megatron-Core's dsv4 count); other ratios: every
// compressed key, T/2m on average.
double CsaKeysPerQuery(const ModelSpec& s, int64_t ratio, double T);
// The same averaged over layers [first, first + count).
double CsaMeanKeysPerQuery(const ModelSpec& s, double T, int64_t first, int64_t count);

// Megatron-Core's dsv4_hybrid self-attention FLOPs per token over every layer and MTP layer
// (Megatron-Bridge flop_utils.py, transformer_flops' dsv4 branch), forward + backward.
double MegatronCoreCsaAttentionPerToken(const ModelSpec& s, double T);

}  // namespace planner

#endif  // PLANNER_CORE_SPARSE_ATTENTION_H_
