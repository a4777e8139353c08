// Flag parsing with the planner's name tables (planner/core/enum_names.h: ValueNamed, NameList)
// for the enums commbench's and matbench's flags take (data type, operator, backend, engine,
// mode): each names its values once, and ToString, the parser and the error's list read it.
#ifndef PLANNER_COMM_NAME_TABLE_H_
#define PLANNER_COMM_NAME_TABLE_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "planner/core/enum_names.h"

namespace comm {

// Sets `value` from a flag's text, or returns the error: "unknown backend 'gloo' (auto, mpi,
// nccl)".
template <class E, std::size_t N>
std::optional<std::string> ParseFlag(const planner::EnumName<E> (&table)[N], std::string_view what,
                                     const std::string& text, E& value) {
  const std::optional<E> parsed = planner::ValueNamed(table, text);
  if (!parsed)
    return "unknown " + std::string(what) + " '" + text + "' (" + planner::NameList(table) + ")";
  value = *parsed;
  return std::nullopt;
}

}  // namespace comm

#endif  // PLANNER_COMM_NAME_TABLE_H_
