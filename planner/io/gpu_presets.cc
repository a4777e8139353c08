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
};
constexpr GpuPreset kGpuPresets[] = {
    {"GB200", "", "gb200-nvl72"},
    {"B200", "", "dgx-b200"},
    {"H800", "", "h800"},
    {"H200", "", "dgx-h200"},
    {"H100", "PCIE", "hgx-h100-pcie"},
    {"H100", "", "dgx-h100"},
    {"P4DE", "", "dgx-a100-80gb"},  // AWS p4de.24xlarge: A100 80GB, 400 Gb/s EFA
    {"P4D", "", "ec2-p4d"},         // AWS p4d.24xlarge: A100 40GB, 400 Gb/s EFA
    {"A100", "40GB", "dgx-a100-40gb"},
    {"A100", "", "dgx-a100-80gb"},
    {"V100", "", "v100"},
    {"MI300X", "", "mi300x"},
    {"L40S", "", "l40s"}};

}  // namespace

std::string PartKey(const std::string& text) {
  std::string key;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c)) key += static_cast<char>(std::toupper(c));
  }
  return key;
}

const char* PresetForGpu(const std::string& gpu_text) {
  const std::string key = PartKey(gpu_text);
  for (const GpuPreset& g : kGpuPresets) {
    if (key.find(g.part) != std::string::npos && key.find(g.variant) != std::string::npos) {
      return g.preset;
    }
  }
  return nullptr;
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
