#include "planner/io/table.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

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

std::string KeyOfHeader(const std::string& header) {
  std::string out;
  for (size_t i = 0; i < header.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(header[i]);
    std::string piece;
    if (std::isalnum(c)) {
      piece = static_cast<char>(std::tolower(c));
    } else if (c == '%') {
      piece = "_pct";
    } else if (c == '$') {
      piece = "usd_";
    } else if (c == '#') {
      piece = "rank";
    } else {
      piece = "_";
    }
    for (char p : piece) {
      if (p == '_' && (out.empty() || out.back() == '_')) continue;
      out += p;
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

std::string ColumnKey(const Column& c) { return c.key.empty() ? KeyOfHeader(c.header) : c.key; }

std::string CsvNumber(double v) {
  if (!std::isfinite(v)) return "";
  char buf[40];
  if (v == std::floor(v) && std::abs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.10g", v);
  }
  return buf;
}

namespace {

// The table with only the columns (and cells) that `drop` does not exclude.
Table ColumnsShownBy(const Table& t, Shown drop) {
  Table out;
  out.title = t.title;
  out.notes = t.notes;
  std::vector<size_t> keep;
  for (size_t c = 0; c < t.columns.size(); ++c) {
    if (t.columns[c].shown != drop) keep.push_back(c);
  }
  for (size_t c : keep) out.columns.push_back(t.columns[c]);
  for (const auto& row : t.rows) {
    std::vector<Cell> r;
    for (size_t c : keep) {
      if (c < row.size()) r.push_back(row[c]);
    }
    out.rows.push_back(std::move(r));
  }
  return out;
}

}  // namespace

void RenderSections(const std::vector<SectionRow>& rows, std::ostream& out) {
  Table t;
  auto flush = [&] {
    if (!t.rows.empty()) {
      RenderText(t, out);
      out << "\n";
    }
  };
  for (size_t i = 0; i < rows.size(); ++i) {
    const SectionRow& r = rows[i];
    if (i == 0 || r.section != rows[i - 1].section) {
      flush();
      t = Table{};
      t.columns = {{r.section, false}, {"value"}, {"unit", false}, {"note", false}};
    }
    if (r.rule_before) t.AddRule();
    t.AddRow({r.item, r.value, r.unit, r.note});
  }
  flush();
}

void RenderText(const Table& all, std::ostream& out) {
  const Table t = ColumnsShownBy(all, Shown::kData);
  std::vector<size_t> width(t.columns.size());
  for (size_t c = 0; c < t.columns.size(); ++c) width[c] = t.columns[c].header.size();
  for (const auto& row : t.rows) {
    for (size_t c = 0; c < row.size() && c < width.size(); ++c) {
      width[c] = std::max(width[c], row[c].text.size());
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
  auto line = [&](const std::vector<Cell>& cells, bool header) {
    std::string s;
    for (size_t c = 0; c < width.size(); ++c) {
      const std::string cell = c < cells.size() ? cells[c].text : "";
      const std::string pad(width[c] - cell.size(), ' ');
      const bool right = t.columns[c].right_align && !header;
      s += right ? pad + cell : cell + pad;
      if (c + 1 < width.size()) s += "  ";
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
    out << s << "\n";
  };
  if (!t.title.empty()) out << t.title << "\n";
  std::vector<Cell> headers;
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

void RenderCsv(const Table& all, std::ostream& out) {
  const Table t = ColumnsShownBy(all, Shown::kText);
  for (size_t c = 0; c < t.columns.size(); ++c) {
    out << (c ? "," : "") << CsvField(ColumnKey(t.columns[c]));
  }
  out << "\n";
  for (const auto& row : t.rows) {
    if (row.empty()) continue;
    for (size_t c = 0; c < row.size(); ++c) {
      const Cell& cell = row[c];
      out << (c ? "," : "") << CsvField(cell.value ? CsvNumber(*cell.value) : Ungrouped(cell.text));
    }
    out << "\n";
  }
}

}  // namespace planner
