// Flags shared by the subcommands that read commbench runs (calibrate.cc, validate_bench.cc).
#ifndef PLANNER_CLI_BENCH_FLAGS_H_
#define PLANNER_CLI_BENCH_FLAGS_H_

#include <boost/program_options.hpp>
#include <cstdint>
#include <string>

#include "planner/io/bench_io.h"

namespace planner {

namespace po = boost::program_options;

// --min-bytes / --max-bytes: a byte count such as 4194304 or 4M. K, M and G are 1024-based, as
// commbench's -b (its sizes are powers of two), unlike the 1000-based quantities of
// ParseQuantity (tokens, FLOPs).
int64_t BytesFlag(const po::variables_map& vm, const std::string& flag);
// --placement out|in|both: which of commbench's out-of-place and in-place times to use.
Placement PlacementFlag(const po::variables_map& vm);

}  // namespace planner

#endif  // PLANNER_CLI_BENCH_FLAGS_H_
