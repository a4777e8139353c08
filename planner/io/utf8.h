// UTF-8 validation for text read from files and flags: a name with latin-1 bytes would otherwise
// pass the readers and fail much later, inside a JSON writer, as an internal error. Header-only
// so that comm/ (which does not link planner_io) uses the same check.
#ifndef PLANNER_IO_UTF8_H_
#define PLANNER_IO_UTF8_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace planner {

// The offset of the first byte that does not belong to a well-formed UTF-8 sequence (RFC 3629:
// no overlong forms, no surrogates, nothing above U+10FFFF), or npos when `text` is valid.
inline size_t FirstInvalidUtf8(std::string_view text) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char b = byte(i);
    if (b < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
    if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3;
      if (b == 0xE0) lo = 0xA0;
      if (b == 0xED) hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4;
      if (b == 0xF0) lo = 0x90;
      if (b == 0xF4) hi = 0x8F;
    } else {
      return i;
    }
    if (i + len > text.size()) return i;
    if (byte(i + 1) < lo || byte(i + 1) > hi) return i;
    for (size_t k = 2; k < len; ++k) {
      if ((byte(i + k) & 0xC0) != 0x80) return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

// "" when the value of `flag` is UTF-8 text, else the message for the command-line error: such a
// value would only fail later, in the JSON writer, after the work was done.
inline std::string Utf8FlagProblem(const std::string& flag, std::string_view value) {
  const size_t bad = FirstInvalidUtf8(value);
  if (bad == std::string_view::npos) return "";
  return flag + ": not UTF-8 text (byte " + std::to_string(bad) + " of the value)";
}

}  // namespace planner

#endif  // PLANNER_IO_UTF8_H_
