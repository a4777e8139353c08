// CostModel: memory and step time for many layouts of one model on one cluster. Everything that
// does not depend on the layout (parameter counts, FLOPs per sequence) is computed once; per-layer
// costs are cached by the layer's shape on a GPU (tp, cp, micro-batch, sp, recompute, dtype), so
// evaluating a layout is a few hundred arithmetic operations. Not thread-safe: one per thread.
#ifndef PLANNER_CORE_COST_MODEL_H_
#define PLANNER_CORE_COST_MODEL_H_

#include <array>
#include <cstdint>
#include <deque>
#include <unordered_map>

#include "planner/core/cluster_spec.h"
#include "planner/core/memory.h"
#include "planner/core/model_spec.h"
#include "planner/core/parallel_config.h"
#include "planner/core/params.h"
#include "planner/core/step_time.h"

namespace planner {

class CostModel {
 public:
  CostModel(const ModelSpec& m, const ClusterSpec& c, const StepTimeOptions& o = {});
  // The cache remembers a pointer into itself; a copy would point into the original.
  CostModel(const CostModel&) = delete;
  CostModel& operator=(const CostModel&) = delete;

  MemoryBreakdown Memory(const ParallelConfig& p);  // without the per-tensor explanation
  // The part of Memory(p) that recompute, dtype and sp do not change (with a lower bound of the
  // total), and Memory(p) from it.
  MemoryStates States(const ParallelConfig& p) const {
    return ComputeMemoryStates(m_, split_, p, o_.memory);
  }
  MemoryBreakdown Memory(const ParallelConfig& p, const MemoryStates& states);
  StepTime Time(const ParallelConfig& p);
  const LayerCost& Layer(const ParallelConfig& p);
  // The same with the layer's cost already looked up (the search prices a layout's memory and
  // time from one lookup; the reference stays valid as the cache grows).
  MemoryBreakdown Memory(const ParallelConfig& p, const MemoryStates& states, const LayerCost& lc);
  StepTime Time(const ParallelConfig& p, const LayerCost& lc);
  // ComputeFloorSeconds (step_time.h): no more than Time(p, lc).step_time_s, at a fraction of
  // its cost.
  double TimeFloor(const ParallelConfig& p, const LayerCost& lc) const {
    return ComputeFloorSeconds(m_, p, lc);
  }

  const ModelSpec& model() const { return m_; }
  const ClusterSpec& cluster() const { return c_; }
  const StepTimeOptions& options() const { return o_; }
  const ParamCount& params() const { return params_; }

 private:
  // The cache is keyed in two levels: the layout's shape (what the search varies in its outer
  // loops), then a slot per (recompute, dtype, sp), which it varies innermost. The last shape is
  // remembered, so most lookups hash nothing.
  struct Key {
    int64_t tp, cp, micro_batch;
    int64_t ep;   // a MoE layer's experts per GPU set its expert GEMMs' shapes
    int64_t etp;  // expert TP (expert_tp()): their widths and the tokens each one sees
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  static constexpr int kSlots = 3 * kNumDtypes * 2;  // Recompute x Dtype x sp
  using Slots = std::array<int32_t, kSlots>;         // index into costs_, -1 until priced

  const ModelSpec& m_;
  const ClusterSpec& c_;
  StepTimeOptions o_;
  ParamCount params_;
  ParamSplit split_;
  std::array<SequenceFlops, 3> flops_;  // by Recompute
  std::unordered_map<Key, Slots, KeyHash> layers_;
  std::deque<LayerCost> costs_;  // a deque: references stay valid as it grows
  Key last_key_{};
  Slots* last_slots_ = nullptr;
};

}  // namespace planner

#endif  // PLANNER_CORE_COST_MODEL_H_
