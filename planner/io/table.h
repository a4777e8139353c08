// Table: a pure data struct of rows of strings, with interchangeable renderers (aligned console
// text, CSV), in the manner of google/benchmark's reporters. JSON is built per command with
// nlohmann-json, since its structure is richer than a table.
#ifndef PLANNER_IO_TABLE_H_
#define PLANNER_IO_TABLE_H_

#include <ostream>
#include <string>
#include <vector>

namespace planner {

struct Column {
  std::string header;  // with units, e.g. "time (s)"
  bool right_align = true;
};

struct Table {
  std::string title;                      // printed above the text table; not in CSV
  std::vector<Column> columns;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> notes;         // printed below the text table; not in CSV

  void AddRow(std::vector<std::string> row) { rows.push_back(std::move(row)); }
  // A horizontal rule before the next row (text only), e.g. before a total.
  void AddRule() { rows.push_back({}); }
};

void RenderText(const Table& t, std::ostream& out);
// Thousands separators are dropped from integer cells; title and notes are left out.
void RenderCsv(const Table& t, std::ostream& out);

enum class OutputFormat { kTable, kJson, kCsv };

}  // namespace planner

#endif  // PLANNER_IO_TABLE_H_
