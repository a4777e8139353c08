// Reads a ModelSpec from YAML (strict: see configs/models/README.md for the keys) and validates it.
#ifndef PLANNER_IO_MODEL_IO_H_
#define PLANNER_IO_MODEL_IO_H_

#include <string>

#include "planner/core/model_spec.h"
#include "planner/io/yaml_strict.h"

namespace planner {

ModelSpec ReadModelSpec(const YamlDoc& doc);
// A file path or a preset name (configs/models).
ModelSpec LoadModel(const std::string& arg);

}  // namespace planner

#endif  // PLANNER_IO_MODEL_IO_H_
