// What `planner plan CLUSTER MODEL` takes beyond the two files, each from a flag, else the model
// file's training block (planner/io/training_io.h), else a stated default, and the sentences that
// say which defaults were assumed (docs/minimal-inputs.md).
#ifndef PLANNER_CLI_PLAN_INPUTS_H_
#define PLANNER_CLI_PLAN_INPUTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "planner/cli/command.h"
#include "planner/core/cluster_spec.h"
#include "planner/core/model_spec.h"

namespace planner {

struct PlanInputs {
  int64_t global_batch = 0;          // sequences per step
  std::optional<double> tokens;      // to train (training.tokens)
  std::optional<int64_t> seq_override;  // --seq or training.seq_len, applied to the model
  std::vector<std::string> assumed;  // the cluster file's defaults, then the batch rule's
};

// --global-batch-tokens and --seq (--global-batch is plan's own).
void AddPlanInputOptions(po::options_description* options);

// Sets m->seq_len from --seq or the training block (revalidated) and resolves the global batch:
// --global-batch, --global-batch-tokens, training.global_batch(_tokens), else 4M tokens (Llama
// 2's) as the power-of-two number of sequences nearest 4M / seq_len.
PlanInputs ResolvePlanInputs(const po::variables_map& vm, const std::string& model_arg,
                             const ClusterSpec& c, ModelSpec* m);

// A path or preset name as typed into a shell command (quoted when it needs it).
std::string ShellWord(const std::string& arg);

}  // namespace planner

#endif  // PLANNER_CLI_PLAN_INPUTS_H_
