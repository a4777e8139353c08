#include "planner/io/output_file.h"

#include "planner/io/atomic_file.h"
#include "planner/io/input_error.h"

namespace planner {

void WriteOutputFile(const std::string& flag, const std::string& path, std::string_view text,
                     const std::vector<std::string>& inputs) {
  const auto failure = WriteFileAtomically(path, text, inputs);
  if (!failure) return;
  if (failure->bad_path) throw InputError(flag, failure->message);
  throw WriteError(flag + ": " + failure->message);
}

}  // namespace planner
