#include "comm/gemm_shapes.h"

#include <charconv>
#include <string>

namespace comm {
namespace {

constexpr int64_t kMaxDim = int64_t{1} << 20;

std::optional<int64_t> ParseDim(std::string_view text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1 || value > kMaxDim) {
    return std::nullopt;
  }
  return value;
}

std::optional<GemmShape> ParseShape(std::string_view text) {
  const size_t x1 = text.find('x');
  const size_t x2 = x1 == std::string_view::npos ? x1 : text.find('x', x1 + 1);
  if (x2 == std::string_view::npos) return std::nullopt;
  auto m = ParseDim(text.substr(0, x1));
  auto n = ParseDim(text.substr(x1 + 1, x2 - x1 - 1));
  auto k = ParseDim(text.substr(x2 + 1));
  if (!m || !n || !k) return std::nullopt;
  return GemmShape{*m, *n, *k};
}

}  // namespace

double GemmFlops(const GemmShape& s) {
  return 2.0 * static_cast<double>(s.m) * static_cast<double>(s.n) * static_cast<double>(s.k);
}

std::optional<std::vector<GemmShape>> ParseShapes(std::string_view text) {
  std::vector<GemmShape> shapes;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    auto shape = ParseShape(text.substr(0, comma));
    if (!shape) return std::nullopt;
    shapes.push_back(*shape);
    if (comma == std::string_view::npos) break;
    text = text.substr(comma + 1);
    if (text.empty()) return std::nullopt;  // a trailing comma
  }
  if (shapes.empty()) return std::nullopt;
  return shapes;
}

std::vector<GemmShape> DefaultSweep(int64_t min_dim, int64_t max_dim, int64_t tokens,
                                    int64_t d_model, int64_t d_ff) {
  std::vector<GemmShape> shapes;
  for (int64_t d = min_dim; d <= max_dim; d *= 2) shapes.push_back({d, d, d});
  shapes.push_back({tokens, d_ff, d_model});  // column-parallel GEMM at tp = 1
  shapes.push_back({tokens, d_model, d_ff});  // row-parallel GEMM at tp = 1
  return shapes;
}

}  // namespace comm
