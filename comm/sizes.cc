#include "comm/sizes.h"

#include <cctype>
#include <charconv>
#include <cmath>

namespace comm {
namespace {

std::optional<double> SuffixMultiplier(char c) {
  switch (std::toupper(static_cast<unsigned char>(c))) {
    case 'K':
      return 1024.0;
    case 'M':
      return 1024.0 * 1024.0;
    case 'G':
      return 1024.0 * 1024.0 * 1024.0;
    default:
      return std::nullopt;
  }
}

}  // namespace

std::optional<uint64_t> ParseSize(std::string_view text) {
  if (text.empty() || !(std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '.')) {
    return std::nullopt;
  }
  double multiplier = 1.0;
  if (std::isalpha(static_cast<unsigned char>(text.back()))) {
    auto m = SuffixMultiplier(text.back());
    if (!m) return std::nullopt;
    multiplier = *m;
    text.remove_suffix(1);
  }
  double value = 0.0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  const double bytes = std::floor(value * multiplier);
  // 2^62 bytes is far beyond any buffer; refusing it keeps the sweep arithmetic from overflowing.
  if (!std::isfinite(bytes) || bytes < 0.0 || bytes > 4.6e18) return std::nullopt;
  return static_cast<uint64_t>(bytes);
}

std::vector<uint64_t> ExpandSizes(const SizeSweep& sweep) {
  std::vector<uint64_t> sizes;
  if (sweep.min_bytes > sweep.max_bytes) return sizes;
  const bool multiply = sweep.step_factor > 1;
  if (!multiply && sweep.step_bytes == 0 && sweep.min_bytes < sweep.max_bytes) return sizes;
  uint64_t size = sweep.min_bytes;
  while (size <= sweep.max_bytes) {
    sizes.push_back(size);
    // Stop before the next size would pass max_bytes (or wrap around).
    if (multiply ? size > sweep.max_bytes / sweep.step_factor
                 : size > sweep.max_bytes - sweep.step_bytes) {
      break;
    }
    const uint64_t next = multiply ? size * sweep.step_factor : size + sweep.step_bytes;
    // Size 0 never grows by multiplication and a zero step never grows at all: stop after one.
    if (next <= size) break;
    size = next;
  }
  return sizes;
}

}  // namespace comm
