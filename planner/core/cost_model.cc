#include "planner/core/cost_model.h"

#include <functional>

namespace planner {

size_t CostModel::KeyHash::operator()(const Key& k) const {
  size_t h = std::hash<int64_t>()(k.tp);
  for (int64_t v : {k.cp, k.micro_batch, k.ep, k.etp, static_cast<int64_t>(k.sp),
                    static_cast<int64_t>(k.recompute), static_cast<int64_t>(k.dtype)}) {
    h = h * 1000003u ^ std::hash<int64_t>()(v);
  }
  return h;
}

CostModel::CostModel(const ModelSpec& m, const ClusterSpec& c, const StepTimeOptions& o)
    : m_(m), c_(c), o_(o), params_(CountParams(m)), split_(SplitParams(m, params_)) {
  for (Recompute r : {Recompute::kNone, Recompute::kSelective, Recompute::kFull}) {
    flops_[static_cast<int>(r)] = FlopsPerSequence(m, r);
  }
}

const LayerCost& CostModel::Layer(const ParallelConfig& p) {
  const Key key{p.tp, p.cp, p.micro_batch, p.ep, p.expert_tp(), p.sp, p.recompute, p.dtype};
  auto it = layers_.find(key);
  if (it == layers_.end()) it = layers_.emplace(key, ComputeLayerCost(m_, c_, p, o_)).first;
  return it->second;
}

MemoryBreakdown CostModel::Memory(const ParallelConfig& p) { return Memory(p, States(p)); }

MemoryBreakdown CostModel::Memory(const ParallelConfig& p, const MemoryStates& states) {
  return Memory(p, states, Layer(p));
}

MemoryBreakdown CostModel::Memory(const ParallelConfig& p, const MemoryStates& states,
                                  const LayerCost& lc) {
  return AssembleMemory(m_, states, p, o_.memory, lc.act_bytes, lc.act_bytes_no_recompute);
}

StepTime CostModel::Time(const ParallelConfig& p) { return Time(p, Layer(p)); }

StepTime CostModel::Time(const ParallelConfig& p, const LayerCost& lc) {
  return AssembleStepTime(m_, c_, split_, p, o_, lc, flops_[static_cast<int>(p.recompute)]);
}

}  // namespace planner
