// A progress bar on stderr for long searches: drawn only when stderr is a terminal, only after the
// work has run for a second, and never with --quiet. Nothing goes to stdout.
#ifndef PLANNER_CLI_PROGRESS_H_
#define PLANNER_CLI_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace planner {

class ProgressBar {
 public:
  ProgressBar(std::string what, bool quiet);
  ~ProgressBar();  // clears the line if anything was drawn
  void Update(int64_t done, int64_t total);
  std::function<void(int64_t, int64_t)> Callback();

 private:
  std::string what_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace planner

#endif  // PLANNER_CLI_PROGRESS_H_
