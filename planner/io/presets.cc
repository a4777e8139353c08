#include "planner/io/presets.h"

#include <filesystem>

#include "planner/io/input_error.h"
#include "planner/io/suggest.h"

namespace planner {

std::optional<Preset> FindPreset(const std::string& kind, const std::string& name) {
  for (const Preset& p : AllPresets()) {
    if (kind == p.kind && name == p.name) return p;
  }
  return std::nullopt;
}

std::vector<std::string> PresetNames(const std::string& kind) {
  std::vector<std::string> names;
  for (const Preset& p : AllPresets()) {
    if (kind == p.kind) names.push_back(p.name);
  }
  return names;
}

bool LooksLikePath(const std::string& arg) {
  return arg.find('/') != std::string::npos || arg.find(".yaml") != std::string::npos ||
         arg.find(".yml") != std::string::npos;
}

YamlDoc LoadSpecDoc(const std::string& kind, const std::string& arg) {
  std::error_code ec;
  // A path the system cannot even look up (a symlink loop, a name too long) says why on reading.
  if (LooksLikePath(arg) || std::filesystem::exists(arg, ec) || ec) return LoadYamlFile(arg);
  if (auto preset = FindPreset(kind, arg)) return ParseYaml(preset->path, preset->text);
  const std::string noun = kind == "models" ? "model" : kind == "stacks" ? "stack" : "cluster";
  const std::string other = kind == "models" ? "clusters" : "models";
  if (kind != "stacks" && FindPreset(other, arg)) {
    throw InputError(arg, "is a " + std::string(kind == "models" ? "cluster" : "model") +
                              " preset, given where a " + noun +
                              " is expected; are MODEL and CLUSTER swapped? (see --help)");
  }
  throw InputError(arg, "no such file, and no " + noun + " preset of that name" +
                            DidYouMean(arg, PresetNames(kind)) + "; `planner presets` lists them");
}

}  // namespace planner
