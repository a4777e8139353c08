// The error-band table (core/error_band.h) as YAML: written by `planner validate --write-bands`,
// committed as configs/validation/error_bands.yaml and embedded in the binary like the presets.
#ifndef PLANNER_IO_ERROR_BANDS_IO_H_
#define PLANNER_IO_ERROR_BANDS_IO_H_

#include <string>
#include <vector>

#include "planner/core/cluster_spec.h"
#include "planner/core/error_band.h"
#include "planner/io/yaml_strict.h"

namespace planner {

std::string BandsToYaml(const std::vector<BandEntry>& table, const std::string& provenance);
std::vector<BandEntry> ReadBands(const YamlDoc& doc);
// The embedded table (empty if the build has none).
const std::vector<BandEntry>& EmbeddedBands();

// The step-time band for layouts on `c`'s GPU generation priced with `stack` (embedded table);
// for an MoE model (`moe`), the MoE records' band.
ErrorBand StepTimeBand(const ClusterSpec& c, const std::string& stack, bool moe);

// What a prediction should say about itself: the cluster's efficiency terms when they were not
// fitted on its own generation, a stack or a layout feature (LayoutFeatures) no published run on
// the generation used, and an MFU above the highest measured 16-bit MFU on it (or no
// measurement at all). Empty when there is nothing to say.
std::vector<std::string> PredictionWarnings(const ClusterSpec& c, const std::string& stack,
                                            double mfu, const ParallelConfig& p);

// The highest MFU a published run measured on `c`'s GPU generation in `d`'s precision class
// (16-bit, fp8, fp4); nullptr when validation has none.
const MfuCeiling* MeasuredMfuCeiling(const ClusterSpec& c, Dtype d);
// "MFU 65.1% is above the highest measured 16-bit MFU on A100 (64.1%, RUN)" when `mfu` in `d` on
// `c` is above MeasuredMfuCeiling; "" otherwise.
std::string AboveMeasuredMfuText(const ClusterSpec& c, Dtype d, double mfu);

// The LayoutFeatures of `p` that no validating run of `c`'s GPU generation used (all of them
// when validation has no record of the generation).
std::vector<std::string> UnvalidatedFeatures(const ClusterSpec& c, const ParallelConfig& p);

}  // namespace planner

#endif  // PLANNER_IO_ERROR_BANDS_IO_H_
