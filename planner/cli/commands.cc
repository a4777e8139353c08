// The table of subcommands, in the order `planner --help` lists them. Each lives in its own file.
#include "planner/cli/command.h"

namespace planner {

int RunCount(const std::vector<std::string>& args);
int RunFlops(const std::vector<std::string>& args);
int RunExplain(const std::vector<std::string>& args);
int RunSimulate(const std::vector<std::string>& args);
int RunPlan(const std::vector<std::string>& args);
int RunChinchilla(const std::vector<std::string>& args);
int RunPresets(const std::vector<std::string>& args);
int RunValidate(const std::vector<std::string>& args);
int RunCalibrate(const std::vector<std::string>& args);
int RunCompare(const std::vector<std::string>& args);
int RunSize(const std::vector<std::string>& args);
int RunSensitivity(const std::vector<std::string>& args);

const std::vector<Command>& Commands() {
  static const std::vector<Command> commands = {
      {"count", "exact parameter count with a per-component breakdown", RunCount},
      {"flops", "per-matmul FLOPs of a forward/backward pass; the published accountings", RunFlops},
      {"plan", "search every parallel layout; rank those that fit; count why others do not",
       RunPlan},
      {"explain", "one layout in full: memory, step time, MFU/HFU, bound, days and dollars",
       RunExplain},
      {"simulate", "one layout's step, event by event: bubble, streams, critical path, trace", RunSimulate},
      {"chinchilla", "compute-optimal N and D for a FLOP, GPU-hour or dollar budget, per fit", RunChinchilla},
      {"presets", "the shipped model and cluster presets and their key numbers", RunPresets},
      {"validate", "predict the published measured runs (runs.yaml): errors, MAPE, fit", RunValidate},
      {"calibrate", "fit collectives and GEMMs to commbench/matbench runs into a cluster YAML", RunCalibrate},
      {"compare", "candidate runs side by side: FLOPs, predicted loss, layout, days, dollars", RunCompare},
      {"size", "which GPUs, how many, how long, how much: sweep GPU types and counts", RunSize},
      {"sensitivity", "which inputs move a run's expected days and dollars most (tornado)",
       RunSensitivity},
  };
  return commands;
}

}  // namespace planner
