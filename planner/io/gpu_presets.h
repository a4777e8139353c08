// Which cluster preset a GPU named in free text runs as: "A100 SXM 40GB", "a100_40gb" and
// "A100-SXM4-40GB" alike (a published run's `hardware.gpu`).
#ifndef PLANNER_IO_GPU_PRESETS_H_
#define PLANNER_IO_GPU_PRESETS_H_

#include <string>

namespace planner {

// The text in upper case, letters and digits only: the form parts are compared in.
std::string PartKey(const std::string& text);

// The preset of the part `gpu_text` names (most specific first: "H100 PCIe" before "H100"), or
// nullptr when no preset describes it.
const char* PresetForGpu(const std::string& gpu_text);

// "GB200, B200, ...": the parts PresetForGpu knows, for messages.
std::string KnownGpuParts();

}  // namespace planner

#endif  // PLANNER_IO_GPU_PRESETS_H_
