// The layout flags shared by explain and simulate (--gpus --tp --pp --dp --cp --ep --vpp
// --micro-batch --global-batch --recompute --sp --zero --dtype) and their checks.
#ifndef PLANNER_CLI_LAYOUT_FLAGS_H_
#define PLANNER_CLI_LAYOUT_FLAGS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "planner/cli/command.h"
#include "planner/core/cluster_spec.h"
#include "planner/core/model_spec.h"
#include "planner/core/parallel_config.h"
#include "planner/io/input_error.h"

namespace planner {

void AddLayoutOptions(po::options_description* options);
// --seq, if given: the model's sequence length (as `plan --seq` searched with).
void ApplySeqFlag(const po::variables_map& vm, ModelSpec* m);
// --gpus, if given (it resizes the cluster before the layout is checked).
std::optional<int64_t> GpusFlag(const po::variables_map& vm);
// The cluster argument, sized by --gpus if given.
ClusterSpec ClusterFromFlags(const po::variables_map& vm);
// Builds the layout from the flags (a flag value out of range is an InputError); whether it
// fits the model and cluster is checked once the stack's defaults are in
// (LayoutInputsFromFlags).
ParallelConfig LayoutFromFlags(const po::variables_map& vm, const ModelSpec& m,
                               const ClusterSpec& c);

// The layout options' names, from the one table that parses them: "first-stage-layers", and
// as a flag "--first-stage-layers" (core and io name fields only as LayoutField).
const char* OptionName(LayoutField f);
std::string FlagName(LayoutField f);
// A layout error from core as the CLI reports it: the field's flag, the example as flags.
InputError LayoutInputError(const LayoutError& e);
// The layout as flags, " --gpus 512 --tp 8 ... --dtype bf16" (schedule and stage counts when set):
// the inverse of LayoutFromFlags, for the equivalent `planner explain` command.
std::string LayoutCommand(const ParallelConfig& p);

Dtype DtypeFlag(const po::variables_map& vm);
Recompute RecomputeFlag(const po::variables_map& vm);

}  // namespace planner

#endif  // PLANNER_CLI_LAYOUT_FLAGS_H_
