#include "planner/io/table.h"

#include <algorithm>

namespace planner {
namespace {

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

// "2,127,057,600" -> "2127057600": CSV is for scripts, which want plain numbers.
std::string Ungrouped(const std::string& s) {
  if (s.empty() || s.find(',') == std::string::npos) return s;
  for (char c : s) {
    if (!(c == ',' || (c >= '0' && c <= '9') || c == '-')) return s;
  }
  std::string out;
  for (char c : s) {
    if (c != ',') out += c;
  }
  return out;
}

}  // namespace

void RenderText(const Table& t, std::ostream& out) {
  std::vector<size_t> width(t.columns.size());
  for (size_t c = 0; c < t.columns.size(); ++c) width[c] = t.columns[c].header.size();
  for (const auto& row : t.rows) {
    for (size_t c = 0; c < row.size() && c < width.size(); ++c) {
      width[c] = std::max(width[c], row[c].size());
    }
  }
  // A left-aligned last column holds free-text notes; one long note should not stretch the rule
  // under every row, so the rule covers at most kNoteRule characters of it.
  constexpr size_t kNoteRule = 60;
  size_t total = 0;
  for (size_t c = 0; c < width.size(); ++c) {
    const bool note = c + 1 == width.size() && !t.columns[c].right_align;
    total +=
        (note ? std::min(width[c], std::max(kNoteRule, t.columns[c].header.size())) : width[c]) + 2;
  }
  const std::string rule(total > 2 ? total - 2 : 0, '-');
  auto line = [&](const std::vector<std::string>& cells, bool header) {
    std::string s;
    for (size_t c = 0; c < width.size(); ++c) {
      const std::string cell = c < cells.size() ? cells[c] : "";
      const std::string pad(width[c] - cell.size(), ' ');
      const bool right = t.columns[c].right_align && !header;
      s += right ? pad + cell : cell + pad;
      if (c + 1 < width.size()) s += "  ";
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
    out << s << "\n";
  };
  if (!t.title.empty()) out << t.title << "\n";
  std::vector<std::string> headers;
  for (const Column& c : t.columns) headers.push_back(c.header);
  line(headers, true);
  out << rule << "\n";
  for (const auto& row : t.rows) {
    if (row.empty()) {
      out << rule << "\n";
    } else {
      line(row, false);
    }
  }
  for (const std::string& n : t.notes) out << n << "\n";
}

void RenderCsv(const Table& t, std::ostream& out) {
  for (size_t c = 0; c < t.columns.size(); ++c) {
    out << (c ? "," : "") << CsvField(t.columns[c].header);
  }
  out << "\n";
  for (const auto& row : t.rows) {
    if (row.empty()) continue;
    for (size_t c = 0; c < row.size(); ++c) {
      out << (c ? "," : "") << CsvField(Ungrouped(row[c]));
    }
    out << "\n";
  }
}

}  // namespace planner
