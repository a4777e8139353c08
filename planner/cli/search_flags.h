// plan's search constraints: every layout flag as one value or a comma-separated list (--tp 4,8,
// --pp, --cp, --ep, --vpp, --micro-batch, --zero, --recompute, --dtype), --max-zero and
// --memory-headroom (10% or 4GiB). Unset flags leave the search free on that axis.
#ifndef PLANNER_CLI_SEARCH_FLAGS_H_
#define PLANNER_CLI_SEARCH_FLAGS_H_

#include <string>

#include "planner/cli/command.h"
#include "planner/core/cluster_spec.h"
#include "planner/core/model_spec.h"
#include "planner/core/search.h"

namespace planner {

void AddSearchConstraintOptions(po::options_description* options);

// Narrows `space` by the flags given. A fixed degree that cannot occur (a tp that does not divide
// the GPU count, an ep on a dense model, a micro-batch that does not divide the global batch) is
// an InputError naming the flag; space->global_batch must be set first.
void ApplySearchConstraints(const po::variables_map& vm, const ModelSpec& m, const ClusterSpec& c,
                            SearchSpace* space);

// The flags given, as they would be typed again ("--tp 8 --max-zero 1"), for the output to say
// what the search was limited to; empty when none.
std::string SearchConstraintsText(const po::variables_map& vm);

}  // namespace planner

#endif  // PLANNER_CLI_SEARCH_FLAGS_H_
