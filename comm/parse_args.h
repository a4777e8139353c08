// The strict Boost.Program_options parse that commbench and matbench share.
#ifndef PLANNER_COMM_PARSE_ARGS_H_
#define PLANNER_COMM_PARSE_ARGS_H_

#include <boost/program_options.hpp>
#include <string>

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

}  // namespace comm

#endif  // PLANNER_COMM_PARSE_ARGS_H_
