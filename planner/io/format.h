// Number formatting for reports: thousands separators for exact counts, SI prefixes for large
// measured quantities, fixed decimals elsewhere. One place so every table looks alike.
#ifndef PLANNER_IO_FORMAT_H_
#define PLANNER_IO_FORMAT_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "planner/core/count.h"
#include "planner/io/table.h"

namespace planner {

std::string Grouped(Count c);                            // 2,127,057,600
std::string GroupedRound(double v);                      // 1102.9 -> 1,103
std::string Si(double v, int digits = 3);                // 4.51 T, 312 G, 1.20 k
// Counts of things (parameters, tokens) the way ML papers write them: 1.56B, 175B, 1.4T, 350M.
std::string HumanCount(double v, int digits = 3);
std::string Fixed(double v, int decimals);               // 7.92
std::string Percent(double fraction, int decimals = 1);  // 55.2%
std::string SignedPercent(double fraction);              // +4.7%, -11.0%
double Share(Count part, Count whole);                   // part / whole, for share columns
std::string Sci(double v, int digits = 3);               // 5.88e+23
std::string Join(const std::vector<std::string>& parts, const std::string& sep);  // a, b, c

// Table cells: the text above for people, the exact number for CSV and JSON.
Cell GroupedCell(Count c);
Cell GroupedRoundCell(double v);
Cell FixedCell(double v, int decimals);
Cell PercentCell(double fraction, int decimals = 1);  // the value stays a fraction
Cell SciCell(double v, int digits = 3);
Cell HumanCountCell(double v);

// Exact in JSON while it fits 64 bits; beyond that a double (JSON has no wider integers).
nlohmann::ordered_json CountJson(Count c);

}  // namespace planner

#endif  // PLANNER_IO_FORMAT_H_
