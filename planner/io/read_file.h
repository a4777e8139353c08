// Reading a whole input file, with the errors every reader reports the same way.
#ifndef PLANNER_IO_READ_FILE_H_
#define PLANNER_IO_READ_FILE_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace planner {

// Inputs are small (the largest shipped file is under 100 KB), so a read stops at this many
// bytes: /dev/zero, /dev/urandom or a stray 1 GB file end in an error instead of filling memory.
// PLANNER_MAX_INPUT_MB (a positive number of MiB) overrides the default.
inline constexpr int64_t kDefaultMaxInput_MiB = 8;
int64_t MaxInputBytes();  // throws InputError naming PLANNER_MAX_INPUT_MB when it is malformed

// The bytes of `path`. A directory, a missing or unreadable file is an InputError naming the path
// and the reason ("cannot read file: No such file or directory"); `kind` names what was expected
// ("YAML", "JSON") in the messages. A file over MaxInputBytes() is an InputError. Reading stops
// at the first NUL byte, which is kept as the last byte so the caller reports binary data at its
// offset; text without NUL must be UTF-8, else an InputError at the line and column of the first
// bad byte.
std::string ReadInputFile(const std::string& path, const std::string& kind);

// yaml-cpp spends about 3 us and 500 bytes per node (the strict JSON reader about 2 us), so a
// file of millions of list items would take seconds and gigabytes before the first error. Lines
// plus commas bound the node count from above and cost one pass to count; the largest shipped
// inputs have 10,173 (tests/data/runs.yaml) and 5,451 (a commbench sweep).
inline constexpr size_t kMaxInputItems = 100000;
// Throws an InputError when `text` has more than kMaxInputItems lines and commas; ReadInputFile
// applies it to every file.
void CheckInputItems(const std::string& path, const std::string& text, const std::string& kind);

// Throws an InputError at the line and column of the first byte of `text` that is not UTF-8.
void CheckUtf8(const std::string& path, const std::string& text, const std::string& kind);

}  // namespace planner

#endif  // PLANNER_IO_READ_FILE_H_
