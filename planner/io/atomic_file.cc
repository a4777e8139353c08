#include "planner/io/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace planner {
namespace {

// Names carry an "Atomic" prefix: this file is compiled into unity builds of two libraries.
WriteFailure AtomicFailure(const std::string& path, int error, bool bad_path) {
  return {error, "cannot write " + path + ": " + std::strerror(error), bad_path};
}

// Errors that mean the path is wrong rather than the write failing.
bool AtomicIsPathError(int error) {
  return error == ENOENT || error == ENOTDIR || error == EACCES || error == EPERM ||
         error == EISDIR || error == ELOOP || error == ENAMETOOLONG || error == EROFS;
}

// Writes all of `text` to `fd`, retrying short writes and interrupted calls; returns errno or 0.
int AtomicWriteAll(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    text.remove_prefix(static_cast<size_t>(n));
  }
  return 0;
}

// A device or pipe given as the output: written in place, as a shell redirection would.
std::optional<WriteFailure> AtomicWriteInPlace(const std::string& path, std::string_view text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return AtomicFailure(path, errno, AtomicIsPathError(errno));
  int error = AtomicWriteAll(fd, text);
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error != 0) return AtomicFailure(path, error, false);
  return std::nullopt;
}

}  // namespace

bool SameFile(const std::string& a, const std::string& b) {
  struct stat sa = {};
  struct stat sb = {};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

std::optional<WriteFailure> WriteFileAtomically(const std::string& path, std::string_view text,
                                                const std::vector<std::string>& inputs) {
  for (const std::string& input : inputs) {
    if (SameFile(path, input)) {
      return WriteFailure{EEXIST,
                          "cannot write " + path + ": it is also an input of this run (" + input +
                              "); choose another output path",
                          true};
    }
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path target(path);
  if (fs::is_symlink(fs::symlink_status(target, ec))) {
    const fs::path resolved = fs::weakly_canonical(target, ec);
    if (!ec) target = resolved;
  }
  struct stat existing = {};
  const bool exists = ::stat(target.c_str(), &existing) == 0;
  if (exists && S_ISDIR(existing.st_mode)) return AtomicFailure(path, EISDIR, true);
  if (exists && !S_ISREG(existing.st_mode)) return AtomicWriteInPlace(path, text);

  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string temp = (dir / ("." + target.filename().string() + ".tmp.XXXXXX")).string();
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) return AtomicFailure(path, errno, AtomicIsPathError(errno));
  // mkstemp creates mode 0600; give the file the mode a plain open would (or the old file's).
  mode_t mode = 0;
  if (exists) {
    mode = existing.st_mode & 07777;
  } else {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    mode = 0666 & ~mask;
  }
  int error = AtomicWriteAll(fd, text);
  if (error == 0 && ::fchmod(fd, mode) != 0) error = errno;
  if (error == 0 && ::fsync(fd) != 0) error = errno;
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error == 0 && ::rename(temp.c_str(), target.c_str()) != 0) error = errno;
  if (error != 0) {
    ::unlink(temp.c_str());
    return AtomicFailure(path, error, AtomicIsPathError(error));
  }
  return std::nullopt;
}

}  // namespace planner
