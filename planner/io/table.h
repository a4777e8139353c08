// Table: the one report structure every subcommand prints, with interchangeable renderers
// (aligned console text, CSV), in the manner of google/benchmark's reporters. A cell carries the
// text people read ("61.9%", "1,024") and, for a number, the value scripts read (0.619, 1024): CSV
// writes the value, so fractions stay fractions and counts lose their separators. A column has a
// header for people ("step (s)") and a key for scripts ("step_time_s"): the CSV header, chosen
// to be the key the command's JSON uses for the same number. JSON stays per command (richer than
// rows; docs/json.md); tests/cli/csv_test.py holds each CSV to its JSON's keys.
#ifndef PLANNER_IO_TABLE_H_
#define PLANNER_IO_TABLE_H_

#include <initializer_list>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace planner {

// Which renderers show a column: a range people read as "2.9-3.6" is two numbers to a script.
enum class Shown { kAll, kText, kData };

struct Column {
  std::string header;  // with units, e.g. "time (s)"
  bool right_align = true;
  std::string key = "";  // CSV header and JSON key; empty: KeyOfHeader(header)
  Shown shown = Shown::kAll;
};

struct Cell {
  Cell() = default;
  Cell(std::string t) : text(std::move(t)) {}  // NOLINT: text cells are written as strings
  Cell(const char* t) : text(t) {}             // NOLINT
  Cell(std::string t, double v) : text(std::move(t)), value(v) {}
  std::string text;             // as the console table shows it
  std::optional<double> value;  // the number behind it, for CSV; NaN: none (n/a)
};

struct Table {
  std::string title;  // printed above the text table; not in CSV
  std::vector<Column> columns;
  std::vector<std::vector<Cell>> rows;
  std::vector<std::string> notes;  // printed below the text table; not in CSV

  void AddRow(std::initializer_list<Cell> row) { rows.emplace_back(row); }
  void AddRow(std::vector<Cell> row) { rows.push_back(std::move(row)); }
  void AddRow(const std::vector<std::string>& row) { rows.emplace_back(row.begin(), row.end()); }
  // A horizontal rule before the next row (text only), e.g. before a total.
  void AddRule() { rows.push_back({}); }
};

// Inserts `items` before position `at` (columns or a row's cells built apart).
template <class T>
void InsertAt(std::vector<T>* v, size_t at, const std::vector<T>& items) {
  v->insert(v->begin() + static_cast<std::ptrdiff_t>(at), items.begin(), items.end());
}

// "step (s)" -> "step_s", "tokens/s/GPU" -> "tokens_s_gpu", "cost (USD)" -> "cost_usd".
std::string KeyOfHeader(const std::string& header);
std::string ColumnKey(const Column& c);

void RenderText(const Table& t, std::ostream& out);

// A breakdown as consecutive tables, one per section, each "section | value | unit | note" and
// followed by a blank line (explain's and simulate's memory, time and throughput tables).
struct SectionRow {
  std::string section, item;
  Cell value;
  std::string unit, note;
  bool rule_before = false;  // a rule above the row, e.g. before a total
};
void RenderSections(const std::vector<SectionRow>& rows, std::ostream& out);
// One table: a header of column keys, then one line per row (rules, title and notes left out);
// numbers as plain numbers, text cells without thousands separators.
void RenderCsv(const Table& t, std::ostream& out);
// A CSV number: integers exactly, others with 10 significant digits; empty when not finite.
std::string CsvNumber(double v);

enum class OutputFormat { kTable, kJson, kCsv };

}  // namespace planner

#endif  // PLANNER_IO_TABLE_H_
