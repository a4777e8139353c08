// The whole planner command line as a function: dispatches to a subcommand and turns every error
// into a message on `err` and an exit code (2 input error, 1 nothing fits, 3 internal error).
// main.cc calls it; the CLI fuzzer calls it in-process.
#ifndef PLANNER_CLI_RUN_H_
#define PLANNER_CLI_RUN_H_

#include <ostream>
#include <string>
#include <vector>

namespace planner {

int RunPlanner(const std::vector<std::string>& args, std::ostream& err);

}  // namespace planner

#endif  // PLANNER_CLI_RUN_H_
