// The planner's side of atomic_file.h: an output file written atomically, with its failures as
// the planner's errors.
#ifndef PLANNER_IO_OUTPUT_FILE_H_
#define PLANNER_IO_OUTPUT_FILE_H_

#include <string>
#include <string_view>
#include <vector>

namespace planner {

// Writes `text` to `path` (given by the option `flag`, e.g. simulate's trace) through
// WriteFileAtomically. A wrong path or an output that is one of `inputs` is an InputError naming
// the flag (exit 2); a failed write is a WriteError (exit 3).
void WriteOutputFile(const std::string& flag, const std::string& path, std::string_view text,
                     const std::vector<std::string>& inputs = {});

}  // namespace planner

#endif  // PLANNER_IO_OUTPUT_FILE_H_
