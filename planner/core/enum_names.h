// One table per enum names each value as YAML files, JSON and printed output spell it. ToString
// and the readers (planner/io) both use the table, so a value added to an enum is named, parsed
// and printed from one place.
#ifndef PLANNER_CORE_ENUM_NAMES_H_
#define PLANNER_CORE_ENUM_NAMES_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace planner {

template <class E>
struct EnumName {
  E value;
  const char* name;
};

// "?" for a value the table lacks (an integer cast to the enum).
template <class E, std::size_t N>
constexpr const char* NameIn(const EnumName<E> (&table)[N], E value) {
  for (const EnumName<E>& e : table) {
    if (e.value == value) return e.name;
  }
  return "?";
}

// A value may stand in several entries: the first is the name ToString prints, the others are
// aliases that only parse (fp32 for float).
template <class E, std::size_t N>
constexpr std::optional<E> ValueNamed(const EnumName<E> (&table)[N], std::string_view name) {
  for (const EnumName<E>& e : table) {
    if (name == e.name) return e.value;
  }
  return std::nullopt;
}

// "auto, mpi, nccl": the printed names, aliases left out.
template <class E, std::size_t N>
std::string NameList(const EnumName<E> (&table)[N]) {
  std::string list;
  for (const EnumName<E>& e : table) {
    if (std::string_view(NameIn(table, e.value)) != e.name) continue;  // an alias
    list += (list.empty() ? "" : ", ") + std::string(e.name);
  }
  return list;
}

// (name, value) pairs for a reader or a flag: every entry of the table, or only `values`, in
// their order (a flag that takes a subset, such as the training dtypes).
template <class E, std::size_t N>
std::vector<std::pair<std::string, E>> Choices(const EnumName<E> (&table)[N]) {
  std::vector<std::pair<std::string, E>> choices;
  for (const EnumName<E>& e : table) choices.emplace_back(e.name, e.value);
  return choices;
}
template <class E, std::size_t N, class Values>
std::vector<std::pair<std::string, E>> Choices(const EnumName<E> (&table)[N],
                                               const Values& values) {
  std::vector<std::pair<std::string, E>> choices;
  for (E v : values) choices.emplace_back(NameIn(table, v), v);
  return choices;
}

// The value named `got` among `choices`, or nullopt; the readers and flags then list
// ChoiceNames(choices) in their error.
template <class E>
std::optional<E> FindChoice(const std::vector<std::pair<std::string, E>>& choices,
                            const std::string& got) {
  for (const auto& [name, value] : choices) {
    if (name == got) return value;
  }
  return std::nullopt;
}
template <class E>
std::vector<std::string> ChoiceNames(const std::vector<std::pair<std::string, E>>& choices) {
  std::vector<std::string> names;
  for (const auto& choice : choices) names.push_back(choice.first);
  return names;
}

}  // namespace planner

#endif  // PLANNER_CORE_ENUM_NAMES_H_
