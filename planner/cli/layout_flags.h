// The layout flags shared by explain and simulate (--gpus --tp --pp --dp --cp --ep --vpp
// --micro-batch --global-batch --recompute --sp --zero --dtype) and their checks.
#ifndef PLANNER_CLI_LAYOUT_FLAGS_H_
#define PLANNER_CLI_LAYOUT_FLAGS_H_

#include <cstdint>
#include <optional>

#include "planner/cli/command.h"
#include "planner/core/cluster_spec.h"
#include "planner/core/model_spec.h"
#include "planner/core/parallel_config.h"

namespace planner {

void AddLayoutOptions(po::options_description* options);
// --seq, if given: the model's sequence length (as `plan --seq` searched with).
void ApplySeqFlag(const po::variables_map& vm, ModelSpec* m);
// --gpus, if given (it resizes the cluster before the layout is checked).
std::optional<int64_t> GpusFlag(const po::variables_map& vm);
// Builds and checks the layout; a layout that does not fit the model or cluster is an
// InputError naming the flag and the constraint.
ParallelConfig LayoutFromFlags(const po::variables_map& vm, const ModelSpec& m,
                               const ClusterSpec& c);

Dtype DtypeFlag(const po::variables_map& vm);
Recompute RecomputeFlag(const po::variables_map& vm);

}  // namespace planner

#endif  // PLANNER_CLI_LAYOUT_FLAGS_H_
