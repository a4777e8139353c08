// The reliability, storage, power and pricing blocks of a cluster file (core/operations.h):
// read strictly (unknown keys, types), range-checked by core ValidateOperations, and written back
// by ClusterToYaml when they differ from the defaults.
#ifndef PLANNER_IO_OPERATIONS_IO_H_
#define PLANNER_IO_OPERATIONS_IO_H_

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "planner/core/cluster_spec.h"
#include "planner/io/yaml_strict.h"

namespace planner {

// Top-level keys of a cluster file that ReadOperations reads.
const std::vector<std::string>& OperationsKeys();

void ReadOperations(const StrictMap& m, ClusterSpec* c);

// Emits the blocks whose values differ from operations.h's defaults (keys, not a map).
void EmitOperations(const ClusterSpec& c, YAML::Emitter* out);

}  // namespace planner

#endif  // PLANNER_IO_OPERATIONS_IO_H_
