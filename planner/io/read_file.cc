#include "planner/io/read_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "planner/io/input_error.h"
#include "planner/io/utf8.h"

namespace planner {
namespace {

constexpr int64_t kMiB = int64_t{1} << 20;

std::string MiBText(int64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g MiB", static_cast<double>(bytes) / kMiB);
  return text;
}

std::string LimitAdvice(int64_t limit) {
  return "the limit is " + MiBText(limit) +
         "; planner inputs are small, and PLANNER_MAX_INPUT_MB raises the limit";
}

// Closes the descriptor on every path out of ReadInputFile.
struct FdCloser {
  int fd;
  ~FdCloser() { ::close(fd); }
};

[[noreturn]] void FailRead(const std::string& path, int error) {
  throw InputError(path, std::string("cannot read file: ") + std::strerror(error));
}

}  // namespace

void CheckInputItems(const std::string& path, const std::string& text, const std::string& kind) {
  const size_t items = static_cast<size_t>(std::count(text.begin(), text.end(), '\n') +
                                           std::count(text.begin(), text.end(), ','));
  if (items > kMaxInputItems) {
    throw InputError(path, std::to_string(items) + " lines and commas, more than the " +
                               std::to_string(kMaxInputItems) + " a " + kind +
                               " input may have (planner inputs have far fewer)");
  }
}

void CheckUtf8(const std::string& path, const std::string& text, const std::string& kind) {
  const size_t bad = FirstInvalidUtf8(text);
  if (bad == std::string::npos) return;
  int line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < bad; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned char>(text[bad]));
  throw InputError(
      path, line, static_cast<int>(bad - line_start) + 1,
      std::string("not UTF-8 text (byte ") + hex + "); save the " + kind + " file as UTF-8");
}

int64_t MaxInputBytes() {
  const char* env = std::getenv("PLANNER_MAX_INPUT_MB");
  if (env == nullptr || *env == '\0') return kDefaultMaxInput_MiB * kMiB;
  const std::string text(env);
  double mib = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), mib);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(mib) || mib <= 0 ||
      mib > 1e6) {
    throw InputError("PLANNER_MAX_INPUT_MB",
                     "must be a number of MiB between 0 and 1e6, got '" + text + "'");
  }
  return std::max<int64_t>(1, static_cast<int64_t>(mib * static_cast<double>(kMiB)));
}

std::string ReadInputFile(const std::string& path, const std::string& kind) {
  const int64_t limit = MaxInputBytes();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == EISDIR) throw InputError(path, "is a directory; expected a " + kind + " file");
    FailRead(path, errno);
  }
  const FdCloser closer{fd};
  struct stat st = {};
  if (::fstat(fd, &st) != 0) FailRead(path, errno);
  if (S_ISDIR(st.st_mode)) throw InputError(path, "is a directory; expected a " + kind + " file");
  if (S_ISREG(st.st_mode) && st.st_size > limit) {
    throw InputError(path, "file is " + MiBText(st.st_size) + ", too large for a " + kind +
                               " input (" + LimitAdvice(limit) + ")");
  }
  // Devices and pipes have no size: read in chunks, stopping at the limit or the first NUL.
  std::string text;
  char chunk[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      FailRead(path, errno);
    }
    if (n == 0) break;
    const void* nul = std::memchr(chunk, '\0', static_cast<size_t>(n));
    if (nul != nullptr) {
      text.append(chunk, static_cast<const char*>(nul) - chunk + 1);
      return text;  // the caller names it binary data at this offset
    }
    text.append(chunk, static_cast<size_t>(n));
    if (static_cast<int64_t>(text.size()) > limit) {
      throw InputError(path, "more than " + MiBText(limit) + " read without an end, too much " +
                                 "for a " + kind + " input (" + LimitAdvice(limit) + ")");
    }
  }
  CheckUtf8(path, text, kind);
  CheckInputItems(path, text, kind);
  return text;
}

}  // namespace planner
