// --stack NAME|FILE and --stack-set KEY=VALUE, shared by explain, plan, simulate, size, compare and
// sensitivity, and the layout defaults a stack gives the flags a user did not type.
#ifndef PLANNER_CLI_STACK_FLAGS_H_
#define PLANNER_CLI_STACK_FLAGS_H_

#include <string>
#include <vector>

#include "planner/cli/command.h"
#include "planner/core/cluster_spec.h"
#include "planner/core/model_spec.h"
#include "planner/core/parallel_config.h"
#include "planner/core/stack_spec.h"

namespace planner {

void AddStackOptions(po::options_description* options);

// The named stack (default kDefaultStack) with the --stack-set overrides applied.
StackSpec StackFromFlags(const po::variables_map& vm);

// " --stack NAME --stack-set K=V ...": the flags that name the same stack again.
std::string StackArgs(const po::variables_map& vm, const StackSpec& s);

// "stack: megatron-core (default; --stack to change)" or "stack: fsdp".
std::string StackLine(const po::variables_map& vm, const StackSpec& s);

// Layout flags the user did not give take the stack's defaults (ZeRO stage, --sp when tp > 1,
// micro-batch = local batch for FSDP-style stacks).
void ApplyStackDefaults(const po::variables_map& vm, const StackSpec& s, ParallelConfig* p);

// What explain and simulate price: the model (with --seq), the cluster (sized by --gpus), the
// checked layout flags with the stack's defaults applied, and the stack.
struct LayoutInputs {
  ModelSpec model;
  ClusterSpec cluster;
  ParallelConfig layout;
  StackSpec stack;
  std::vector<std::string> notes;  // what was taken for the layout because the flags left it open
};
LayoutInputs LayoutInputsFromFlags(const po::variables_map& vm);

// Said before a search (plan, size, compare), as for a GPU without the dtype's peak: a stack
// without fp8 or fp4 training (its supports.fp8/fp4) would refuse every layout and leave
// "nothing fits". Throws InputError on --dtype.
void CheckStackDtypes(const StackSpec& stack, const std::vector<Dtype>& dtypes);

// The same for plan's --recompute: a list that holds only selective recompute, with a stack that
// checkpoints whole layers (its supports.selective_recompute), is said before the search. Throws
// InputError on --recompute.
void CheckStackRecomputes(const StackSpec& stack, const std::vector<Recompute>& modes);

}  // namespace planner

#endif  // PLANNER_CLI_STACK_FLAGS_H_
