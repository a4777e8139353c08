// What a command-line parser hands back: options to run with, help text to print (exit 0), or an
// error to print as "<program>: error: <message>" (exit 2).
#ifndef PLANNER_COMM_PARSE_OUTCOME_H_
#define PLANNER_COMM_PARSE_OUTCOME_H_

#include <string>
#include <utility>

namespace comm {

inline constexpr int kExitUsage = 2;

template <typename Options>
struct ParseOutcome {
  enum class Kind { kRun, kHelp, kError };
  Kind kind = Kind::kRun;
  Options options;
  std::string message;  // help text or error message

  static ParseOutcome Run(Options o) { return {Kind::kRun, std::move(o), {}}; }
  static ParseOutcome Error(std::string m) { return {Kind::kError, {}, std::move(m)}; }
  static ParseOutcome Help(std::string text) { return {Kind::kHelp, {}, std::move(text)}; }
};

}  // namespace comm

#endif  // PLANNER_COMM_PARSE_OUTCOME_H_
