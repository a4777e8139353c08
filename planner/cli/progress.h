// Progress of long searches on stderr (nothing goes to stdout), never with --quiet: a bar redrawn
// in place when stderr is a terminal, plain lines every few seconds when it is not (a log, CI),
// both only once the work has run for a while. Before the work starts, a search too big for its
// time limit is announced with its size and where it will stop.
#ifndef PLANNER_CLI_PROGRESS_H_
#define PLANNER_CLI_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace planner {

class ProgressBar {
 public:
  // `time_limit_s` (0: none) is the search's --time-limit, for the announcement.
  ProgressBar(std::string what, bool quiet, double time_limit_s = 0);
  ~ProgressBar();  // clears the line if anything was drawn
  void Update(int64_t done, int64_t total);
  std::function<void(int64_t, int64_t)> Callback();

 private:
  void Announce(int64_t total);
  void PrintLine(int64_t done, int64_t total, double elapsed_s);

  std::string what_;
  bool quiet_;
  bool terminal_;
  double time_limit_s_;
  bool drawn_ = false;
  bool announced_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace planner

#endif  // PLANNER_CLI_PROGRESS_H_
