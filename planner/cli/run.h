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

// Flushes standard output and error and returns `code`, or 3 after one message on stderr when
// output was lost (a full disk, /dev/full, a closed pipe): a report cut short must not exit 0.
int FinishOutput(int code);

}  // namespace planner

#endif  // PLANNER_CLI_RUN_H_
