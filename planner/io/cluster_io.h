// Reads a ClusterSpec from YAML (strict: see configs/clusters/README.md) and validates it.
#ifndef PLANNER_IO_CLUSTER_IO_H_
#define PLANNER_IO_CLUSTER_IO_H_

#include <cstdint>
#include <optional>
#include <string>

#include "planner/core/cluster_spec.h"
#include "planner/io/yaml_strict.h"

namespace planner {

// gpus: the GPU count the caller will set (LoadCluster), which lets the file omit nodes and gpus.
// Omitted optional fields get documented defaults, listed in ClusterSpec::assumed.
ClusterSpec ReadClusterSpec(const YamlDoc& doc, std::optional<int64_t> gpus = std::nullopt);
// A file path or a preset name (configs/clusters). `gpus` overrides the GPU count (whole nodes,
// or fewer GPUs than one node); an override that does not fit is an InputError naming
// `gpus_where` (the CLI's flag, a file's key).
ClusterSpec LoadCluster(const std::string& arg, std::optional<int64_t> gpus = std::nullopt,
                        const std::string& gpus_where = "gpus");
void SetGpuCount(ClusterSpec* c, int64_t gpus, const std::string& where);

// Writes a cluster back as YAML (used by `planner calibrate -o`).
std::string ClusterToYaml(const ClusterSpec& c);

}  // namespace planner

#endif  // PLANNER_IO_CLUSTER_IO_H_
