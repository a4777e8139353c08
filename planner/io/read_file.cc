#include "planner/io/read_file.h"

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "planner/io/input_error.h"

namespace planner {

std::string ReadInputFile(const std::string& path, const std::string& kind) {
  std::error_code fs_error;
  if (std::filesystem::is_directory(path, fs_error)) {
    throw InputError(path, "is a directory; expected a " + kind + " file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const std::error_code ec(errno, std::generic_category());
    throw InputError(path, "cannot read file: " + ec.message());
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw InputError(path, "cannot read file (is it a directory?)");
  return text.str();
}

}  // namespace planner
