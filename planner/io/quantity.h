// The one grammar for quantities typed by people (token counts, batch tokens, budgets), shared by
// the flags (`--tokens`, `--batch-tokens`, chinchilla's budgets) and the runs and compare files:
// a decimal number with an optional exponent and an optional K (1e3), M (1e6), B or G (1e9) or
// T (1e12) suffix in either case: 300e9, 1.4T, 1.4t, 4M, 70B. No sign, hex, nan, inf, spaces or
// trailing text. Header only: the CLI and io both use it.
#ifndef PLANNER_IO_QUANTITY_H_
#define PLANNER_IO_QUANTITY_H_

#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>
#include <string>

namespace planner {

// The multiplier of a trailing suffix letter, or 1 when `c` is none.
inline double SuffixScale(char c) {
  switch (std::toupper(static_cast<unsigned char>(c))) {
    case 'K':
      return 1e3;
    case 'M':
      return 1e6;
    case 'B':
    case 'G':
      return 1e9;
    case 'T':
      return 1e12;
    default:
      return 1;
  }
}

// A positive, finite quantity in the grammar above; nullopt for anything else (including zero).
inline std::optional<double> ParseSuffixedNumber(const std::string& text) {
  std::string digits = text;
  double scale = 1;
  if (!digits.empty() && SuffixScale(digits.back()) != 1) {
    scale = SuffixScale(digits.back());
    digits.pop_back();
  }
  if (digits.empty() ||
      !(std::isdigit(static_cast<unsigned char>(digits[0])) || digits[0] == '.')) {
    return std::nullopt;  // also rules out signs, nan and inf
  }
  double v = 0;
  const char* end = digits.data() + digits.size();
  const auto [ptr, ec] = std::from_chars(digits.data(), end, v);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  v *= scale;
  if (!std::isfinite(v) || v <= 0) return std::nullopt;
  return v;
}

}  // namespace planner

#endif  // PLANNER_IO_QUANTITY_H_
