#include "planner/io/gpu_presets.h"

#include <cctype>

namespace planner {
namespace {

// torchtitan's H100 is a 96 GB HBM2e, 500 W part of Meta's Grand Teton servers, which no preset
// describes: it runs as dgx-h100 (the runs reader applies its stated power limit and says so).
struct GpuPreset {
  const char* part;     // as PartKey writes it
  const char* variant;  // also required in the text ("" for none)
  const char* preset;
  bool instance = false;  // a cloud instance type: names the machine, wherever in the text
};
constexpr GpuPreset kGpuPresets[] = {
    {"GB300", "", "gb300-nvl72"},  // before B300, which it contains
    {"B300", "", "dgx-b300"},
    {"GB200", "", "gb200-nvl72"},
    {"B200", "", "dgx-b200"},
    {"H800", "", "h800"},
    {"H200", "", "dgx-h200"},
    {"H20", "", "h20"},  // after H200, which it is a prefix of
    {"H100", "PCIE", "hgx-h100-pcie"},
    {"H100", "", "dgx-h100"},
    {"P4DE", "", "dgx-a100-80gb", true},  // AWS p4de.24xlarge: A100 80GB, 400 Gb/s EFA
    {"P4D", "", "ec2-p4d", true},         // AWS p4d.24xlarge: A100 40GB, 400 Gb/s EFA
    {"A800", "", "a800"},                 // A100 silicon, NVLink 400 GB/s (export part)
    {"A100", "40GB", "dgx-a100-40gb"},
    {"A100", "", "dgx-a100-80gb"},
    {"V100", "", "v100"},
    {"MI300X", "", "mi300x"},
    {"MI250X", "", "frontier-mi250x"},  // one GPU = one GCD, as Frontier's reports count them
    {"L40S", "", "l40s"},
    {"RTX4090", "", "rtx4090"}};  // "RTX 4090", "GeForce RTX 4090 24GB"

}  // namespace

std::string PartKey(const std::string& text) {
  std::string key;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c)) key += static_cast<char>(std::toupper(c));
  }
  return key;
}

// An instance type names the machine outright (table order); otherwise the part named first wins
// ("A100-SXM4-80GB (... A100 or A800 ...)" is an A100) and, among parts at the same place, the
// table's order (a variant before its part).
const char* PresetForGpu(const std::string& gpu_text) {
  const std::string key = PartKey(gpu_text);
  const char* best = nullptr;
  size_t best_at = std::string::npos;
  for (const GpuPreset& g : kGpuPresets) {
    size_t at = key.find(g.part);
    if (at == std::string::npos || key.find(g.variant) == std::string::npos) continue;
    if (g.instance) at = 0;
    if (best == nullptr || at < best_at) {
      best = g.preset;
      best_at = at;
    }
  }
  return best;
}

std::string KnownGpuParts() {
  std::string out;
  for (const GpuPreset& g : kGpuPresets) {
    if (*g.variant != '\0') continue;  // a variant of a part listed on its own
    out += (out.empty() ? "" : ", ") + std::string(g.part);
  }
  return out;
}

}  // namespace planner
