// The strict Boost.Program_options parse that commbench and matbench share.
#ifndef PLANNER_COMM_PARSE_ARGS_H_
#define PLANNER_COMM_PARSE_ARGS_H_

#include <boost/program_options.hpp>
#include <optional>
#include <sstream>
#include <string>

#include "comm/parse_outcome.h"
#include "planner/io/utf8.h"

namespace comm {

// Stores argv into `vm` and runs the notifiers; `positional` may be null (no positional names).
// No prefix guessing: --iter must not silently mean --iters. Returns Boost's message for a bad
// command line, or "" when it parsed.
inline std::string StoreArgs(
    int argc, const char* const argv[],
    const boost::program_options::options_description& described,
    const boost::program_options::positional_options_description* positional,
    boost::program_options::variables_map& vm) {
  namespace po = boost::program_options;
  try {
    po::command_line_parser parser(argc, argv);
    parser.options(described).style(po::command_line_style::default_style &
                                    ~po::command_line_style::allow_guessing);
    if (positional != nullptr) parser.positional(*positional);
    po::store(parser.run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return e.what();
  }
  return "";
}

// --machine goes into the JSON, which must be UTF-8: the flag's error, or nullopt.
inline std::optional<std::string> MachineLabelProblem(const std::string& label) {
  std::string problem = planner::Utf8FlagProblem("--machine", label);
  if (problem.empty()) return std::nullopt;
  return problem;
}

// -n and -w, which both programs take with the same meaning: the flag's error, or nullopt.
inline std::optional<std::string> IterationsProblem(int iters, int warmup_iters) {
  if (iters < 1) return "-n/--iters must be at least 1";
  if (warmup_iters < 0) return "-w/--warmup_iters must not be negative";
  return std::nullopt;
}

// What both programs do around their own flags: Boost's error for a bad command line, help text
// (`usage`, then the flags) for --help, else `resolve(vm)` turns the raw flags into `options` or
// returns the first problem; the command line is kept in `options.argv` for the JSON.
// `described` stores into `options` (and raw strings `resolve` reads), hence the reference.
template <class Options, class Resolve>
ParseOutcome<Options> ParseCommandLine(
    int argc, const char* const argv[],
    const boost::program_options::options_description& described,
    const boost::program_options::positional_options_description* positional, const char* usage,
    Options& options, Resolve resolve) {
  using Outcome = ParseOutcome<Options>;
  boost::program_options::variables_map vm;
  if (std::string error = StoreArgs(argc, argv, described, positional, vm); !error.empty()) {
    return Outcome::Error(error);
  }
  if (vm.count("help")) {
    std::ostringstream text;
    text << usage << described;
    return Outcome::Help(text.str());
  }
  if (const std::optional<std::string> problem = resolve(vm)) return Outcome::Error(*problem);
  options.argv.assign(argv, argv + argc);
  return Outcome::Run(std::move(options));
}

}  // namespace comm

#endif  // PLANNER_COMM_PARSE_ARGS_H_
