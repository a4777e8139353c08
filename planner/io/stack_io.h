// Reads a StackSpec (configs/stacks/*.yaml, strict keys; its fields are tabled in
// docs/validation.md, "Software stacks") and applies `--stack-set key=value` overrides with the
// same key names.
#ifndef PLANNER_IO_STACK_IO_H_
#define PLANNER_IO_STACK_IO_H_

#include <string>
#include <vector>

#include "planner/core/stack_spec.h"
#include "planner/io/yaml_strict.h"

namespace planner {

// The stack used when none is named: what most published large runs use today.
inline constexpr const char* kDefaultStack = "megatron-core";

StackSpec ReadStackSpec(const YamlDoc& doc);
// A file path or a preset name (configs/stacks).
StackSpec LoadStack(const std::string& arg);

// Applies "section.key=value" overrides (e.g. "overlap.dp=none", "kernels=compiled"): each is
// parsed as the YAML file would be, so the same keys, values and errors apply. `what` labels
// errors (the CLI passes its option's name).
void ApplyStackOverrides(const std::vector<std::string>& overrides, const std::string& what,
                         StackSpec* s);

}  // namespace planner

#endif  // PLANNER_IO_STACK_IO_H_
