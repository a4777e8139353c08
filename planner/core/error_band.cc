#include "planner/core/error_band.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

namespace planner {
namespace {

BandEntry MakeEntry(const std::string& generation, const std::string& stack,
                    const std::vector<const HeldOutResidual*>& rs) {
  BandEntry e{generation, stack, {}, {}, {}};
  std::vector<double> factors;
  for (const HeldOutResidual* r : rs) {
    e.features.insert(e.features.end(), r->features.begin(), r->features.end());
    factors.push_back(1 / (1 + r->error));  // measured / predicted
    MfuCeiling& ceiling = e.ceiling(r->precision);
    if (r->measured_mfu > ceiling.mfu) ceiling = {r->measured_mfu, r->id};
  }
  std::sort(e.features.begin(), e.features.end());
  e.features.erase(std::unique(e.features.begin(), e.features.end()), e.features.end());
  e.band.p10_factor = Quantile(factors, 0.1);
  e.band.p90_factor = Quantile(factors, 0.9);
  e.band.records = static_cast<int>(rs.size());
  e.band.basis = BandBasis(generation, stack, e.band.records);
  return e;
}

constexpr std::pair<const char*, const char*> kFeatureNames[] = {
    {"cp", "context parallelism"},
    {"zero3", "ZeRO-3 / FSDP full sharding"},
    {"hsdp", "hybrid sharding"},
    {"vpp", "an interleaved pipeline"},
    {"uneven-pp", "uneven pipeline stages"},
    {"fp8", "fp8"},
    {"fp4", "fp4 (NVFP4)"},
    {"ep", "expert parallelism"},
    {"offload", "CPU activation offloading"}};

// The table's entry of (generation, stack), if any ("" for all).
const BandEntry* FindEntry(const std::vector<BandEntry>& table, const std::string& generation,
                           const std::string& stack) {
  for (const BandEntry& e : table) {
    if (e.generation == generation && e.stack == stack) return &e;
  }
  return nullptr;
}

}  // namespace

MfuClass MfuClassOf(Dtype d) {
  if (d == Dtype::kFp8) return MfuClass::kFp8;
  return d == Dtype::kFp4 ? MfuClass::kFp4 : MfuClass::k16Bit;
}

const char* ToString(MfuClass c) {
  switch (c) {
    case MfuClass::k16Bit:
      return "16-bit";
    case MfuClass::kFp8:
      return "fp8";
    case MfuClass::kFp4:
      return "fp4";
  }
  return "16-bit";
}

std::vector<std::string> LayoutFeatures(const ParallelConfig& p) {
  std::vector<std::string> out;
  if (p.cp > 1) out.push_back("cp");
  if (p.zero >= 3) out.push_back(p.dp_replicas() > 1 ? "hsdp" : "zero3");
  if (p.pp > 1 && p.vpp > 1) out.push_back("vpp");
  if (p.first_stage_layers > 0 || p.last_stage_layers > 0) out.push_back("uneven-pp");
  if (IsLowPrecision(p.dtype)) out.push_back(ToString(p.dtype));
  if (p.ep > 1) out.push_back("ep");
  if (p.offload_layers > 0) out.push_back("offload");
  return out;
}

const char* FeatureName(const std::string& feature) {
  for (const auto& [key, name] : kFeatureNames) {
    if (feature == key) return name;
  }
  return "an unnamed feature";
}

std::string BandBasis(const std::string& generation, const std::string& stack, int records) {
  if (generation == kCarriedGeneration) {
    return "terms carried across GPU generations, " + std::to_string(records) + " records";
  }
  if (generation == kMoeGeneration) return std::to_string(records) + " MoE records";
  const std::string who = generation.empty() ? "all generations"
                                             : generation + (stack.empty() ? "" : " " + stack);
  return who + ", " + std::to_string(records) + " held-out records";
}

double Quantile(std::vector<double> values, double q) {
  if (values.empty()) return 1;
  std::sort(values.begin(), values.end());
  const double pos = q * static_cast<double>(values.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (pos - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

std::vector<BandEntry> BuildBands(const std::vector<HeldOutResidual>& residuals) {
  std::map<std::pair<std::string, std::string>, std::vector<const HeldOutResidual*>> groups;
  for (const HeldOutResidual& r : residuals) {
    if (r.generation == kCarriedGeneration || r.generation == kMoeGeneration) {
      // Its own pool, outside the all-generations band.
      groups[{r.generation, ""}].push_back(&r);
      continue;
    }
    groups[{r.generation, r.stack}].push_back(&r);
    groups[{r.generation, ""}].push_back(&r);
    groups[{"", ""}].push_back(&r);
  }
  std::vector<BandEntry> out;
  for (const auto& [key, rs] : groups) {
    // Every group keeps its entry, for its MFU ceiling and for which stacks validation covers
    // on each generation; FindBand uses only those with kMinBandRecords.
    out.push_back(MakeEntry(key.first, key.second, rs));
  }
  return out;
}

void RaiseCeilings(const std::vector<HeldOutResidual>& more, std::vector<BandEntry>* table) {
  for (const HeldOutResidual& r : more) {
    if (r.generation == kCarriedGeneration || r.generation == kMoeGeneration) continue;
    for (BandEntry& e : *table) {
      const bool covers = e.generation.empty() ||
                          (e.generation == r.generation && (e.stack.empty() || e.stack == r.stack));
      MfuCeiling& ceiling = e.ceiling(r.precision);
      if (covers && r.measured_mfu > ceiling.mfu) ceiling = {r.measured_mfu, r.id};
    }
  }
}

ErrorBand FindBand(const std::vector<BandEntry>& table, const std::string& generation,
                   const std::string& stack, bool terms_carried, bool moe) {
  const std::pair<std::string, std::string> tries[] = {
      {moe ? kMoeGeneration : generation, moe ? "" : stack},
      {generation, stack},
      {generation, ""},
      {terms_carried ? kCarriedGeneration : "", ""},
      {"", ""}};
  for (const auto& [g, s] : tries) {
    const BandEntry* e = FindEntry(table, g, s);
    if (e != nullptr && e->band.records >= kMinBandRecords) return e->band;
  }
  return {};
}

int ValidatedRecords(const std::vector<BandEntry>& table, const std::string& generation,
                     const std::string& stack) {
  const BandEntry* e = FindEntry(table, generation, stack);
  return e != nullptr ? e->band.records : 0;
}

const BandEntry* FindGenerationEntry(const std::vector<BandEntry>& table,
                                     const std::string& generation) {
  return FindEntry(table, generation, "");
}

}  // namespace planner
