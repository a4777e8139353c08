// Table rendering: text shows what people read, CSV the keys and the numbers behind the cells.
// Expected strings are written out by hand from the rules in planner/io/table.h.
#include "planner/io/table.h"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

namespace planner {
namespace {

TEST(TableTest, KeysFromHeaders) {
  EXPECT_EQ(KeyOfHeader("step (s)"), "step_s");
  EXPECT_EQ(KeyOfHeader("tokens/s/GPU"), "tokens_s_gpu");
  EXPECT_EQ(KeyOfHeader("cost (USD)"), "cost_usd");
  EXPECT_EQ(KeyOfHeader("$/step"), "usd_step");
  EXPECT_EQ(KeyOfHeader("#"), "rank");
  EXPECT_EQ(ColumnKey({"MFU", true, "mfu"}), "mfu");
}

TEST(TableTest, CsvNumbers) {
  EXPECT_EQ(CsvNumber(1024), "1024");
  EXPECT_EQ(CsvNumber(70e9), "70000000000");  // integral below 1e15: every digit
  EXPECT_EQ(CsvNumber(5.88e23), "5.88e+23");
  EXPECT_EQ(CsvNumber(0.619), "0.619");
  EXPECT_EQ(CsvNumber(2.0 / 3.0), "0.6666666667");  // 10 significant digits
  EXPECT_EQ(CsvNumber(NAN), "");
}

Table Example() {
  Table t;
  t.title = "title";
  t.columns = {{"name", false},
               {"GPUs", true, "gpus"},
               {"MFU", true, "mfu"},
               {"P10-P90 (s)", true, "", Shown::kText},
               {"P10 (s)", true, "step_time_p10_s", Shown::kData},
               {"P90 (s)", true, "step_time_p90_s", Shown::kData}};
  t.AddRow({"a", Cell("1,024", 1024), Cell("61.9%", 0.619), "2.9-3.6", Cell("", 2.9),
            Cell("", 3.6)});
  t.AddRule();
  t.AddRow({"b, c", Cell("8", 8), Cell("n/a", NAN), "-", Cell(), Cell()});
  t.notes = {"a note"};
  return t;
}

TEST(TableTest, CsvIsOneTableOfKeysAndNumbers) {
  std::ostringstream out;
  RenderCsv(Example(), out);
  // No title, rule or note; the text-only range column left out, the data-only ones in; the
  // comma in "b, c" quoted; n/a and empty cells empty.
  EXPECT_EQ(out.str(),
            "name,gpus,mfu,step_time_p10_s,step_time_p90_s\n"
            "a,1024,0.619,2.9,3.6\n"
            "\"b, c\",8,,,\n");
}

TEST(TableTest, TextShowsWhatPeopleRead) {
  std::ostringstream out;
  RenderText(Example(), out);
  // Widths: name 4, GPUs 5 ("1,024"), MFU 5, "P10-P90 (s)" 11, two spaces between: the rule is
  // 4 + 5 + 5 + 11 + 3 x 2 = 31 wide.
  EXPECT_EQ(out.str(),
            "title\n"
            "name  GPUs   MFU    P10-P90 (s)\n"
            "-------------------------------\n"
            "a     1,024  61.9%      2.9-3.6\n"
            "-------------------------------\n"
            "b, c      8    n/a            -\n"
            "a note\n");
}

}  // namespace
}  // namespace planner
