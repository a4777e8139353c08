// libFuzzer target for the CLI argument layer: the input, split at newlines, is an argument list
// for the quick subcommands (count, flops, explain, chinchilla, presets). RunPlanner must turn
// every bad argument into an exit code; output goes to a null stream.
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "planner/cli/run.h"

namespace {

// Long-running subcommands (plan, size, compare, simulate) are left out: a fuzzer asking for a
// search over four million GPUs is slow, not wrong.
bool Quick(const std::string& command) {
  for (const char* c : {"count", "flops", "explain", "chinchilla", "presets"}) {
    if (command == c) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> args;
  std::string current;
  for (size_t i = 0; i < size && args.size() < 16; ++i) {
    if (data[i] == '\n') {
      args.push_back(current);
      current.clear();
    } else {
      current += static_cast<char>(data[i]);
    }
  }
  args.push_back(current);
  if (!Quick(args[0])) return 0;
  std::ostringstream sink;
  std::streambuf* saved = std::cout.rdbuf(sink.rdbuf());
  std::ostringstream err;
  const int rc = planner::RunPlanner(args, err);
  std::cout.rdbuf(saved);
  if (rc == 3) {  // an internal error is a bug: make the fuzzer report it
    std::cerr << err.str();
    __builtin_trap();
  }
  return 0;
}
