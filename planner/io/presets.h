// Presets: the YAML files under configs/models and configs/clusters, embedded in the binary at
// build time. A spec argument on the command line is a file path or a preset name.
#ifndef PLANNER_IO_PRESETS_H_
#define PLANNER_IO_PRESETS_H_

#include <optional>
#include <string>
#include <vector>

#include "planner/io/yaml_strict.h"

namespace planner {

struct Preset {
  const char* kind;  // "models" or "clusters"
  const char* name;  // file name without .yaml
  const char* path;  // e.g. "configs/models/gpt2-xl.yaml", used in error messages
  const char* text;
};

const std::vector<Preset>& AllPresets();
std::optional<Preset> FindPreset(const std::string& kind, const std::string& name);
std::vector<std::string> PresetNames(const std::string& kind);

// Whether a spec argument is meant as a file whether or not it exists: it has a '/' or ".yaml" /
// ".yml" in it. Such an argument is never looked up as a preset, so a missing file says so.
bool LooksLikePath(const std::string& arg);

// `arg` names an existing file (or LooksLikePath), or a preset of `kind`; anything else is an InputError that lists
// the closest preset.
YamlDoc LoadSpecDoc(const std::string& kind, const std::string& arg);

}  // namespace planner

#endif  // PLANNER_IO_PRESETS_H_
