// InputError: every problem with user input (files, flags) is thrown as one of these by the I/O and
// CLI layers and caught once in main, which prints "planner: error: <what()>" and exits 2.
#ifndef PLANNER_IO_INPUT_ERROR_H_
#define PLANNER_IO_INPUT_ERROR_H_

#include <stdexcept>
#include <string>
#include <utility>

namespace planner {

class InputError : public std::runtime_error {
 public:
  // A problem at a place in a file: "file:line:col: message" (line and col 1-based).
  InputError(const std::string& file, int line, int col, const std::string& message)
      : std::runtime_error(file + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " +
                           message) {}
  // A problem with a whole file or a flag: "file: message" or "flag: message" (the CLI spells
  // the flag; core and io name a layout field as LayoutField).
  InputError(const std::string& where, const std::string& message)
      : std::runtime_error(where + ": " + message) {}
  explicit InputError(const std::string& message) : std::runtime_error(message) {}
};

// A required value that is absent or null: an InputError wherever it is thrown, but a reader of
// published records (runs_io.h), where null means "the source does not state it", catches it and
// skips that record with the key named instead of failing the file.
class NotStatedError : public InputError {
 public:
  NotStatedError(const std::string& file, int line, int col, const std::string& message,
                 std::string key)
      : InputError(file, line, col, message), key_(std::move(key)) {}
  const std::string& key() const { return key_; }

 private:
  std::string key_;
};

// "Nothing fits" and similar answers that are not input errors: exit 1.
class NoResult : public std::runtime_error {
 public:
  explicit NoResult(const std::string& message) : std::runtime_error(message) {}
};

// An output that could not be written (disk full, I/O error): exit 3, as for a lost stdout.
class WriteError : public std::runtime_error {
 public:
  explicit WriteError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace planner

#endif  // PLANNER_IO_INPUT_ERROR_H_
