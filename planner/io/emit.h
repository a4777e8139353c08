// A command's result in the format the user chose (--format): its three reporters, a JSON
// document, the CSV of its main table and the text for people, behind one call (as
// google/benchmark's console, JSON and CSV reporters are). Only the chosen one is built.
#ifndef PLANNER_IO_EMIT_H_
#define PLANNER_IO_EMIT_H_

#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>

#include "planner/io/table.h"

namespace planner {

struct Reporters {
  std::function<nlohmann::ordered_json()> json;  // written indented, one document
  std::function<Table()> csv;                    // RenderCsv
  std::function<void(std::ostream&)> text;       // tables, notes and warnings
};

void Emit(OutputFormat format, const Reporters& r, std::ostream& out = std::cout);

}  // namespace planner

#endif  // PLANNER_IO_EMIT_H_
