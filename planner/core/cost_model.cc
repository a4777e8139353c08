#include "planner/core/cost_model.h"

#include <functional>

namespace planner {

size_t CostModel::KeyHash::operator()(const Key& k) const {
  size_t h = std::hash<int64_t>()(k.tp);
  for (int64_t v : {k.cp, k.micro_batch, k.ep, k.etp}) h = h * 1000003u ^ std::hash<int64_t>()(v);
  return h;
}

CostModel::CostModel(const ModelSpec& m, const ClusterSpec& c, const StepTimeOptions& o)
    : m_(m), c_(c), o_(o), params_(CountParams(m)), split_(SplitParams(m, params_)) {
  for (Recompute r : {Recompute::kNone, Recompute::kSelective, Recompute::kFull}) {
    flops_[static_cast<int>(r)] = FlopsPerSequence(m, r);
  }
}

const LayerCost& CostModel::Layer(const ParallelConfig& p) {
  const Key key{p.tp, p.cp, p.micro_batch, p.ep, p.expert_tp()};
  if (last_slots_ == nullptr || !(key == last_key_)) {
    Slots empty;
    empty.fill(-1);
    last_slots_ = &layers_.try_emplace(key, empty).first->second;  // nodes do not move
    last_key_ = key;
  }
  const int slot =
      (static_cast<int>(p.recompute) * kNumDtypes + static_cast<int>(p.dtype)) * 2 + (p.sp ? 1 : 0);
  int32_t& index = (*last_slots_)[slot];
  if (index < 0) {
    index = static_cast<int32_t>(costs_.size());
    costs_.push_back(ComputeLayerCost(m_, c_, p, o_));
  }
  return costs_[index];
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
