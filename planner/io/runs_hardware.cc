// The hardware block of a published run record: which cluster preset it runs on (its GPU part,
// the network its interconnect text states, or the preset it names) and its power limit.
#include <cmath>
#include <iomanip>
#include <sstream>

#include "planner/core/limits.h"
#include "planner/io/cluster_io.h"
#include "planner/io/format.h"
#include "planner/io/gpu_presets.h"
#include "planner/io/input_error.h"
#include "planner/io/presets.h"
#include "planner/io/record_defaults.h"
#include "planner/io/runs_fields.h"

namespace planner::runs {
namespace {

const std::vector<std::string> kHardwareKeys = {
    "gpu",           "num_gpus",      "peak_tflops_per_gpu", "peak_basis",
    "power_limit_W", "gpus_per_node", "interconnect",        "cluster"};

// The part's preset, or where the interconnect text states another scale-out bandwidth per GPU
// (record_defaults.h), the preset of the same GPU and scale-up domain that has it (AWS p4d's 400
// Gb/s of EFA per 8 A100s: ec2-p4d, not dgx-a100-40gb's 8x 200 Gb/s). Where none has it, the
// part's preset with the stated bandwidth (v->stated_scaleout_GBps); a note either way.
std::string MatchNetwork(const StrictMap& hw, const std::string& preset, ValidationRun* v) {
  const std::string interconnect = StatedString(hw, "interconnect");
  if (interconnect.empty()) return preset;
  const ClusterSpec base = LoadCluster(preset);
  const std::optional<double> stated =
      ScaleOutGBpsPerGpu(interconnect, StatedInt(hw, "gpus_per_node").value_or(base.gpus_per_node));
  const auto same = [&](const ClusterSpec& c) {
    return std::abs(c.network.back().bw_GBps / *stated - 1) <= 0.01;
  };
  if (!stated || base.network.empty() || same(base)) return preset;
  std::ostringstream says;
  says << "interconnect states " << *stated << " GB/s per GPU across nodes";
  for (const std::string& name : PresetNames("clusters")) {
    const ClusterSpec c = LoadCluster(name);
    // The same GPU in the same scale-up domain (not Jean Zay's 4-GPU NVLink groups).
    if (c.gpu.name == base.gpu.name && !c.network.empty() && same(c) &&
        c.network.front().size == base.network.front().size) {
      v->hardware_note += (v->hardware_note.empty() ? "" : "; ") + says.str() + ": preset " + name;
      return name;
    }
  }
  v->hardware_note += (v->hardware_note.empty() ? "" : "; ") + says.str() + ", no " +
                      base.gpu.name + " preset has it: priced on " + preset +
                      " with it instead of " + Fixed(base.network.back().bw_GBps, 2) +
                      " (or name a preset in hardware.cluster)";
  v->stated_scaleout_GBps = *stated;
  return preset;
}

// The preset the record runs as (gpu_presets.h), or "" (with v->skip_reason) when none describes
// its part.
// A record whose machine differs from the part's usual node in what the model prices (BLOOM's
// Omni-Path network, a quarter of a DGX A100's) names its own preset in `hardware.cluster`.
std::string ClusterFor(const StrictMap& hw, ValidationRun* v) {
  const std::string gpu = hw.String("gpu");
  if (gpu.size() > 512) hw.Fail("gpu", "gpu: text longer than 512 characters");
  if (Stated(hw, "cluster")) {
    const std::string named = hw.String("cluster");
    if (!FindPreset("clusters", named)) {
      hw.Fail("cluster", "no cluster preset named '" + named + "' (configs/clusters/)");
    }
    return named;
  }
  if (const char* preset = PresetForGpu(gpu)) {
    if (Contains(PartKey(gpu), "H10096GB")) {
      v->hardware_note = "H100 96GB HBM2e (Grand Teton) modelled as dgx-h100";
    }
    return MatchNetwork(hw, preset, v);
  }
  // Not an error: the other records still price. The reason says how to answer it.
  v->skip_reason = "no cluster preset for GPU '" + gpu + "' (known parts: " + KnownGpuParts() +
                   "); name one with hardware.cluster";
  return "";
}

// A GPU run below its rated power lowers its clock until it fits: dynamic power goes as f V^2 and
// voltage falls with frequency, so P ~ f^3 and the sustained tensor-core rate scales as
// (limit / TDP)^(1/3). HBM bandwidth does not depend on the SM clock.
double ApplyPowerLimit(const StrictMap& hw, GpuSpec* gpu, std::string* note) {
  // Stated, or in the GPU text ("..., 500W power limit)"); an error points at where it was read.
  const bool stated = Stated(hw, "power_limit_W");
  const std::optional<double> limit_W =
      stated ? StatedDouble(hw, "power_limit_W") : PowerLimitInGpuText(hw.String("gpu"));
  if (!limit_W) return 1;
  if (!(*limit_W >= 50 && *limit_W <= 5000)) {
    hw.Fail(stated ? "power_limit_W" : "gpu",
            std::string(stated ? "power_limit_W" : "the power limit in the gpu text") +
                " must lie in [50, 5000] W");
  }
  if (gpu->tdp_W <= 0 || *limit_W >= gpu->tdp_W) return 1;
  const double scale = std::cbrt(*limit_W / gpu->tdp_W);
  for (double& peak : gpu->peak_tflops) peak *= scale;
  std::ostringstream s;
  if (!note->empty()) s << ", ";
  s << "at its " << *limit_W << " W power limit: peaks x (" << *limit_W << "/" << gpu->tdp_W
    << ")^(1/3) = " << std::fixed << std::setprecision(3) << scale;
  *note += s.str();
  return scale;
}

// A part sold in another memory size than its preset's (Meta's Grand Teton H100 with 96 GB of
// HBM2e; the preset is the 80 GB SXM5): the capacity is the stated one, in the proportion of the
// preset's usable GiB to its nominal size (nvidia-smi's 79.6 GiB for "80GB"). Only whether a
// layout fits depends on it, not its step time.
void ApplyStatedCapacity(const std::string& text, GpuSpec* gpu, std::string* note) {
  const std::optional<double> stated_GB = HbmGbInGpuText(text);
  const double nominal_GB = std::round(gpu->hbm_GiB);
  if (!stated_GB || nominal_GB <= 0 || *stated_GB == nominal_GB) return;
  gpu->hbm_GiB *= *stated_GB / nominal_GB;
  std::ostringstream s;
  if (!note->empty()) s << ", ";
  s << "with the " << *stated_GB << " GB it states (the preset's " << nominal_GB << ")";
  *note += s.str();
}

}  // namespace

void ReadHardware(const StrictMap& r, std::optional<int64_t> layout_gpus, ValidationRun* v) {
  const StrictMap hw = r.Map("hardware", kHardwareKeys);
  const std::optional<double> peak = StatedDouble(hw, "peak_tflops_per_gpu");
  if (peak && !(*peak > 0 && *peak < 1e5)) {
    hw.Fail("peak_tflops_per_gpu", "peak_tflops_per_gpu must lie in (0, 1e5)");
  }
  v->source_peak_tflops = peak.value_or(0);
  const bool derived = !Stated(hw, "num_gpus") && layout_gpus;
  if (derived) {
    v->assumptions.push_back("num_gpus not stated: " + std::to_string(*layout_gpus) +
                             ", the product of the stated degrees");
  }
  const int64_t gpus = derived ? *layout_gpus : hw.Int("num_gpus");
  if (gpus < 1 || gpus > kMaxGpus) hw.Fail("num_gpus", "num_gpus must lie in [1, 2^22]");
  if (auto per_node = StatedInt(hw, "gpus_per_node"); per_node && *per_node < 1) {
    hw.Fail("gpus_per_node", "gpus_per_node must be positive");
  }
  v->cluster_preset = ClusterFor(hw, v);
  if (v->cluster_preset.empty()) return;
  try {
    v->run.cluster = LoadCluster(v->cluster_preset, gpus);
  } catch (const InputError& e) {
    // 12 GPUs of 8-GPU nodes: a partial node the preset cannot describe. That record alone is
    // not priced; the others of the file are.
    v->skip_reason =
        std::string(e.what()) + "; name a cluster file of its nodes with hardware.cluster";
    return;
  }
  if (v->stated_scaleout_GBps > 0) v->run.cluster.network.back().bw_GBps = v->stated_scaleout_GBps;
  v->peak_scale = ApplyPowerLimit(hw, &v->run.cluster.gpu, &v->hardware_note);
  ApplyStatedCapacity(StatedString(hw, "gpu"), &v->run.cluster.gpu, &v->hardware_note);
  v->run.generation = GpuGeneration(v->run.cluster.gpu);
}

}  // namespace planner::runs
