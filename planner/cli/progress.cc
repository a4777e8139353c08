#include "planner/cli/progress.h"

#include <unistd.h>

#include <cstdio>

namespace planner {

ProgressBar::ProgressBar(std::string what, bool quiet)
    : what_(std::move(what)),
      enabled_(!quiet && isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

ProgressBar::~ProgressBar() {
  if (drawn_) std::fprintf(stderr, "\r\033[K");
}

void ProgressBar::Update(int64_t done, int64_t total) {
  if (!enabled_ || total <= 0) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  if (elapsed < 1.0 || std::chrono::duration<double>(now - last_).count() < 0.1) return;
  last_ = now;
  const double fraction = static_cast<double>(done) / static_cast<double>(total);
  const double rate = static_cast<double>(done) / elapsed;
  const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(fraction * kWidth);
  std::fprintf(stderr, "\r%s [%.*s%*s] %3.0f%%  %.2fM layouts/s  ETA %.0fs\033[K", what_.c_str(),
               filled, "==============================", kWidth - filled, "", 100 * fraction,
               rate / 1e6, eta);
  std::fflush(stderr);
  drawn_ = true;
}

std::function<void(int64_t, int64_t)> ProgressBar::Callback() {
  return [this](int64_t done, int64_t total) { Update(done, total); };
}

}  // namespace planner
