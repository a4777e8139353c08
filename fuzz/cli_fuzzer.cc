// libFuzzer target for the CLI argument layer: the input, split at newlines, is an argument list
// for a subcommand (count, flops, explain, chinchilla, presets, and plan, size, compare and
// simulate on small inputs). RunPlanner must turn every bad argument into an exit code; output
// goes to a null stream.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "planner/cli/run.h"

namespace {

bool OneOf(const std::string& s, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    if (s == n) return true;
  }
  return false;
}

// The searching subcommands run only on small inputs, so that a fuzzer asking for a search over
// four million GPUs or a billion micro-batches is not reported as a hang (slow, not wrong): no
// run of more than three digits, no exponent ("1e9"; a scaled "999T" is at most 2^30 sequences,
// the batch limit), and no --threads. Nothing writes files (--trace, -o, --write-bands): the
// fuzzer must not litter or overwrite.
bool Small(const std::vector<std::string>& args) {
  for (const std::string& a : args) {
    if (a.find("trace") != std::string::npos || a.find("write") != std::string::npos ||
        a.find("thread") != std::string::npos || a == "-o" || a.rfind("--output", 0) == 0) {
      return false;
    }
    size_t run = 0;
    for (char ch : a) {
      if (run > 0 && (ch == 'e' || ch == 'E')) return false;
      run = ch >= '0' && ch <= '9' ? run + 1 : 0;
      if (run > 3) return false;
    }
  }
  return true;
}

bool Has(const std::vector<std::string>& args, const char* flag) {
  return std::find(args.begin(), args.end(), flag) != args.end();
}

bool Fuzzable(const std::vector<std::string>& args) {
  if (OneOf(args[0], {"count", "flops", "explain", "chinchilla", "presets"})) return true;
  // size without --gpu and --gpus sweeps every GPU type and count: ~1e8 layouts, a second
  // in a release build and tens of seconds under the fuzzer's instrumentation.
  if (args[0] == "size" && !(Has(args, "--gpu") && Has(args, "--gpus"))) return false;
  return OneOf(args[0], {"plan", "size", "compare", "simulate"}) && Small(args);
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
  if (!Fuzzable(args)) return 0;
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
