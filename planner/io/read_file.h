// Reading a whole input file, with the errors every reader reports the same way.
#ifndef PLANNER_IO_READ_FILE_H_
#define PLANNER_IO_READ_FILE_H_

#include <string>

namespace planner {

// The bytes of `path`. A directory, a missing or unreadable file is an InputError naming the path
// and the reason ("cannot read file: No such file or directory"); `kind` names what was expected
// ("YAML", "JSON") in the directory message.
std::string ReadInputFile(const std::string& path, const std::string& kind);

}  // namespace planner

#endif  // PLANNER_IO_READ_FILE_H_
