#include "planner/io/format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace planner {

std::string Grouped(Count c) { return CountToString(c, true); }

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string Percent(double fraction, int decimals) { return Fixed(100.0 * fraction, decimals) + "%"; }

std::string Sci(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*e", digits - 1, v);
  return buf;
}

std::string Si(double v, int digits) {
  static const char* const kPrefixes[] = {"", " k", " M", " G", " T", " P", " E", " Z", " Y"};
  int i = 0;
  double x = v;
  while (std::fabs(x) >= 1000.0 && i < 8) {
    x /= 1000.0;
    ++i;
  }
  const int int_digits = std::fabs(x) >= 100 ? 3 : std::fabs(x) >= 10 ? 2 : 1;
  return Fixed(x, std::max(0, digits - int_digits)) + kPrefixes[i];
}

std::string HumanCount(double v, int digits) {
  static const char* const kSuffixes[] = {"", "K", "M", "B", "T", "Q"};
  int i = 0;
  double x = v;
  while (std::fabs(x) >= 1000.0 && i < 5) {
    x /= 1000.0;
    ++i;
  }
  const int int_digits = std::fabs(x) >= 100 ? 3 : std::fabs(x) >= 10 ? 2 : 1;
  return Fixed(x, std::max(0, digits - int_digits)) + kSuffixes[i];
}

nlohmann::ordered_json CountJson(Count c) {
  if (FitsInt64(c)) return static_cast<int64_t>(c);
  return static_cast<double>(c);
}

}  // namespace planner
