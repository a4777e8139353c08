#include "planner/cli/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include "planner/io/format.h"

namespace planner {
namespace {

// Layouts one thread considers per second, measured on the 2-core CI VM: 2.3 M/s for the
// README's gpt3-175b on 512 A100s, 10 M/s for mixtral-8x7b on 3.6 M GPUs (most layouts rejected
// before costing). The announcement's estimate takes the lower rate, so it errs long.
constexpr double kLayoutsPerThreadPerS = 2e6;
// Plain lines (stderr not a terminal) start after this long and repeat this often.
constexpr double kLineEvery_s = 5;

}  // namespace

ProgressBar::ProgressBar(std::string what, bool quiet, double time_limit_s)
    : what_(std::move(what)),
      quiet_(quiet),
      terminal_(isatty(STDERR_FILENO) == 1),
      time_limit_s_(time_limit_s),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

ProgressBar::~ProgressBar() {
  if (drawn_) std::fprintf(stderr, "\r\033[K");
}

void ProgressBar::Announce(int64_t total) {
  announced_ = true;
  const double threads = std::max(1u, std::thread::hardware_concurrency());
  const double estimate_s = static_cast<double>(total) / (kLayoutsPerThreadPerS * threads);
  if (time_limit_s_ <= 0 || estimate_s <= time_limit_s_) return;
  std::fprintf(stderr,
               "%s: %s layouts to consider, about %s s on %.0f threads; stopping after "
               "--time-limit %s s with the best layouts found by then\n",
               what_.c_str(), Sci(static_cast<double>(total)).c_str(),
               GroupedRound(estimate_s).c_str(), threads, GroupedRound(time_limit_s_).c_str());
}

void ProgressBar::PrintLine(int64_t done, int64_t total, double elapsed_s) {
  const double fraction = static_cast<double>(done) / static_cast<double>(total);
  const double rate = static_cast<double>(done) / elapsed_s;
  const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0;
  if (!terminal_) {
    std::fprintf(stderr, "%s: %.0f%% of %s layouts, %.0f s, %.2fM layouts/s, ETA %.0f s\n",
                 what_.c_str(), 100 * fraction, Sci(static_cast<double>(total)).c_str(), elapsed_s,
                 rate / 1e6, eta);
    return;
  }
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(fraction * kWidth);
  std::fprintf(stderr, "\r%s [%.*s%*s] %3.0f%%  %.2fM layouts/s  ETA %.0fs\033[K", what_.c_str(),
               filled, "==============================", kWidth - filled, "", 100 * fraction,
               rate / 1e6, eta);
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::Update(int64_t done, int64_t total) {
  if (quiet_ || total <= 0) return;
  if (!announced_) Announce(total);
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double since_last = std::chrono::duration<double>(now - last_).count();
  if (terminal_ ? elapsed < 1.0 || since_last < 0.1
                : elapsed < kLineEvery_s || since_last < kLineEvery_s) {
    return;
  }
  last_ = now;
  PrintLine(done, total, elapsed);
}

std::function<void(int64_t, int64_t)> ProgressBar::Callback() {
  return [this](int64_t done, int64_t total) { Update(done, total); };
}

}  // namespace planner
