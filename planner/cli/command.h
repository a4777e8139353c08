// The subcommand table and the argument helpers every subcommand shares.
#ifndef PLANNER_CLI_COMMAND_H_
#define PLANNER_CLI_COMMAND_H_

#include <boost/program_options.hpp>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "planner/core/enum_names.h"
#include "planner/io/table.h"

namespace planner {

struct Command {
  const char* name;
  const char* summary;  // one line for `planner --help`
  int (*run)(const std::vector<std::string>& args);
};

const std::vector<Command>& Commands();

namespace po = boost::program_options;

// Parses `args` against `options` and `positional` names (each exactly once). Prints usage and
// returns false on --help; throws InputError (naming the flag) on bad input.
bool ParseCommandLine(const std::string& command, const std::string& usage,
                      const po::options_description& options,
                      const std::vector<std::string>& positional,
                      const std::vector<std::string>& args, po::variables_map* vm);
// ParseCommandLine for a subcommand that reports in the --format AddFormatOption added (all of
// them do): the format asked for, or nullopt on --help.
std::optional<OutputFormat> ParseFormattedCommandLine(const std::string& command,
                                                      const std::string& usage,
                                                      const po::options_description& options,
                                                      const std::vector<std::string>& positional,
                                                      const std::vector<std::string>& args,
                                                      po::variables_map* vm);

// Validated flag values; errors name the flag.
int64_t PositiveFlag(const po::variables_map& vm, const std::string& flag, int64_t max_value);
double PositiveDoubleFlag(const po::variables_map& vm, const std::string& flag);
OutputFormat FormatFlag(const po::variables_map& vm);
// A string flag that must be one of `values`; the error lists them and suggests the closest.
template <class E>
E EnumFlag(const po::variables_map& vm, const std::string& flag,
           const std::vector<std::pair<std::string, E>>& values);
// The same for one item of a flag's text (a comma-separated list's).
template <class E>
E ParseEnumFlag(const std::string& flag, const std::string& text,
                const std::vector<std::pair<std::string, E>>& values);

// A positive quantity with an optional SI-style suffix (K, M, B or G, T) or exponent: "300e9",
// "1.4T", "70B". The error names the flag.
double QuantityFlag(const po::variables_map& vm, const std::string& flag);
double ParseQuantity(const std::string& flag, const std::string& text);

// Whether `flag` ("--run") appears in `args`, as "--run V" or "--run=V": for choices that must be
// made before parsing (which positional arguments a command takes).
bool HasFlag(const std::vector<std::string>& args, const std::string& flag);
// The first argument that is neither a flag nor a flag's value, by `options`' arities.
std::optional<std::string> FirstPositional(const std::vector<std::string>& args,
                                           const po::options_description& options);

// --format table|json|csv, default table.
void AddFormatOption(po::options_description* options);

// --time-limit SECONDS for the layout searches (plan, size): past it they stop and report the
// best layouts found so far, saying so. Documented in README.md.
inline constexpr double kDefaultTimeLimit_s = 60;
void AddTimeLimitOption(po::options_description* options);
double TimeLimitFlag(const po::variables_map& vm);  // seconds, 0 = no limit

[[noreturn]] void FailEnumFlag(const std::string& flag, const std::string& got,
                               const std::vector<std::string>& names);

template <class E>
E ParseEnumFlag(const std::string& flag, const std::string& text,
                const std::vector<std::pair<std::string, E>>& values) {
  if (const std::optional<E> v = FindChoice(values, text)) return *v;
  FailEnumFlag(flag, text, ChoiceNames(values));
}

template <class E>
E EnumFlag(const po::variables_map& vm, const std::string& flag,
           const std::vector<std::pair<std::string, E>>& values) {
  return ParseEnumFlag(flag, vm[flag].as<std::string>(), values);
}

}  // namespace planner

#endif  // PLANNER_CLI_COMMAND_H_
