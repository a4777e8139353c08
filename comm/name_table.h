// Parsing and listing with the planner's name tables (planner/core/enum_names.h) for the enums
// commbench's and matbench's flags take (data type, operator, backend, engine, mode): each names
// its values once, and ToString, the parser and the error message's list all read that table.
#ifndef PLANNER_COMM_NAME_TABLE_H_
#define PLANNER_COMM_NAME_TABLE_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "planner/core/enum_names.h"

namespace comm {

// A value may stand in several entries: the first is the name ToString prints, the others are
// aliases that only parse (fp32 for float).
template <class E, std::size_t N>
constexpr std::optional<E> ValueNamed(const planner::EnumName<E> (&table)[N],
                                      std::string_view name) {
  for (const planner::EnumName<E>& e : table) {
    if (name == e.name) return e.value;
  }
  return std::nullopt;
}

// "auto, mpi, nccl": the printed names, aliases left out.
template <class E, std::size_t N>
std::string NameList(const planner::EnumName<E> (&table)[N]) {
  std::string list;
  for (const planner::EnumName<E>& e : table) {
    if (std::string_view(planner::NameIn(table, e.value)) != e.name) continue;  // an alias
    list += (list.empty() ? "" : ", ") + std::string(e.name);
  }
  return list;
}

// Sets `value` from a flag's text, or returns the error: "unknown backend 'gloo' (auto, mpi,
// nccl)".
template <class E, std::size_t N>
std::optional<std::string> ParseFlag(const planner::EnumName<E> (&table)[N], std::string_view what,
                                     const std::string& text, E& value) {
  const std::optional<E> parsed = ValueNamed(table, text);
  if (!parsed) return "unknown " + std::string(what) + " '" + text + "' (" + NameList(table) + ")";
  value = *parsed;
  return std::nullopt;
}

}  // namespace comm

#endif  // PLANNER_COMM_NAME_TABLE_H_
