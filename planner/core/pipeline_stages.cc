#include "planner/core/pipeline_stages.h"

#include <algorithm>

namespace planner {

StageLayout StageLayers(int64_t n_layers, const ParallelConfig& p) {
  StageLayout s;
  s.pp = p.pp;
  const int64_t f = p.first_stage_layers, l = p.last_stage_layers;
  if (p.pp <= 0 || p.vpp <= 0 || n_layers <= 0 || f < 0 || l < 0) return s;
  if (f == 0 && l == 0) {
    // The even split, on the search's hot path: one division, and one more when interleaved.
    const int64_t each = n_layers / p.pp;
    if (each * p.pp != n_layers) return s;
    if (p.vpp > 1 && (p.uneven_chunks ? each < p.vpp : each % p.vpp != 0)) return s;
    s.first = s.last = each;
    s.middle = p.pp > 2 ? each : 0;
    s.ok = true;
    return s;
  }
  // One stage holds everything; a stated first/last count means nothing there.
  if (p.pp == 1) return s;
  // Megatron-Core: the stated stages take their counts, the others split the rest evenly.
  const int64_t rest_stages = p.pp - (f > 0 ? 1 : 0) - (l > 0 ? 1 : 0);
  const int64_t rest_layers = n_layers - f - l;
  if (rest_stages == 0) {
    if (rest_layers != 0) return s;
  } else if (rest_layers < rest_stages || rest_layers % rest_stages != 0) {
    return s;
  }
  const int64_t each = rest_stages > 0 ? rest_layers / rest_stages : 0;
  s.first = f > 0 ? f : each;
  s.last = l > 0 ? l : each;
  s.middle = p.pp > 2 ? each : 0;
  // Interleaving splits every stage into vpp chunks of equal size, but on the first and last
  // stage one chunk may hold a layer fewer, the embedding or the loss counted in its place
  // (Megatron-Core's --account-for-embedding-in-pipeline-split and
  // --account-for-loss-in-pipeline-split: Llama 3.1 405B as 15 + 16x6 + 15 on pp 8, vpp 8).
  // With uneven chunks (Megatron-Core's pipeline layout) every chunk needs one layer or, on an
  // end stage, the embedding or loss in its place.
  const auto chunks = [&](int64_t layers, bool end) {
    if (p.uneven_chunks) return layers + (end ? 1 : 0) >= p.vpp;
    return layers % p.vpp == 0 || (end && (layers + 1) % p.vpp == 0);
  };
  // Two stages have no middle one to check (s.middle is 0 there).
  if (!chunks(s.first, true) || !chunks(s.last, true) || (p.pp > 2 && !chunks(s.middle, false))) {
    return s;
  }
  s.ok = true;
  return s;
}

PacedStage SlowestStage(const StageLayout& s, double layer_s, double first_extra_s,
                        double last_extra_s) {
  if (s.pp == 1) return {0, s.first, true, true};
  PacedStage best{s.pp - 1, s.last, false, true};
  double best_s = static_cast<double>(s.last) * layer_s + last_extra_s;
  const double first_s = static_cast<double>(s.first) * layer_s + first_extra_s;
  if (first_s > best_s) {
    best = {0, s.first, true, false};
    best_s = first_s;
  }
  if (s.pp > 2 && static_cast<double>(s.middle) * layer_s > best_s)
    best = {1, s.middle, false, false};
  return best;
}

std::string StagesText(const StageLayout& s) {
  if (!s.ok || s.even()) return "";
  std::string text = std::to_string(s.first) + "+";
  if (s.pp > 2) {
    text += std::to_string(s.middle);
    if (s.pp > 3) text += "x" + std::to_string(s.pp - 2);
    text += "+";
  }
  return text + std::to_string(s.last);
}

std::vector<std::pair<int64_t, int64_t>> UnevenSplits(int64_t n_layers, int64_t pp) {
  std::vector<std::pair<int64_t, int64_t>> out;
  if (pp > 2 && n_layers % pp != 0) {
    const int64_t floor = n_layers / pp;
    for (int64_t middle : {floor + 1, floor}) {
      const int64_t rest = n_layers - middle * (pp - 2);
      const int64_t big = (rest + 1) / 2, small = rest / 2;
      if (middle < 1 || small < 1 || big > middle + 1) continue;
      out.emplace_back(big, small);
      if (big != small) out.emplace_back(small, big);
    }
  }
  if (pp == 2 && n_layers % 2 != 0 && n_layers >= 3) {
    out.emplace_back(n_layers / 2 + 1, n_layers / 2);
    out.emplace_back(n_layers / 2, n_layers / 2 + 1);
  }
  if (out.empty()) out.emplace_back(0, 0);
  return out;
}

std::vector<std::pair<int64_t, int64_t>> SearchedSplits(int64_t n_layers, int64_t pp,
                                                        int64_t mtp_modules) {
  std::vector<std::pair<int64_t, int64_t>> out = UnevenSplits(n_layers, pp);
  if (mtp_modules <= 0 || pp < 2) return out;
  const int64_t middle = (n_layers + pp - 1) / pp;
  for (int64_t fewer = 1; fewer <= kMtpLighterLastStage; ++fewer) {
    const int64_t last = middle - fewer, first = n_layers - middle * (pp - 2) - last;
    if (last < 1 || first < 1 || first > middle + 1) continue;
    if (std::find(out.begin(), out.end(), std::make_pair(first, last)) == out.end())
      out.emplace_back(first, last);
  }
  return out;
}

std::string ApplyDefaultStageSplit(int64_t n_layers, ParallelConfig* p) {
  const bool both = p->first_stage_layers != 0 && p->last_stage_layers != 0;
  if (both || StageLayers(n_layers, *p).ok) return "";
  // The first split plan tries that keeps the one count stated (BLOOM's last stage of 5 of 70
  // layers on 12 stages: the first takes 5 too, the middle ten 6 each).
  for (const auto& [first, last] : UnevenSplits(n_layers, p->pp)) {
    if (first == 0) return "";  // nothing splits: CheckLayout says why
    if (p->first_stage_layers != 0 && first != p->first_stage_layers) continue;
    if (p->last_stage_layers != 0 && last != p->last_stage_layers) continue;
    p->first_stage_layers = first;
    p->last_stage_layers = last;
    // StagesText of the split alone: the virtual stages are checked with the layout.
    ParallelConfig split = *p;
    split.vpp = 1;
    return StagesText(StageLayers(n_layers, split));
  }
  return "";
}

}  // namespace planner
