#include "planner/io/format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace planner {

std::string Grouped(Count c) { return CountToString(c, true); }

std::string SignedPercent(double fraction) {
  return (fraction >= 0 ? "+" : "") + Percent(fraction, 1);
}

double Share(Count part, Count whole) {
  return static_cast<double>(part) / static_cast<double>(whole);
}

// Validated specs keep every figure finite and far from these bounds; the checks stand between a
// model bug and a NaN cast to an integer (undefined) or a number printed with 300 digits.
std::string GroupedRound(double v) {
  if (!std::isfinite(v)) return "n/a";
  if (std::fabs(v) >= 9e18) return Sci(v);
  return Grouped(static_cast<Count>(std::llround(v)));
}

std::string Fixed(double v, int decimals) {
  if (!std::isfinite(v)) return "n/a";
  if (std::fabs(v) >= 1e15) return Sci(v);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string Percent(double fraction, int decimals) { return Fixed(100.0 * fraction, decimals) + "%"; }

std::string Sci(double v, int digits) {
  if (!std::isfinite(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*e", digits - 1, v);
  return buf;
}

namespace {

// x scaled down by 1000s until it prints below 1000 at `digits` significant digits (so 999.95
// becomes "1.00" of the next prefix, not "1000").
std::string Scaled(double v, int digits, const char* const* prefixes, int n_prefixes) {
  int i = 0;
  double x = v;
  for (;;) {
    const int int_digits = std::fabs(x) >= 100 ? 3 : std::fabs(x) >= 10 ? 2 : 1;
    const std::string text = Fixed(x, std::max(0, digits - int_digits));
    const bool too_long = std::fabs(std::stod(text)) >= 1000.0;
    if ((!too_long && std::fabs(x) < 1000.0) || i + 1 == n_prefixes) return text + prefixes[i];
    x /= 1000.0;
    ++i;
  }
}

}  // namespace

std::string Si(double v, int digits) {
  static const char* const kPrefixes[] = {"", " k", " M", " G", " T", " P", " E", " Z", " Y"};
  return Scaled(v, digits, kPrefixes, 9);
}

std::string HumanCount(double v, int digits) {
  static const char* const kSuffixes[] = {"", "K", "M", "B", "T", "Q"};
  return Scaled(v, digits, kSuffixes, 6);
}

nlohmann::ordered_json CountJson(Count c) {
  if (FitsInt64(c)) return static_cast<int64_t>(c);
  return static_cast<double>(c);
}

Cell GroupedCell(Count c) { return Cell(Grouped(c), static_cast<double>(c)); }
Cell GroupedRoundCell(double v) { return Cell(GroupedRound(v), v); }
Cell FixedCell(double v, int decimals) { return Cell(Fixed(v, decimals), v); }
Cell PercentCell(double fraction, int decimals) {
  return Cell(Percent(fraction, decimals), fraction);
}
Cell SciCell(double v, int digits) { return Cell(Sci(v, digits), v); }
Cell HumanCountCell(double v) { return Cell(HumanCount(v), v); }

std::string Join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string s;
  for (size_t i = 0; i < parts.size(); ++i) s += (i ? sep : "") + parts[i];
  return s;
}

}  // namespace planner
