// Writing an output file so that it is never seen half-written: the text goes to a temporary file
// in the target's directory, is flushed to disk, and is renamed over the target only after every
// write succeeded. A full disk, a Ctrl-C or a concurrent writer leaves the target absent, the old
// file or a complete new one. No planner dependencies (comm/ compiles this file into its own
// library): failures are returned, not thrown.
#ifndef PLANNER_IO_ATOMIC_FILE_H_
#define PLANNER_IO_ATOMIC_FILE_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace planner {

struct WriteFailure {
  int error = 0;        // errno of the step that failed
  std::string message;  // "cannot write PATH: No space left on device"
  // Whether the path itself is wrong (no such directory, no permission, a directory, the same
  // file as an input), an input error, rather than a failure while writing (disk full, I/O).
  bool bad_path = false;
};

// Writes `text` to `path` atomically. A path that exists and is not a regular file (/dev/null,
// /dev/full, a pipe) is written in place: it cannot be replaced, only written to. A symbolic
// link is followed, so the file it points at is replaced. `inputs` are the files this run read:
// an output that is one of them is refused before anything is written.
std::optional<WriteFailure> WriteFileAtomically(const std::string& path, std::string_view text,
                                                const std::vector<std::string>& inputs = {});

// Whether `a` and `b` name the same existing file (same device and inode).
bool SameFile(const std::string& a, const std::string& b);

}  // namespace planner

#endif  // PLANNER_IO_ATOMIC_FILE_H_
