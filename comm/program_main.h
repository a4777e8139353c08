// The main of commbench and matbench: parse the options, print help or a usage error on rank 0,
// run, and turn exceptions into the exit codes both programs document (comm/README.md).
#ifndef PLANNER_COMM_PROGRAM_MAIN_H_
#define PLANNER_COMM_PROGRAM_MAIN_H_

#include <cstdio>
#include <exception>
#include <stdexcept>

#include "comm/parse_outcome.h"
#include "comm/world.h"

namespace comm {

// A request this build cannot serve (a backend or engine it was built without): exit 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// `parse(argc, argv)` returns a ParseOutcome; `run(options, world)` the exit status.
template <typename Parse, typename Run>
int ProgramMain(const char* program, int argc, char** argv, Parse parse, Run run) {
  World world(&argc, &argv);
  const auto parsed = parse(argc, argv);
  if (parsed.kind != decltype(parsed)::Kind::kRun) {
    const bool help = parsed.kind == decltype(parsed)::Kind::kHelp;
    if (world.rank() == 0) {
      if (help) {
        std::printf("%s", parsed.message.c_str());
      } else {
        std::fprintf(stderr, "%s: error: %s\n", program, parsed.message.c_str());
      }
    }
    return help ? 0 : kExitUsage;
  }
  try {
    return run(parsed.options, world);
  } catch (const UsageError& e) {
    if (world.rank() == 0) std::fprintf(stderr, "%s: error: %s\n", program, e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    // Other ranks may be waiting in a collective this rank will never join.
    std::fprintf(stderr, "%s: error: rank %d: %s\n", program, world.rank(), e.what());
    std::fflush(stderr);
    if (world.size() > 1) world.Abort(1);
    return 1;
  }
}

}  // namespace comm

#endif  // PLANNER_COMM_PROGRAM_MAIN_H_
