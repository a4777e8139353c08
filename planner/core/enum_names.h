// One table per enum names each value as YAML files, JSON and printed output spell it. ToString
// and the readers (planner/io) both use the table, so a value added to an enum is named, parsed
// and printed from one place.
#ifndef PLANNER_CORE_ENUM_NAMES_H_
#define PLANNER_CORE_ENUM_NAMES_H_

#include <cstddef>

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

}  // namespace planner

#endif  // PLANNER_CORE_ENUM_NAMES_H_
