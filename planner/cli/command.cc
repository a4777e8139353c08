#include "planner/cli/command.h"

#include <algorithm>
#include <cmath>
#include <iostream>

#include "planner/io/input_error.h"
#include "planner/io/quantity.h"
#include "planner/io/suggest.h"
#include "planner/io/utf8.h"

namespace planner {

bool ParseCommandLine(const std::string& command, const std::string& usage,
                      const po::options_description& options,
                      const std::vector<std::string>& positional,
                      const std::vector<std::string>& args, po::variables_map* vm) {
  // Every subcommand takes --quiet (and --format, from AddFormatOption): the ones with nothing
  // to keep quiet accept it, so scripts can pass it to any of them.
  po::options_description shown(options);
  if (!options.find_nothrow("quiet", false)) {
    shown.add_options()("quiet", po::bool_switch(), "no progress bar on stderr");
  }
  po::options_description all(shown);
  po::positional_options_description pos;
  for (const std::string& p : positional) {
    all.add_options()(p.c_str(), po::value<std::string>(), "");
    pos.add(p.c_str(), 1);
  }
  all.add_options()("help,h", "show this help");
  // Boost.Program_options builds its error messages by replacing %placeholders% with the
  // offending argument, and loops forever when the argument itself contains one (found by
  // fuzz/cli_fuzzer). No real argument needs them, so refuse such arguments up front.
  for (const std::string& a : args) {
    // Arguments end up in JSON reports (names, paths), whose writer stops at non-UTF-8 bytes.
    if (const size_t bad = FirstInvalidUtf8(a); bad != std::string::npos) {
      throw InputError("planner " + command, "argument '" + a + "' is not UTF-8 text (byte " +
                                                 std::to_string(bad) + ")");
    }
    for (const char* p : {"%canonical_option%", "%original_token%", "%value%", "%option%",
                          "%prefix_option%"}) {
      if (a.find(p) != std::string::npos) {
        throw InputError("planner " + command, "argument '" + a + "' contains '" + p +
                                                   "', which is not allowed in arguments");
      }
    }
  }
  try {
    // No prefix guessing: --gpu must not silently mean --gpus, nor --glob --global-batch.
    po::store(po::command_line_parser(args)
                  .options(all)
                  .positional(pos)
                  .style(po::command_line_style::default_style &
                         ~po::command_line_style::allow_guessing)
                  .run(),
              *vm);
  } catch (const po::unknown_option& e) {
    std::vector<std::string> names;
    for (const auto& o : shown.options()) names.push_back("--" + o->long_name());
    throw InputError("planner " + command, std::string(e.what()) +
                                               DidYouMean(e.get_option_name(), names) +
                                               "; see `planner " + command + " --help`");
  } catch (const po::error& e) {
    throw InputError("planner " + command,
                     std::string(e.what()) + "; see `planner " + command + " --help`");
  }
  if (vm->count("help")) {
    std::cout << "usage: planner " << command << " " << usage << "\n\n" << shown << "\n";
    return false;
  }
  po::notify(*vm);
  for (const std::string& p : positional) {
    if (!vm->count(p)) {
      throw InputError("planner " + command, "missing argument " + p + "; usage: planner " +
                                                 command + " " + usage.substr(0, usage.find('\n')));
    }
  }
  return true;
}

int64_t PositiveFlag(const po::variables_map& vm, const std::string& flag, int64_t max_value) {
  const int64_t v = vm[flag].as<int64_t>();
  if (v <= 0) {
    throw InputError("--" + flag, "must be a positive integer, got " + std::to_string(v));
  }
  if (v > max_value) {
    throw InputError("--" + flag, std::to_string(v) + " is implausibly large (limit " +
                                      std::to_string(max_value) + ")");
  }
  return v;
}

double PositiveDoubleFlag(const po::variables_map& vm, const std::string& flag) {
  const double v = vm[flag].as<double>();
  if (!std::isfinite(v) || v <= 0) {
    throw InputError("--" + flag, "must be a positive, finite number, got " + std::to_string(v));
  }
  return v;
}

double ParseQuantity(const std::string& flag, const std::string& text) {
  const std::optional<double> v = ParseSuffixedNumber(text);
  if (!v) {
    throw InputError("--" + flag, "must be a positive number such as 300e9 or 1.4T, got '" + text +
                                      "'");
  }
  return *v;
}

double QuantityFlag(const po::variables_map& vm, const std::string& flag) {
  return ParseQuantity(flag, vm[flag].as<std::string>());
}

bool HasFlag(const std::vector<std::string>& args, const std::string& flag) {
  return std::any_of(args.begin(), args.end(), [&](const std::string& a) {
    return a == flag || a.starts_with(flag + "=");
  });
}

std::optional<std::string> FirstPositional(const std::vector<std::string>& args,
                                           const po::options_description& options) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    // "--" ends the options (as for Boost's parser); an empty name would match every option
    // (find_nothrow throws "ambiguous" on it: the CLI fuzzer's `compare --run a:x --`).
    if (a == "--") return i + 1 < args.size() ? std::optional(args[i + 1]) : std::nullopt;
    if (a.starts_with("--")) {
      const po::option_description* d = options.find_nothrow(a.substr(2), false);
      if (a.find('=') == std::string::npos && d && d->semantic()->max_tokens() > 0) ++i;
      continue;
    }
    if (a.size() > 1 && a[0] == '-') continue;
    return a;
  }
  return std::nullopt;
}

std::optional<OutputFormat> ParseFormattedCommandLine(const std::string& command,
                                                      const std::string& usage,
                                                      const po::options_description& options,
                                                      const std::vector<std::string>& positional,
                                                      const std::vector<std::string>& args,
                                                      po::variables_map* vm) {
  if (!ParseCommandLine(command, usage, options, positional, args, vm)) return std::nullopt;
  return FormatFlag(*vm);
}

void AddFormatOption(po::options_description* options) {
  options->add_options()("format", po::value<std::string>()->default_value("table"),
                         "output: table (aligned text), json (schema in docs/json.md) or csv");
}

void AddTimeLimitOption(po::options_description* options) {
  options->add_options()("time-limit", po::value<double>()->default_value(kDefaultTimeLimit_s),
                         "seconds the search may take; past them it stops and reports the best "
                         "layouts found so far (0: no limit)");
}

double TimeLimitFlag(const po::variables_map& vm) {
  const double v = vm["time-limit"].as<double>();
  if (!std::isfinite(v) || v < 0 || v > 1e7) {
    throw InputError("--time-limit", "must be a number of seconds between 0 (no limit) and 1e7, "
                                     "got " + std::to_string(v));
  }
  return v;
}

OutputFormat FormatFlag(const po::variables_map& vm) {
  return EnumFlag<OutputFormat>(
      vm, "format",
      {{"table", OutputFormat::kTable}, {"json", OutputFormat::kJson}, {"csv", OutputFormat::kCsv}});
}

void FailEnumFlag(const std::string& flag, const std::string& got,
                  const std::vector<std::string>& names) {
  throw InputError("--" + flag, "must be " + JoinChoices(names) + ", got '" + got + "'" +
                                    DidYouMean(got, names));
}

}  // namespace planner
